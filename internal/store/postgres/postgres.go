// Package postgres implements store.Store on PostgreSQL 14 or later with
// pgx v5, for deployments that run several Hookline instances on one
// database.
//
// Each write is one transaction whose statements are set-based (one
// statement over unnest'ed arrays) and pipelined (pgx.Batch), so a call
// costs a fixed number of round trips whatever its size. Ingest goes
// further, as the SQLite backend does: the events published at one moment
// share one transaction (group commit, see group.go), so they share one
// WAL flush. Where SQLite
// relies on its single writer, this backend relies on row locks:
//
//   - DeliveryClaim takes due deliveries FOR UPDATE SKIP LOCKED, so
//     concurrent claimers never get the same delivery and never wait.
//   - EventCreate holds a KEY SHARE lock on the webhooks it matches, as a
//     foreign key would, so a concurrent WebhookDelete either sees its new
//     deliveries (and fails them) or removes the webhook before the match.
//   - AttemptRecord locks the webhooks whose stats it changes, in ID order,
//     before anything else, so concurrent writers queue instead of
//     deadlocking. A transaction that still ends in a deadlock or a
//     serialization failure is run again.
//
// Two choices serve ingest throughput. stats.deliveries is kept in sharded
// counter rows rather than on the webhook row, so concurrent ingests for
// one webhook do not wait for each other's commits. And the wake-up on
// hookline_work is sent just after commit, coalesced, instead of inside the
// transaction: a transaction that notifies holds a cluster-wide lock until
// its commit is flushed, which would serialize every ingest (see listen.go).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/internal/filter"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// Options configure Open.
type Options struct {
	// Sealer encrypts webhook secrets at rest. Required.
	Sealer store.Sealer
	// Schema, when set, is the whole search path: Hookline's tables live
	// in it (it is created if missing) and its notification channels are
	// scoped to it, so several deployments, or tests, can share a database.
	Schema string
	// MaxConns bounds the connection pool (default: pgxpool's, the larger
	// of 4 and the number of CPUs).
	MaxConns int
}

// Store is the PostgreSQL backend.
type Store struct {
	pool   *pgxpool.Pool
	sealer store.Sealer
	schema string

	// ctx ends at Close; it stops the notifier and any Listen.
	ctx       context.Context
	cancel    context.CancelFunc
	closed    atomic.Bool
	closeOnce sync.Once

	kick         chan struct{} // a pending work wake-up, see wake
	woken        pendingWake   // whom it concerns
	notifierDone chan struct{}

	ingest     chan *ingestReq // EventCreate calls for the committers (group.go)
	committers sync.WaitGroup
	tenants    *knownTenants

	// filters are the webhooks' payload filters, parsed once.
	filters filter.Cache
	// health is what readiness knows of refused writes (Ping).
	health store.WriteHealth
	// roundTrips counts the pool's exchanges with the server.
	roundTrips *roundTrips
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a key=value
// DSN), applies the migrations it lacks and returns the store. A database
// that cannot be reached is an EUNAVAILABLE error.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if opts.Sealer == nil {
		return nil, errors.New("postgres: Options.Sealer is required")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse database URL: %w", err)
	}
	setSchema(cfg.ConnConfig, opts.Schema)
	rt := &roundTrips{}
	cfg.ConnConfig.DialFunc = rt.wrap(cfg.ConnConfig.DialFunc)
	if opts.MaxConns > 0 {
		cfg.MaxConns = int32(min(opts.MaxConns, math.MaxInt32))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open pool: %w", err)
	}
	err = pool.AcquireFunc(ctx, func(c *pgxpool.Conn) error {
		_, err := migrate(ctx, c.Conn(), opts.Schema)
		return err
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: migrate: %w", mapErr(err))
	}
	s := &Store{
		pool: pool, sealer: opts.Sealer, schema: opts.Schema,
		kick: make(chan struct{}, 1), notifierDone: make(chan struct{}),
		ingest: make(chan *ingestReq), tenants: newKnownTenants(), roundTrips: rt,
	}
	if err := s.sealPlainHeaders(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: seal webhook headers: %w", mapErr(err))
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.notifier()
	// Committers of other instances may share shards; those of this one
	// never do.
	first := randShard()
	for i := range int16(groupCommitters) {
		s.committers.Add(1)
		go s.committer((first + i) % counterShards)
	}
	return s, nil
}

// Migrate applies the migrations the database at url lacks, in schema
// ("" for the default search path), and returns the versions it applied.
// Open does the same; this is for a separate `hookline migrate` step.
func Migrate(ctx context.Context, url, schema string) ([]int, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse database URL: %w", err)
	}
	setSchema(cfg, schema)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", mapErr(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	applied, err := migrate(ctx, conn, schema)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", mapErr(err))
	}
	return applied, nil
}

