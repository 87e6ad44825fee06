package bench

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgBench is the PostgreSQL side of a run with --database-url: a fresh
// schema for the run's tables (dropped at the end), the URL and the shared
// secret key the server instances are given, and a connection of its own
// that reads the database's statistics.
type pgBench struct {
	conn      *pgx.Conn
	schema    string
	appName   string // application_name of the servers' connections
	serverURL string
	keyFile   string
	dir       string
}

// preparePostgres makes a fresh schema in the database at dbURL and a
// secret key file, so that `hookline bench --database-url URL` needs no
// set-up by hand.
func preparePostgres(ctx context.Context, dbURL string) (*pgBench, error) {
	u, err := url.Parse(dbURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("--database-url must be a postgres:// URL")
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// pool_* parameters are the servers' pool settings, which a single
	// connection refuses.
	own := *u
	oq := own.Query()
	for k := range oq {
		if strings.HasPrefix(k, "pool_") {
			oq.Del(k)
		}
	}
	own.RawQuery = oq.Encode()
	conn, err := pgx.Connect(cctx, own.String())
	if err != nil {
		return nil, fmt.Errorf("--database-url: %w", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	tag := hex.EncodeToString(b)
	p := &pgBench{conn: conn, schema: "hlbench_" + tag, appName: "hookline-bench-" + tag}
	if _, err := conn.Exec(cctx, `CREATE SCHEMA `+pgx.Identifier{p.schema}.Sanitize()); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("--database-url: creating schema %s: %w", p.schema, err)
	}
	// Unknown URL parameters are run-time settings for pgx: the servers'
	// tables go to the fresh schema, and their backends carry a name the
	// CPU accounting can find them by.
	q := u.Query()
	q.Set("search_path", p.schema)
	q.Set("application_name", p.appName)
	u.RawQuery = q.Encode()
	p.serverURL = u.String()
	if p.dir, err = os.MkdirTemp("", "hookline-bench-pg-"); err != nil {
		p.close()
		return nil, err
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	p.keyFile = filepath.Join(p.dir, "secret.key")
	if err := os.WriteFile(p.keyFile, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// serverArgs are the flags every instance gets.
func (p *pgBench) serverArgs() []string {
	return []string{"--database-url", p.serverURL, "--secret-key-file", p.keyFile}
}

// pgSnapshot is the database-wide counters at one moment
// (pg_stat_database counts every session of the database, the bench's
// servers and anything else connected to it).
type pgSnapshot struct {
	commits, rollbacks         int64
	inserted, updated, deleted int64
}

func (p *pgBench) snapshot(ctx context.Context) (pgSnapshot, error) {
	var s pgSnapshot
	// Each statement outside a transaction sees fresh statistics (the
	// default stats_fetch_consistency caches them per transaction).
	err := p.conn.QueryRow(ctx, `SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted
		FROM pg_stat_database WHERE datname = current_database()`).
		Scan(&s.commits, &s.rollbacks, &s.inserted, &s.updated, &s.deleted)
	return s, err
}

// backendCPU returns the CPU time of each backend process serving the
// bench's servers, by pid, read from /proc (PostgreSQL on this machine).
func (p *pgBench) backendCPU(ctx context.Context) (map[int]time.Duration, error) {
	rows, err := p.conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, p.appName)
	if err != nil {
		return nil, err
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, err
	}
	out := make(map[int]time.Duration, len(pids))
	for _, pid := range pids {
		if cpu, ok := procCPU(int(pid)); ok {
			out[int(pid)] = cpu
		}
	}
	return out, nil
}

// cpuDelta is the CPU the backends used between two readings; a backend
// that appeared in between counts in full.
func cpuDelta(before, after map[int]time.Duration) time.Duration {
	var d time.Duration
	for pid, c := range after {
		d += c - before[pid]
	}
	return d
}

// backendSamples is what sampleBackends saw.
type backendSamples struct {
	// cpu is the last reading of every backend seen (the start's
	// included): a pool may end a connection during the run, and its
	// backend's CPU up to its last reading still counts.
	cpu map[int]time.Duration
	// waits counts, per "wait_event_type:wait_event" ("CPU" for none),
	// the active backends found in that state, over samples samples of
	// pg_stat_activity: the contention terms of the cost model.
	waits   map[string]int
	samples int
}

// sampleBackends reads the backends' CPU every interval and what the
// active ones wait for ten times as often, until stop is closed.
func (p *pgBench) sampleBackends(ctx context.Context, start map[int]time.Duration, interval time.Duration, stop <-chan struct{}) backendSamples {
	s := backendSamples{cpu: maps.Clone(start), waits: map[string]int{}}
	t := time.NewTicker(interval / 10)
	defer t.Stop()
	read := func() {
		if now, err := p.backendCPU(ctx); err == nil {
			maps.Copy(s.cpu, now)
		}
	}
	// The bench's connection is this goroutine's alone until it returns.
	for i := 1; ; i++ {
		select {
		case <-stop:
			read()
			return s
		case <-ctx.Done():
			return s
		case <-t.C:
			p.sampleWaits(ctx, &s)
			if i%10 == 0 {
				read()
			}
		}
	}
}

// sampleWaits tallies what the bench servers' active backends are doing.
func (p *pgBench) sampleWaits(ctx context.Context, s *backendSamples) {
	rows, err := p.conn.Query(ctx, `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU')
		FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'`, p.appName)
	if err != nil {
		return
	}
	states, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	s.samples++
	for _, st := range states {
		s.waits[st]++
	}
}

// waitShares turns the tallies into the average number of active backends
// in each state, largest first (at most top of them).
func waitShares(s backendSamples, top int) []WaitShare {
	if s.samples == 0 {
		return nil
	}
	out := make([]WaitShare, 0, len(s.waits))
	for k, n := range s.waits {
		out = append(out, WaitShare{State: k, Backends: float64(n) / float64(s.samples)})
	}
	slices.SortFunc(out, func(a, b WaitShare) int {
		if a.Backends != b.Backends {
			return cmp.Compare(b.Backends, a.Backends)
		}
		return strings.Compare(a.State, b.State)
	})
	return out[:min(top, len(out))]
}

// WaitShare is the average number of the bench servers' backends found
// active in one state (a wait event, or "CPU" for none) while sampling.
type WaitShare struct {
	State    string  `json:"state"`
	Backends float64 `json:"backends"`
}

func (p *pgBench) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := p.conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{p.schema}.Sanitize()+` CASCADE`); err != nil {
		fmt.Fprintf(os.Stderr, "bench: dropping schema %s: %v\n", p.schema, err)
	}
	p.conn.Close(ctx)
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
}

// PostgresFigures are the database's side of a run on PostgreSQL, over
// the publishing and drain window.
type PostgresFigures struct {
	Commits            int64   `json:"commits"`
	Rollbacks          int64   `json:"rollbacks"`
	CommitsPerEvent    float64 `json:"commits_per_event"`
	CommitsPerDelivery float64 `json:"commits_per_delivery"`
	RowsWrittenPerEvt  float64 `json:"rows_written_per_event"`
	// BackendCPUSeconds is the CPU time of the PostgreSQL backends that
	// served the bench's servers (from /proc; 0 when PostgreSQL is not
	// on this machine).
	BackendCPUSeconds float64 `json:"backend_cpu_seconds"`
	BackendCPUPer1k   float64 `json:"backend_cpu_seconds_per_1000_events"`
	// RoundTrips are the servers' exchanges with PostgreSQL in the run
	// (their hookline_postgres_round_trips_total).
	RoundTrips         int64   `json:"round_trips"`
	RoundTripsPerEvent float64 `json:"round_trips_per_event"`
	// Active is what the servers' active backends did, sampled ten times
	// a second from pg_stat_activity: "Lock:…" and "LWLock:…" states are
	// contention between sessions, "IO:WAL…" the commit flushes.
	Active []WaitShare `json:"active_backends"`
}

func pgFigures(a, b pgSnapshot, backendCPU time.Duration, events, deliveries int64) *PostgresFigures {
	f := &PostgresFigures{Commits: b.commits - a.commits, Rollbacks: b.rollbacks - a.rollbacks,
		BackendCPUSeconds: backendCPU.Seconds()}
	rows := (b.inserted - a.inserted) + (b.updated - a.updated) + (b.deleted - a.deleted)
	if events > 0 {
		f.CommitsPerEvent = float64(f.Commits) / float64(events)
		f.RowsWrittenPerEvt = float64(rows) / float64(events)
		f.BackendCPUPer1k = f.BackendCPUSeconds / float64(events) * 1000
	}
	if deliveries > 0 {
		f.CommitsPerDelivery = float64(f.Commits) / float64(deliveries)
	}
	return f
}

// roundTrips sums the servers' hookline_postgres_round_trips_total (0 for
// a server that does not report it).
func roundTrips(ctx context.Context, apis []*client) int64 {
	var n int64
	for _, a := range apis {
		req, err := http.NewRequestWithContext(ctx, "GET", a.base+"/metrics", nil)
		if err != nil {
			continue
		}
		resp, err := a.http.Do(req)
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		resp.Body.Close()
		n += metricValue(string(body), "hookline_postgres_round_trips_total")
	}
	return n
}

// metricValue reads an unlabelled sample from Prometheus text exposition.
func metricValue(text, name string) int64 {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return int64(f)
			}
		}
	}
	return 0
}
