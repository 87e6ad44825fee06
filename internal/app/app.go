// Package app is the composition root: it opens the storage backend named
// by the configuration, wires ingest, dispatch, the registry and the HTTP
// surface together, and runs them until told to stop.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookline/hookline/internal/alerting"
	"github.com/hookline/hookline/internal/api"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/catalog"
	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/deliver"
	// Destination types beyond HTTP register themselves (see ARCHITECTURE.md).
	_ "github.com/hookline/hookline/internal/deliver/kafka"
	_ "github.com/hookline/hookline/internal/deliver/mqtt"
	_ "github.com/hookline/hookline/internal/deliver/natsjs"
	_ "github.com/hookline/hookline/internal/deliver/rabbitmq"
	_ "github.com/hookline/hookline/internal/deliver/redisstream"
	"github.com/hookline/hookline/internal/dispatch"
	"github.com/hookline/hookline/internal/egress"
	"github.com/hookline/hookline/internal/ingest"
	"github.com/hookline/hookline/internal/inspect"
	"github.com/hookline/hookline/internal/maintain"
	"github.com/hookline/hookline/internal/metrics"
	"github.com/hookline/hookline/internal/notify"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/server"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/postgres"
	"github.com/hookline/hookline/internal/store/sqlite"
	"github.com/hookline/hookline/internal/tracing"
	"github.com/hookline/hookline/internal/transform"
	"github.com/hookline/hookline/internal/webhook"
)

// Build information, set at build time with -ldflags -X (see the Makefile).
var (
	Version   = "dev"
	Commit    = "unknown"
	BuildDate = "unknown"
)

// OpenStore opens the backend the configuration names. For SQLite the
// secret key comes from (in order) --secret-key, --secret-key-file, or
// DATA_DIR/secret.key, created on first start.
func OpenStore(cfg config.Config, log *slog.Logger) (store.Store, error) {
	if cfg.DatabaseURL != "" {
		if cfg.SecretKey == "" && cfg.SecretKeyFile == "" {
			// A key made per instance would leave each instance unable to
			// read the secrets the others stored.
			return nil, errors.New("--database-url: give every instance the same --secret-key-file " +
				"(or HOOKLINE_SECRET_KEY); create one with: head -c 32 /dev/urandom | base64 > hookline.key")
		}
		box, err := openBox(cfg, log)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{Sealer: box})
	}
	dbPath := filepath.Join(cfg.DataDir, "hookline.db")
	if err := checkDataDir(cfg, dbPath); err != nil {
		return nil, err
	}
	box, err := openBox(cfg, log)
	if err != nil {
		return nil, err
	}
	st, err := sqlite.Open(dbPath, sqlite.Options{Sealer: box})
	if err != nil {
		return nil, err
	}
	if err := checkIntegrity(st, dbPath, log); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// listener is a store that announces changes made by other instances
// (PostgreSQL LISTEN/NOTIFY).
type listener interface {
	Listen(ctx context.Context, channel string, fn func(payload string)) error
}

func openBox(cfg config.Config, log *slog.Logger) (*secretbox.Box, error) {
	var key []byte
	var err error
	switch {
	case cfg.SecretKey != "":
		key, err = secretbox.ParseKey(cfg.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("--secret-key: %w", err)
		}
	default:
		path := cfg.SecretKeyFile
		if path == "" {
			path = filepath.Join(cfg.DataDir, "secret.key")
		}
		var created bool
		key, created, err = secretbox.LoadOrCreateKey(path)
		if err != nil {
			return nil, fmt.Errorf("--secret-key-file: %w", err)
		}
		if created {
			log.Warn("created a new key for encrypting signing secrets at rest; back it up with the database, without it stored secrets cannot be read", "path", path)
		}
	}
	return secretbox.New(key)
}

// App is a running Hookline server.
type App struct {
	cfg        config.Config
	log        *slog.Logger
	store      store.Store
	dispatcher *dispatch.Dispatcher
	// senders hold the broker destinations' connections.
	senders *deliver.Senders
	// transforms is the transform sandbox's worker processes.
	transforms *transform.Pool
	notifier   *notify.Notifier
	alerts     *alerting.Service
	handler    http.Handler
	inflight   server.Tracker
	unlock     func()
	// stopTracing flushes spans not yet exported.
	stopTracing func(context.Context) error

	mu       sync.Mutex
	stopping bool
	// unready is what readiness last said of storage (noteReadiness).
	unready bool
	// guard is the egress guard of deliveries and of webhook URLs; Run
	// tells it the server's own addresses.
	guard *egress.Guard
	// insp is the request inspector: its custom response delays end when
	// the server begins shutting down.
	insp *inspect.Inspector
}

