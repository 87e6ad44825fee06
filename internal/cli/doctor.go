package cli

import (
	"context"
	"encoding/json"
	"io"
	"strings"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/doctor"
)

// doctorFailed is returned once the findings are printed: the exit
// status says a check failed, the findings say which.
type doctorFailed struct{}

func (doctorFailed) Error() string { return "doctor: a check failed (see above)" }

func doctorCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("doctor", stdout, `doctor [flags]

Checks a data directory (or a PostgreSQL database) without a server and
says what is wrong and what to do: the directory and key files and their
permissions, whether the key opens the stored secrets, the database file,
its write-ahead log (damage that SQLite would drop silently at the next
start), the schema version, SQLite's integrity check and free space. It
changes nothing; it can run beside a running server (the log check is then
skipped). Exit status 1 when a check fails.

Examples:
  hookline doctor --data-dir /var/lib/hookline
  hookline doctor --data-dir /var/lib/hookline --full --json
  hookline doctor --database-url postgres://hookline@db/hookline --secret-key-file /etc/hookline/key`)
	full := fs.Bool("full", false, "run SQLite's integrity_check (slower: every index against its table) instead of quick_check")
	asJSON := fs.Bool("json", false, "print the findings as JSON")
	cfg, pos, err := parseConfig(fs, args, "data-dir", "database-url", "secret-key-file")
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{msg: "unexpected arguments: " + strings.Join(pos, " "), cmd: "doctor"}
	}
	opts := doctor.Options{Full: *full}
	if cfg.DatabaseURL == "" {
		opts.ServerRunning = app.DataDirInUse(cfg.DataDir)
	}
	found := doctor.Run(ctx, cfg, opts)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(struct {
			OK       bool             `json:"ok"`
			Findings []doctor.Finding `json:"findings"`
		}{!doctor.Failed(found), found})
	} else {
		doctor.Print(stdout, found)
	}
	if doctor.Failed(found) {
		return doctorFailed{}
	}
	return nil
}
