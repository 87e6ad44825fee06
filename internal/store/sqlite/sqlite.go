// Package sqlite implements store.Store on an embedded SQLite database (the
// pure-Go modernc.org/sqlite driver, no cgo).
//
// SQLite allows one writer at a time, and a durable commit costs an fsync,
// so every write goes through one goroutine that groups the writes waiting
// at that moment into a single transaction (group commit): many ingests and
// attempt results share one fsync. Each write runs inside its own savepoint,
// so one failing write never undoes another. Reads use a separate pool; WAL
// mode lets them run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookline/hookline/internal/filter"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

//go:embed schema.sql
var schemaSQL string

// upgrades change the schema of databases made by earlier releases; they
// run in order, each once, after schema.sql (which keeps the first
// release's tables as they were). PRAGMA user_version counts those applied.
var upgrades = []string{
	`ALTER TABLE events ADD COLUMN trace_parent TEXT`,
	// What each attempt did (NULL in rows written before: see
	// store.FillOlderAttempt), and a webhook's destination type and the
	// custom headers whose values attempts store masked.
	`ALTER TABLE attempts ADD COLUMN destination TEXT;
	ALTER TABLE attempts ADD COLUMN outcome TEXT;
	ALTER TABLE attempts ADD COLUMN answer TEXT;
	ALTER TABLE webhooks ADD COLUMN destination_type TEXT NOT NULL DEFAULT 'http';
	ALTER TABLE webhooks ADD COLUMN secret_headers TEXT NOT NULL DEFAULT '[]'`,
	// Tenants become rows: one for every tenant string already in use (a
	// delivery's tenant is its event's, but every table is read so that
	// none is missed), created now.
	`CREATE TABLE tenants (
		id            TEXT PRIMARY KEY,
		name          TEXT NOT NULL,
		contact_email TEXT NOT NULL DEFAULT '',
		branding      TEXT, -- JSON {name, logo_url, accent}; NULL for none
		metadata      TEXT NOT NULL DEFAULT '{}', -- JSON object of strings
		created_at    INTEGER NOT NULL,
		updated_at    INTEGER NOT NULL
	);
	INSERT INTO tenants (id, name, created_at, updated_at)
		SELECT tenant, tenant, CAST(unixepoch('subsec') * 1000000 AS INTEGER),
			CAST(unixepoch('subsec') * 1000000 AS INTEGER)
		FROM (SELECT tenant FROM webhooks UNION SELECT tenant FROM events UNION SELECT tenant FROM deliveries)`,
	// Tenant scope of keys ('' = every tenant, as every key made before),
	// of bins (made before by operators: the default tenant) and of audit
	// entries ('' = recorded by an operator).
	`ALTER TABLE api_keys ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
	ALTER TABLE bins ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';
	ALTER TABLE audit_log ADD COLUMN tenant TEXT NOT NULL DEFAULT '';
	CREATE INDEX IF NOT EXISTS audit_log_tenant ON audit_log (tenant, id)`,
	// Magic links into the customer portal and, once opened, their
	// sessions: only the SHA-256 of either token is kept.
	`CREATE TABLE portal_links (
		token_hash         BLOB PRIMARY KEY,
		id                 TEXT NOT NULL UNIQUE,
		tenant             TEXT NOT NULL,
		read_only          INTEGER NOT NULL,
		return_url         TEXT NOT NULL DEFAULT '',
		event_types        TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
		session_ttl        INTEGER NOT NULL, -- microseconds
		created_at         INTEGER NOT NULL,
		expires_at         INTEGER NOT NULL,
		opened_at          INTEGER,
		session_hash       BLOB UNIQUE,
		session_expires_at INTEGER
	)`,
	// A webhook's payload filter (JSON, compacted); NULL for none.
	`ALTER TABLE webhooks ADD COLUMN filter TEXT`,
	// How a webhook's deliveries are signed (webhook.Signature*).
	`ALTER TABLE webhooks ADD COLUMN signature TEXT NOT NULL DEFAULT 'hmac-sha256'`,
	// A webhook's destination configuration (JSON, its URL sealed as the
	// signing secret is, since it may hold a password); NULL for HTTP.
	`ALTER TABLE webhooks ADD COLUMN destination TEXT`,
	// Routing (issue 18): a webhook's ordering and rate limit, its FIFO
	// sequence (the last number given) and how many attempts waited for
	// its limit; a FIFO delivery's place (seq) and ordering key. The index
	// finds the head of a key among the pending ones.
	`ALTER TABLE webhooks ADD COLUMN ordering TEXT NOT NULL DEFAULT 'none';
	ALTER TABLE webhooks ADD COLUMN ordering_key TEXT NOT NULL DEFAULT '';
	ALTER TABLE webhooks ADD COLUMN rate_per_second INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE webhooks ADD COLUMN rate_per_minute INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE webhooks ADD COLUMN fifo_seq INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE webhooks ADD COLUMN stat_throttled INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE deliveries ADD COLUMN seq INTEGER;
	ALTER TABLE deliveries ADD COLUMN ordering_key TEXT;
	CREATE INDEX deliveries_fifo ON deliveries (webhook_id, ordering_key, seq)
		WHERE status = 'pending' AND seq IS NOT NULL`,
	// Team accounts: every account made before is an owner, as it could
	// do everything; one-time invitations keep only their token's hash.
	`ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'owner';
	CREATE TABLE invites (
		token_hash  BLOB PRIMARY KEY,
		id          TEXT NOT NULL UNIQUE,
		role        TEXT NOT NULL,
		note        TEXT NOT NULL DEFAULT '',
		created_by  TEXT NOT NULL,
		created_at  INTEGER NOT NULL,
		expires_at  INTEGER NOT NULL,
		accepted_at INTEGER,
		accepted_by TEXT NOT NULL DEFAULT ''
	)`,
	// Alert channels (a Slack-compatible URL sealed as a signing secret
	// is: whoever has it can post to the channel) and the state of alerts,
	// kept here so that a new leader carries on where the last stopped.
	`CREATE TABLE alert_channels (
		id         TEXT PRIMARY KEY,
		type       TEXT NOT NULL,
		url        TEXT NOT NULL DEFAULT '',
		recipients TEXT NOT NULL DEFAULT '[]', -- JSON array of addresses
		kinds      TEXT NOT NULL,              -- JSON array of alert kinds
		tenant     TEXT NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL
	);
	CREATE TABLE alert_states (
		webhook_id   TEXT NOT NULL, -- '' for the backlog
		kind         TEXT NOT NULL,
		tenant       TEXT NOT NULL DEFAULT '',
		detail       TEXT NOT NULL DEFAULT '',
		opened_at    INTEGER NOT NULL,
		closed_at    INTEGER,
		notice       TEXT NOT NULL DEFAULT '',
		notified     INTEGER NOT NULL DEFAULT 0,
		last_sent_at INTEGER,
		PRIMARY KEY (webhook_id, kind)
	);
	CREATE INDEX alert_states_live ON alert_states (opened_at) WHERE closed_at IS NULL OR notice <> ''`,
	// The attempt rollup behind charts (store.StatsStore), filled from
	// the last 31 days of attempts.
	rollupUpgrade(),
	// Event types that still deliver but are no longer offered.
	`ALTER TABLE event_types ADD COLUMN deprecated INTEGER NOT NULL DEFAULT 0`,
	// How many Hookline deliveries led to an event (webhook.Event.Hops).
	`ALTER TABLE events ADD COLUMN hops INTEGER NOT NULL DEFAULT 0`,
	// Bulk recovery (issue 18): the attempts a delivery had when it was
	// recovered, from which its retry schedule counts again; the index
	// serves the delivery log filtered by state (a webhook's in id order,
	// every webhook's sorted from the matching rows alone) and recovery.
	`ALTER TABLE deliveries ADD COLUMN retry_base INTEGER NOT NULL DEFAULT 0;
	CREATE INDEX deliveries_status ON deliveries (status, webhook_id, id)`,
	// A webhook's transform (JavaScript source); NULL for none.
	`ALTER TABLE webhooks ADD COLUMN transform TEXT`,
	// The request catcher (issue 20): a bin's custom response (JSON, NULL
	// for the default), and of each captured request its request target
	// and protocol as received and the status it was answered with.
	`ALTER TABLE bins ADD COLUMN response TEXT;
	ALTER TABLE bin_requests ADD COLUMN target TEXT NOT NULL DEFAULT '';
	ALTER TABLE bin_requests ADD COLUMN proto TEXT NOT NULL DEFAULT '';
	ALTER TABLE bin_requests ADD COLUMN answered INTEGER NOT NULL DEFAULT 0`,
	// An attempt whose body is its event's, as a webhook format makes it,
	// names the format here and stores no copy (webhook.Attempt.
	// RequestBodyOf): one body fewer per webhook and attempt.
	`ALTER TABLE attempts ADD COLUMN request_body_of TEXT NOT NULL DEFAULT ''`,
}