// New opens storage and builds every component. Call Run to serve.
func New(cfg config.Config, log *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	unlock := func() {}
	if cfg.DatabaseURL == "" {
		var err error
		if unlock, err = lockDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
		// With the lock held no other process writes the log, so what
		// checkWAL reads is what SQLite is about to recover.
		if err := checkWAL(filepath.Join(cfg.DataDir, "hookline.db"), log); err != nil {
			unlock()
			return nil, err
		}
	}
	st, err := OpenStore(cfg, log)
	if err != nil {
		unlock()
		return nil, err
	}
	a, err := build(cfg, log, st)
	if err != nil {
		st.Close()
		unlock()
		return nil, err
	}
	a.unlock = unlock
	return a, nil
}

func build(cfg config.Config, log *slog.Logger, st store.Store) (_ *App, err error) {
	ctx := context.Background()
	builtin, err := catalog.Builtin()
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	for i := range builtin {
		builtin[i].CreatedAt = now
	}
	builtin = append(builtin, notify.Types(now)...)
	if err := st.EventTypeSeed(ctx, builtin); err != nil {
		return nil, fmt.Errorf("loading the built-in event catalog: %w", err)
	}

	guard := egress.NewGuard(cfg.AllowPrivateTargets)
	client := egress.NewClient(egress.Config{
		AllowPrivate: cfg.AllowPrivateTargets, Guard: guard, Timeout: cfg.DeliveryTimeout,
	})
	// One pool of sandbox processes serves deliveries, saves and tests;
	// it starts none until a webhook has a transform.
	transforms := transform.NewPool(transform.PoolConfig{
		Workers: cfg.TransformWorkers, Memory: int64(cfg.TransformMemoryMB) << 20, Logger: log,
	})
	senders, err := deliver.Open(deliver.Config{
		Client: client, Version: Version, Timeout: cfg.DeliveryTimeout, MaxResponseBody: cfg.MaxResponseBody,
		Dial:      egress.NewDialer(egress.Config{AllowPrivate: cfg.AllowPrivateTargets}),
		Transform: transformLimits(cfg), Transforms: transforms,
	})
	if err != nil {
		return nil, err
	}
	owner := webhook.NewID("inst_")
	tp, stopTracing, err := tracing.Setup(ctx, tracing.Settings{
		Mode: cfg.Tracing, Version: Version, Instance: owner, Logger: log, Getenv: config.Getenv,
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			stopTracing(ctx)
		}
	}()
	tracer := tp.Tracer(tracing.Scope, trace.WithInstrumentationVersion(Version))
	a := &App{cfg: cfg, log: log, store: st, senders: senders, stopTracing: stopTracing, guard: guard, transforms: transforms}
	var m *metrics.Metrics
	d := dispatch.New(dispatch.Config{
		Store: st, Sender: senders, Owner: owner, Tracer: tracer,
		RetrySchedule: cfg.RetrySchedule, PerWebhook: cfg.PerWebhook, Workers: cfg.Workers,
		QueueCapacity: cfg.QueueCapacity, LeaseDuration: cfg.LeaseDuration,
		ShutdownTimeout: cfg.ShutdownTimeout, AttemptTimeout: cfg.DeliveryTimeout, Logger: log,
		Members: members(cfg, st),
		// An SQLite data directory has one server (the data directory
		// lock): any lease at start is left over from a run that died.
		SoleOwner: cfg.DatabaseURL == "",
		Observer: dispatch.Observer{
			Attempt: func(at *webhook.Attempt, o store.Outcome) {
				m.Attempt(at, o)
				if o == store.OutcomeFailed {
					a.notifier.DeliveryFailed(at)
				}
			},
			Disabled: func(w webhook.Webhook, reason string) {
				a.notifier.WebhookDisabled(w, reason)
				a.alerts.Disabled(w, reason)
			},
			Handoff:  func(r string) { m.Handoff(r) },
			LaneFull: func(n int) { m.LaneFull(n) },
			Claim:    func(n int, noRoom bool) { m.Claim(n, noRoom) },
			Started:  func(handed bool, q, p time.Duration) { m.Started(handed, q, p) },
		},
	})
	src := metrics.Sources{Queued: d.Queued, Counts: st.DeliveryCounts,
		SandboxStarted: func() int64 { return transforms.Stats().Started },
		SandboxStopped: func() int64 { return transforms.Stats().Stopped }}
	if rt, ok := st.(interface{ RoundTrips() int64 }); ok {
		src.RoundTrips = rt.RoundTrips
	}
	m = metrics.New(src)
	a.dispatcher = d
	ing := ingest.New(ingest.Config{
		Store: st, Handoff: d, IdempotencyWindow: cfg.IdempotencyWindow, Published: m.Published,
		MaxHops: cfg.MaxHops,
		Tracer:  tracer,
	})
	a.notifier = notify.New(ing, log)
	a.alerts = alerting.New(alerting.Config{
		Store: st, Owner: owner, Client: client, Guard: guard,
		Dial:           egress.NewDialer(egress.Config{AllowPrivate: cfg.AllowPrivateTargets}),
		SMTP:           alerting.SMTP{URL: cfg.SMTPURL, From: cfg.SMTPFrom},
		FailurePercent: cfg.AlertFailurePercent, Window: cfg.AlertWindow, MinAttempts: cfg.AlertMinAttempts,
		Repeat: cfg.AlertRepeat, Interval: cfg.AlertCheckInterval, Backoff: cfg.AlertRetrySchedule,
		PublicURL: cfg.PublicURL, Logger: log,
	})
	insp, err := a.newInspector(st, client)
	if err != nil {
		return nil, err
	}
	a.insp = insp
	reg := registry.New(registry.Config{
		Internal: insp.Internal,
		Store:    st, Guard: guard, Sender: senders, Webhooks: registry.Invalidators{d, senders}, Forget: ing.Forget,
		RotationOverlap: cfg.RotationOverlap, TenantsStrict: cfg.TenantsStrict, Logger: log,
		Transform: transformLimits(cfg), Transforms: transforms,
	})
	authn := auth.NewAuthenticator(st, 2*time.Second, nil)
	keys := auth.NewKeys(auth.KeysConfig{Store: st, Audit: st, Forget: authn.Forget, Logger: log,
		TenantKnown: registry.TenantCheck(st, cfg.TenantsStrict)})
	portals := auth.NewPortals(auth.PortalsConfig{Store: st, Audit: st, AllowedOrigins: cfg.PortalAllowedOrigins, Logger: log})
	users := auth.NewUsers(auth.UsersConfig{Store: st, Logger: log})
	rest := api.New(api.Config{
		Users: users,
		Store: st, Ingest: ing, Registry: reg, Auth: authn, Keys: keys, Wake: d.Wake, Logger: log,
		Limiter:       auth.NewLimiter(cfg.APIRateLimit, cfg.APIRateBurst, nil),
		MaxEventBytes: cfg.MaxEventBytes, ServerName: serverName(), Version: Version, Bins: insp,
		TenantsStrict: cfg.TenantsStrict, Portals: portals, PublicURL: cfg.PublicURL, Alerts: a.alerts,
	})
	mux := http.NewServeMux()
	rest.Register(mux)
	mux.Handle("GET /api/openapi.json", api.OpenAPIHandler())
	mux.Handle("GET /metrics", m.Handler())
	server.Health(mux, a.ready, a.readyFull)
	if err := a.mountDashboard(mux, st, reg, d, insp, keys, portals, users); err != nil {
		return nil, err
	}
	var reqTracer trace.Tracer // nil: requests are not traced, nor callers' trace context kept
	if tracing.Enabled(tp) {
		reqTracer = tracer
	}
	a.handler = a.inflight.Wrap(server.Middleware(mux, log, cfg.TrustedProxies, reqTracer))
	return a, nil
}

