// Package doctor checks a Hookline data directory or PostgreSQL database,
// and the transform sandbox, without a server: what is wrong, and what to
// do about it. It changes nothing; it is what to run before a start that
// fails, after a crash or a restore.
package doctor

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/secretbox"
)

// Status grades a finding.
type Status string

// The grades: a failure stops a server or loses data; a warning is worth
// fixing; ok needs nothing.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Finding is the outcome of one check.
type Finding struct {
	Check  string `json:"check"`
	Status Status `json:"status"`
	// Detail says what was found; Fix, what to do (empty when nothing).
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Options choose what Run checks beyond the configuration.
type Options struct {
	// ServerRunning says a server has the data directory open (its lock
	// is taken): the write-ahead log is then in use and not checked.
	ServerRunning bool
	// Full runs SQLite's integrity_check (every index against its table)
	// instead of quick_check.
	Full bool
}

// Run checks the storage cfg names: the SQLite data directory, or the
// PostgreSQL database of cfg.DatabaseURL; then the transform sandbox.
func Run(ctx context.Context, cfg config.Config, opts Options) []Finding {
	var r report
	if cfg.DatabaseURL != "" {
		checkPostgres(ctx, cfg, &r)
	} else {
		checkSQLite(ctx, cfg, opts, &r)
	}
	checkSandbox(ctx, cfg, &r)
	return r.findings
}

// Failed reports whether any finding failed.
func Failed(fs []Finding) bool {
	for _, f := range fs {
		if f.Status == Fail {
			return true
		}
	}
	return false
}

// Print writes fs as one block per finding, for people.
func Print(w io.Writer, fs []Finding) {
	for _, f := range fs {
		fmt.Fprintf(w, "%-4s  %s: %s\n", strings.ToUpper(string(f.Status)), f.Check, f.Detail)
		if f.Fix != "" {
			fmt.Fprintf(w, "      fix: %s\n", f.Fix)
		}
	}
}

type report struct{ findings []Finding }

func (r *report) add(check string, st Status, detail, fix string) {
	r.findings = append(r.findings, Finding{Check: check, Status: st, Detail: detail, Fix: fix})
}

// openSealed tries box on one sealed value read from the database: a key
// that does not open it is not this database's key.
func checkKeyOpens(r *report, box *secretbox.Box, sealed string, found bool) {
	switch {
	case !found:
		r.add("secret key matches", OK, "no stored signing secret to try it on yet", "")
	case box == nil:
		// The key check reported why there is no key.
	default:
		if _, err := box.Open(sealed); err != nil {
			r.add("secret key matches", Fail, "the secret key does not open the signing secrets stored in the database: "+
				"it is not this database's key",
				"put the key this database was used with in place (from the backup made with it); "+
					"without it every webhook's secret must be rotated")
			return
		}
		r.add("secret key matches", OK, "the key opens the stored signing secrets", "")
	}
}