func setSchema(cfg *pgx.ConnConfig, schema string) {
	if schema != "" {
		cfg.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	}
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations are the embedded files "NNNN_name.sql", in version order.
var migrations = mustLoadMigrations()

func mustLoadMigrations() []migration {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		panic(err)
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || !strings.HasSuffix(e.Name(), ".sql") {
			panic("postgres: migration file " + e.Name() + " is not named NNNN_name.sql")
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			panic(err)
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			panic("postgres: two migrations numbered " + strconv.Itoa(out[i].version))
		}
	}
	return out
}

// migrateLock is the first key of the advisory lock that migrations hold;
// the second is a hash of the schema, so deployments in different schemas
// migrate independently.
const migrateLock = 0x686c6d67 // "hlmg"

// migrate applies the missing migrations in one transaction. A
// transaction-level advisory lock makes instances starting together take
// turns: the first applies, the others then find nothing left to do.
func migrate(ctx context.Context, conn *pgx.Conn, schema string) ([]int, error) {
	return migrateTo(ctx, conn, schema, math.MaxInt)
}

// migrateTo is migrate up to version last: upgrade tests stop there to
// write rows as an older release would.
func migrateTo(ctx context.Context, conn *pgx.Conn, schema string, last int) ([]int, error) {
	var applied []int
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		applied = nil
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1,
			hashtext(COALESCE(NULLIF($2, ''), current_schema(), '')))`, migrateLock, schema); err != nil {
			return err
		}
		if schema != "" {
			// Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE
			// privilege even when the schema exists.
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`,
				schema).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				if _, err := tx.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize()); err != nil {
					return err
				}
			}
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return err
		}
		done, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return err
		}
		for _, m := range migrations {
			if slices.Contains(done, m.version) || m.version > last {
				continue
			}
			// Without arguments Exec uses the simple protocol, which runs
			// a file of several statements.
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("postgres: migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`,
				m.version, m.name); err != nil {
				return err
			}
			applied = append(applied, m.version)
		}
		return nil
	})
	return applied, err
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed
	}
	if err := s.fail(s.pool.Ping(ctx)); err != nil {
		return err
	}
	if _, failed := s.health.Failing(); failed != nil {
		return s.probe(ctx)
	}
	return nil
}

// probe is a write that needs new space (see store.WriteHealth): after a
// refused write, readiness comes back only once it commits.
func (s *Store) probe(ctx context.Context) error {
	_, err := s.exec(ctx, `INSERT INTO leaders (name, owner, until) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until`,
		store.ProbeLeader, store.ProbeValue(), time.Unix(0, 0))
	if err != nil {
		return err
	}
	s.health.Recovered()
	return nil
}

// Close stops the notifier and any Listen, and closes the pool once the
// calls in flight have returned their connections.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.cancel()
		<-s.notifierDone
		s.committers.Wait()
		s.pool.Close()
	})
	return nil
}

// maxTxTries bounds how often inTx runs a transaction that PostgreSQL
// aborted for a deadlock or a serialization failure.
const maxTxTries = 4

// inTx runs fn in a transaction and commits it. fn may run more than once,
// so it must reset whatever it reports to its caller.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	if s.closed.Load() {
		return errClosed
	}
	for try := 1; ; try++ {
		err := pgx.BeginFunc(ctx, s.pool, fn)
		if try < maxTxTries && (pgCode(err) == "40P01" || pgCode(err) == "40001") {
			continue
		}
		return s.fail(err)
	}
}