// members shares work between instances on a shared database; an SQLite
// database has one server (the data directory lock), so no sharding.
func members(cfg config.Config, st store.Store) dispatch.Members {
	if cfg.DatabaseURL == "" {
		return nil
	}
	return st
}

// Handler is the whole HTTP surface.
func (a *App) Handler() http.Handler { return a.handler }

// Store is the app's storage backend.
func (a *App) Store() store.Store { return a.store }

func (a *App) ready(ctx context.Context) error {
	a.mu.Lock()
	stopping := a.stopping
	a.mu.Unlock()
	if stopping {
		return errors.New("shutting down")
	}
	err := a.store.Ping(ctx)
	a.noteReadiness(err)
	return err
}

// noteReadiness logs when readiness changes because of storage, once per
// change: a probe every few seconds must not write a line each time.
func (a *App) noteReadiness(err error) {
	down := webhook.ErrorCode(err) == webhook.EUNAVAILABLE
	a.mu.Lock()
	changed := down != a.unready
	a.unready = down
	a.mu.Unlock()
	switch {
	case changed && down:
		a.log.Warn("not ready: storage refuses work", "err", err)
	case changed:
		a.log.Info("ready again: storage takes writes")
	}
}

// readyFull is ready plus the database's integrity check (SQLite's
// quick_check; PostgreSQL keeps its own).
func (a *App) readyFull(ctx context.Context) error {
	if err := a.ready(ctx); err != nil {
		return err
	}
	if c, ok := a.store.(interface{ QuickCheck(context.Context) error }); ok {
		if err := c.QuickCheck(ctx); err != nil {
			a.log.Error("the database fails its integrity check; restore it from a backup", "err", err)
			return err
		}
	}
	return nil
}