// upgrade applies the upgrades the database lacks, each in its own
// transaction with the version it reaches, so a crash between two leaves a
// database that the next start carries on from.
func upgrade(db *sql.DB) error {
	var version int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("sqlite: read schema version: %w", err)
	}
	if version > len(upgrades) {
		return fmt.Errorf("sqlite: the database has schema version %d but this build knows only %d: "+
			"it was written by a newer Hookline; run that version (or restore a backup made before the upgrade)",
			version, len(upgrades))
	}
	for i := version; i < len(upgrades); i++ {
		tx, err := db.Begin()
		if err != nil {
			return fmt.Errorf("sqlite: schema upgrade %d: %w", i+1, err)
		}
		if _, err := tx.Exec(upgrades[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: schema upgrade %d: %w", i+1, err)
		}
		// PRAGMA takes no parameters; i+1 is a number of ours.
		if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: schema upgrade %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlite: schema upgrade %d: %w", i+1, err)
		}
	}
	return nil
}

// Each write of a group commit runs in its own savepoint; these three
// statements run for every write, so they are prepared like hotQueries.
const (
	qSavepoint  = "SAVEPOINT op"
	qRollbackTo = "ROLLBACK TO op"
	qRelease    = "RELEASE op"
)

func init() { hotQueries = append(hotQueries, qSavepoint, qRollbackTo, qRelease) }