// txBatches runs a transaction of two pipelined batches: first, which
// opens it (BEGIN is sent with it), then what second queues once first's
// results are in, sent with COMMIT. Where inTx costs a round trip each for
// BEGIN and COMMIT besides the batches, this costs two in all. An error of
// second, or of any statement, rolls back. Both run again on a deadlock
// or serialization failure, so they must reset what they report.
func (s *Store) txBatches(ctx context.Context, first func(b *pgx.Batch), second func(b *pgx.Batch) error) error {
	if s.closed.Load() {
		return errClosed
	}
	for try := 1; ; try++ {
		err := s.pool.AcquireFunc(ctx, func(c *pgxpool.Conn) error {
			conn := c.Conn()
			var b pgx.Batch
			b.Queue("BEGIN")
			first(&b)
			err := conn.SendBatch(ctx, &b).Close()
			if err == nil {
				b = pgx.Batch{}
				if err = second(&b); err == nil {
					b.Queue("COMMIT")
					err = conn.SendBatch(ctx, &b).Close()
				}
			}
			if err != nil && conn.PgConn().TxStatus() != 'I' {
				// Best effort: the pool also destroys a connection
				// returned inside a transaction.
				_, _ = conn.Exec(ctx, "ROLLBACK")
			}
			return err
		})
		if try < maxTxTries && (pgCode(err) == "40P01" || pgCode(err) == "40001") {
			continue
		}
		return s.fail(err)
	}
}

// exec is inTx for one statement.
func (s *Store) exec(ctx context.Context, sql string, args ...any) (int64, error) {
	if s.closed.Load() {
		return 0, errClosed
	}
	tag, err := s.pool.Exec(ctx, sql, args...)
	return tag.RowsAffected(), s.fail(err)
}

// Errors are mapped here, at the edge, and nowhere else.

var (
	errClosed      = &webhook.Error{Code: webhook.EUNAVAILABLE, Message: "storage is closed"}
	errUnavailable = &webhook.Error{Code: webhook.EUNAVAILABLE, Message: "storage unavailable"}
)

// fail maps an error from pgx to the contract's: application errors pass,
// a closed store or an unreachable database becomes EUNAVAILABLE (wrapping
// the cause for the logs), anything else is returned as it is.
func (s *Store) fail(err error) error {
	if err != nil && s.closed.Load() {
		if _, ok := errors.AsType[*webhook.Error](err); !ok {
			return errClosed
		}
	}
	mapped := mapErr(err)
	if refused(err) {
		s.health.Failed(mapped, time.Now())
	}
	return mapped
}

// refused reports whether err says the database cannot take work now —
// unreachable, out of disk or connections — rather than that this one
// call was slow or abandoned: readiness turns on the former only.
func refused(err error) bool {
	return err != nil && unavailable(err) && !errors.Is(err, context.DeadlineExceeded) && !pgconn.Timeout(err)
}

func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*webhook.Error](err); ok {
		return err
	}
	if unavailable(err) {
		return fmt.Errorf("%w: %w", errUnavailable, err)
	}
	return err
}

// unavailable reports whether err says the database cannot be used right
// now (as opposed to refusing this statement).
func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false // the caller gave up; the database may be fine
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		switch pgErr.Code[:min(2, len(pgErr.Code))] { // the class
		case "08", // connection exception
			"53": // insufficient resources: too many connections, disk full
			return true
		}
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", // shutting down, cannot connect now
			"25006": // read-only transaction: a standby, e.g. during failover
			return true
		}
		return false
	}
	_, connect := errors.AsType[*pgconn.ConnectError](err)
	_, network := errors.AsType[net.Error](err)
	return connect || network || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

func pgCode(err error) string {
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pgErr.Code
	}
	return ""
}

// notFound turns "no rows" into ENOTFOUND for what, and maps other errors.
func (s *Store) notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return errNotFound(what)
	}
	return s.fail(err)
}

func errNotFound(what string) error {
	return &webhook.Error{Code: webhook.ENOTFOUND, Message: what + " not found"}
}

// Values at the edge.

type scanner interface{ Scan(dest ...any) error }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// nullTime is NULL for nil and the zero time, as in the SQLite backend.
func nullTime(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	return t
}

// cleanText makes s storable in a text column, which takes neither NUL
// bytes nor invalid UTF-8 (SQLite stores any bytes). It is for text that
// comes from outside: receivers' errors, captured requests.
func cleanText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// where builds a WHERE clause with numbered parameters.
type where struct {
	conds []string
	args  []any
}

// add appends a condition; "?" in cond stands for the next parameter.
func (w *where) add(cond string, v any) {
	w.args = append(w.args, v)
	w.conds = append(w.conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(w.args))))
}

// arg appends v and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// LatestMigration is the number of the last migration this build knows: a
// database with a later one was migrated by a newer Hookline.
func LatestMigration() int { return migrations[len(migrations)-1].version }