// Run serves on ln and delivers until ctx ends, then shuts down gracefully:
// readiness fails, the listener stops accepting, requests in flight finish,
// attempts in flight finish (within the shutdown timeout), their results are
// stored, unstarted work is released, and storage is closed.
func (a *App) Run(ctx context.Context, ln net.Listener) error {
	defer a.unlock()
	if a.guard != nil {
		addrs, hosts := selfAddresses(ln.Addr(), a.cfg.PublicURL)
		a.guard.SetSelf(addrs, hosts)
	}
	defer a.store.Close()
	if a.insp != nil {
		stopInsp := context.AfterFunc(ctx, a.insp.Close)
		defer stopInsp()
	}
	// After the last attempt (the dispatcher stops first), before storage.
	defer a.senders.Close()
	defer a.transforms.Close()
	dctx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDispatch()
	derr := make(chan error, 1)
	go func() { derr <- a.dispatcher.Run(dctx) }()
	if l, ok := a.store.(listener); ok {
		lctx, stopListen := context.WithCancel(ctx)
		defer stopListen()
		// Work announced by other instances (new events for our shards,
		// retries, replays) wakes the dispatcher at once, unless it names
		// only other instances' shards; webhook changes drop the cached
		// copy ("" after a reconnect: drop everything).
		go l.Listen(lctx, postgres.ChannelWork, func(payload string) {
			if count, index := a.dispatcher.Shard(); postgres.WorkConcerns(payload, count, index) {
				a.dispatcher.Wake()
			}
		})
		go l.Listen(lctx, postgres.ChannelWebhooks, a.dispatcher.Invalidate)
	}
	mctx, stopMaint := context.WithCancel(ctx)
	defer stopMaint()
	go maintain.Run(mctx, maintain.Config{
		Store: a.store, Owner: a.dispatcher.Owner(), Interval: a.cfg.MaintenanceInterval,
		AutoDisableAfter: a.cfg.AutoDisableAfter, Retention: a.cfg.Retention, BodyRetention: a.cfg.BodyRetention,
		Disabled: func(_ context.Context, w webhook.Webhook, reason string) {
			a.dispatcher.Invalidate(w.ID)
			a.notifier.WebhookDisabled(w, reason)
			a.alerts.Disabled(w, reason)
		},
		BacklogThreshold: a.cfg.BacklogAlert, BacklogHigh: a.notifier.Backlog, BacklogCounted: a.alerts.Backlog,
		Logger: a.log,
	})
	go a.notifier.Run(mctx)
	go a.alerts.Run(mctx)

	if a.cfg.PprofAddr != "" {
		stopPprof, err := servePprof(a.cfg.PprofAddr, a.log)
		if err != nil {
			return err
		}
		defer stopPprof()
	}
	a.log.Info("listening", "addr", ln.Addr().String(), "version", Version)
	srv := server.New(a.handler, a.log)
	serr := server.Serve(ctx, srv, ln, server.TLS{CertFile: a.cfg.TLSCert, KeyFile: a.cfg.TLSKey}, a.cfg.ShutdownTimeout)
	a.mu.Lock()
	a.stopping = true
	a.mu.Unlock()
	stopMaint()
	stopDispatch()
	err := <-derr
	if !a.inflight.Wait(5 * time.Second) {
		a.log.Warn("shutdown: requests still running after the server closed; closing storage anyway")
	}
	// Spans of the last attempts go out before the process ends.
	tctx, cancelTrace := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancelTrace()
	if terr := a.stopTracing(tctx); terr != nil {
		a.log.Warn("shutdown: flushing trace spans failed", "err", terr)
	}
	a.log.Info("stopped")
	return errors.Join(serr, err)
}

// serverName names this server for GET /api/v1/me.
func serverName() string {
	if h, err := os.Hostname(); err == nil {
		return "Hookline on " + h
	}
	return "Hookline"
}

// LockDataDir takes the data directory's server lock, for commands that
// must not run beside a server (restore).
func LockDataDir(dir string) (func(), error) { return lockDataDir(dir) }

// Listen opens the configured address.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--addr %s: %w", addr, err)
	}
	return ln, nil
}

// ensureDir creates the data directory with private permissions.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("--data-dir %s: %w", dir, err)
	}
	return nil
}

// transformLimits bound each run of a webhook's transform: the configured
// time, a body as large as an accepted event (at least 1 MiB), and an
// allocation budget of the sandbox's memory bound, so that a run which
// allocates that much is stopped before its worker has to die of it.
func transformLimits(cfg config.Config) transform.Limits {
	return transform.Limits{Timeout: cfg.TransformTimeout, MaxOutput: int(max(cfg.MaxEventBytes, 1<<20)),
		Memory: int64(cfg.TransformMemoryMB) << 20}
}