// maxBatch bounds one group commit, so a flood of writes still commits in
// pieces and no caller waits behind an unbounded transaction.
const maxBatch = 1024

// Options configure Open.
type Options struct {
	// Sealer encrypts webhook secrets at rest. Required.
	Sealer store.Sealer
	// ReadConns is the size of the read pool (default 8).
	ReadConns int
}

// Store is the SQLite backend.
type Store struct {
	wdb    *sql.DB // exactly one connection: the writer
	rdb    *sql.DB
	sealer store.Sealer

	ops      chan *op
	bulk     chan *op // writes that may wait a commit: see writeLoop
	stop     chan struct{}
	done     chan struct{}
	closeMu  sync.RWMutex
	closed   bool
	stmts    map[string]*sql.Stmt // read-only after Open
	closeErr error
	// filters are the webhooks' payload filters, parsed once.
	filters filter.Cache
	// dir holds the database; health is what readiness knows of refused
	// writes (see ready.go).
	dir    string
	health store.WriteHealth
	// commits and statements count group commits and the statements run through
	// exec, query and queryRow (the hot paths), for benchmarks.
	commits, statements atomic.Int64
	// deferred is the writer goroutine's own (see deferred.go).
	deferred deferred
	// bound holds the hot statements bound to the group commit's
	// transaction (see txStmt); the writer goroutine's own.
	bound struct {
		tx    *sql.Tx
		stmts map[string]*sql.Stmt
	}
	// fifoLive says a pending delivery with a FIFO place (seq) may exist:
	// set at Open from the database, and by every write that makes one
	// (ingest and replay for a FIFO webhook, a retry by hand of one that
	// has a seq). While it is false, a result has no next delivery of its
	// key to promote and AttemptRecord skips that statement. The writer
	// goroutine's own, like deferred; it never goes back to false.
	fifoLive bool
}

var _ store.Store = (*Store)(nil)

type op struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	done chan error
}

// Open opens (creating if needed) the database file at path, applies the
// schema and starts the writer.
func Open(path string, opts Options) (*Store, error) {
	if opts.Sealer == nil {
		return nil, errors.New("sqlite: Options.Sealer is required")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create data directory: %w", err)
	}
	// A new database is readable by its owner only, whatever the umask or
	// the data directory's mode (a container volume may be 0755): it holds
	// event payloads and sealed secrets. SQLite gives the -wal and -shm
	// files the database file's mode. An empty file is an empty database.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("sqlite: create database file: %w", err)
	}
	// synchronous(FULL) in WAL mode fsyncs the log at every commit: an
	// acknowledged event survives power loss.
	pragmas := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)",
		"foreign_keys(ON)", "auto_vacuum(INCREMENTAL)", "temp_store(MEMORY)",
		"cache_size(-16000)",
	} {
		pragmas.Add("_pragma", p)
	}
	wdsn := "file:" + path + "?" + pragmas.Encode() + "&_txlock=immediate"
	wdb, err := sql.Open("sqlite", wdsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	if _, err := wdb.Exec(schemaSQL); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite: apply schema: %w", err)
	}
	if err := upgrade(wdb); err != nil {
		wdb.Close()
		return nil, err
	}
	if err := sealPlainHeaders(wdb, opts.Sealer); err != nil {
		wdb.Close()
		return nil, err
	}
	rp := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "foreign_keys(ON)", "query_only(1)", "cache_size(-4000)"} {
		rp.Add("_pragma", p)
	}
	rdb, err := sql.Open("sqlite", "file:"+path+"?"+rp.Encode())
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite: open reader: %w", err)
	}
	n := opts.ReadConns
	if n <= 0 {
		n = 8
	}
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	s := &Store{
		wdb: wdb, rdb: rdb, sealer: opts.Sealer, dir: filepath.Dir(path),
		ops:   make(chan *op, maxBatch),
		bulk:  make(chan *op, maxBatch),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		stmts: make(map[string]*sql.Stmt),
	}
	s.bound.stmts = make(map[string]*sql.Stmt)
	if err := wdb.QueryRow(`SELECT EXISTS (SELECT 1 FROM deliveries
		WHERE status = 'pending' AND seq IS NOT NULL)`).Scan(&s.fifoLive); err != nil {
		wdb.Close()
		rdb.Close()
		return nil, fmt.Errorf("sqlite: look for FIFO deliveries: %w", err)
	}
	for _, q := range hotQueries {
		st, err := wdb.Prepare(q)
		if err != nil {
			wdb.Close()
			rdb.Close()
			return nil, fmt.Errorf("sqlite: prepare %q: %w", q, err)
		}
		s.stmts[q] = st
	}
	go s.writeLoop()
	return s, nil
}

// Ping checks both pools.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.PingContext(ctx); err != nil {
		return unavailable(err)
	}
	if since, failed := s.health.Failing(); failed != nil {
		return s.probe(ctx, failed, since)
	}
	return s.write(ctx, func(tx *sql.Tx) error { return nil })
}

// Close flushes queued writes, stops the writer and closes the database.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return s.closeErr
	}
	s.closed = true
	close(s.stop)
	s.closeMu.Unlock()
	<-s.done
	for _, st := range s.stmts {
		st.Close()
	}
	err := errors.Join(s.wdb.Close(), s.rdb.Close())
	s.closeErr = err
	return err
}

var errClosed = &webhook.Error{Code: webhook.EUNAVAILABLE, Message: "storage is closed"}

func unavailable(err error) error {
	return &webhook.Error{Code: webhook.EUNAVAILABLE, Message: "storage unavailable: " + err.Error()}
}

// txStmt returns hot statement query bound to tx (nil for a statement
// that is not hot). The group commit's transaction keeps each one it
// bound, so its writes share one instead of binding it again each time
// (tx.Stmt allocates).
func (s *Store) txStmt(tx *sql.Tx, query string) *sql.Stmt {
	st, ok := s.stmts[query]
	if !ok {
		return nil
	}
	if tx != s.bound.tx {
		return tx.Stmt(st)
	}
	if b := s.bound.stmts[query]; b != nil {
		return b
	}
	b := tx.Stmt(st)
	s.bound.stmts[query] = b
	return b
}

// exec runs a write statement inside tx. Hot statements (listed in
// hotQueries) were prepared once at Open on the single writer connection;
// tx.Stmt reuses them because tx runs on that same connection.
func (s *Store) exec(tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	s.statements.Add(1)
	if st := s.txStmt(tx, query); st != nil {
		return st.Exec(args...)
	}
	return tx.Exec(query, args...)
}

// query is exec for statements that return rows.
func (s *Store) query(tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	s.statements.Add(1)
	if st := s.txStmt(tx, query); st != nil {
		return st.Query(args...)
	}
	return tx.Query(query, args...)
}

// queryRow is exec for statements that return one row.
func (s *Store) queryRow(tx *sql.Tx, query string, args ...any) *sql.Row {
	s.statements.Add(1)
	if st := s.txStmt(tx, query); st != nil {
		return st.QueryRow(args...)
	}
	return tx.QueryRow(query, args...)
}

// Times are stored as Unix microseconds.
func ts(t time.Time) int64 { return t.UnixMicro() }

func fromTS(v int64) time.Time { return time.UnixMicro(v).UTC() }

// nullString stores "" as NULL.
func nullString(v string) sql.NullString { return sql.NullString{String: v, Valid: v != ""} }

func nullTS(t *time.Time) sql.NullInt64 {
	if t == nil || t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ts(*t), Valid: true}
}

func fromNullTS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromTS(v.Int64)
	return &t
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &webhook.Error{Code: webhook.ENOTFOUND, Message: what + " not found"}
	}
	return err
}

// QuickCheck runs SQLite's PRAGMA quick_check over the whole database:
// nil when it reports "ok", else an error with its first findings.
func (s *Store) QuickCheck(ctx context.Context) error {
	rows, err := s.rdb.QueryContext(ctx, `PRAGMA quick_check(5)`)
	if err != nil {
		return fmt.Errorf("sqlite quick_check: %w", err)
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("sqlite quick_check: %w", err)
		}
		if line != "ok" {
			found = append(found, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite quick_check: %w", err)
	}
	if len(found) > 0 {
		return fmt.Errorf("sqlite quick_check: %s", strings.Join(found, "; "))
	}
	return nil
}

// SchemaVersion is the schema version (PRAGMA user_version) this build
// writes: a database at a lower one is upgraded at start, a higher one is
// refused.
func SchemaVersion() int { return len(upgrades) }
