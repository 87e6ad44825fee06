package postgres_test

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/postgres"
	"github.com/hookline/hookline/internal/store/postgres/pgtest"
	"github.com/hookline/hookline/internal/store/storetest"
	"github.com/hookline/hookline/internal/webhook"
)

// proxy forwards TCP connections to PostgreSQL and can cut them, so that
// tests break the database connection at a point of their choosing.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]bool
}

// startProxy starts a proxy to the test database and returns it with the
// database URL that goes through it.
func startProxy(t *testing.T) (*proxy, string) {
	t.Helper()
	u, err := url.Parse(pgtest.URL())
	if err != nil || u.Host == "" {
		t.Skipf("HOOKLINE_TEST_DATABASE_URL is not a URL with a host: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	p := &proxy{ln: ln, target: u.Host, conns: map[net.Conn]bool{}}
	if u.Port() == "" {
		p.target = net.JoinHostPort(u.Hostname(), "5432")
	}
	go p.serve()
	t.Cleanup(p.Close)
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *proxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	go func() {
		io.Copy(up, c)
		up.Close()
		c.Close()
	}()
	io.Copy(c, up)
	c.Close()
	up.Close()
}

// Drop cuts every connection made so far; new ones are still accepted.
func (p *proxy) Drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Close stops accepting and cuts every connection: the database is gone.
func (p *proxy) Close() {
	p.ln.Close()
	p.Drop()
}

func TestUnavailable(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	wantUnavailable := func(t *testing.T, what string, err error) {
		t.Helper()
		if code := webhook.ErrorCode(err); code != webhook.EUNAVAILABLE {
			t.Errorf("%s: code %q (%v), want %q", what, code, err, webhook.EUNAVAILABLE)
		}
	}

	t.Run("ClosedPort", func(t *testing.T) {
		t.Parallel()
		prx, viaProxy := startProxy(t)
		prx.Close()
		_, err := postgres.Open(ctx, viaProxy, postgres.Options{Sealer: storetest.Sealer{}, Schema: "hl_never"})
		wantUnavailable(t, "Open", err)
		_, err = postgres.Migrate(ctx, viaProxy, "hl_never")
		wantUnavailable(t, "Migrate", err)
	})

	t.Run("ConnectionLost", func(t *testing.T) {
		t.Parallel()
		prx, viaProxy := startProxy(t)
		s := openStore(t, viaProxy, pgtest.NewSchema(t))
		w := newWebhook()
		if err := s.WebhookCreate(ctx, w, "whsec_x"); err != nil {
			t.Fatalf("WebhookCreate: %v", err)
		}
		prx.Close()
		for name, call := range map[string]func() error{
			"Ping": func() error { return s.Ping(ctx) },
			"EventCreate": func() error {
				_, err := s.EventCreate(ctx, store.EventCreateParams{Event: newEvent("k")})
				return err
			},
			"WebhookGet": func() error { _, err := s.WebhookGet(ctx, auth.AllTenants(), w.ID); return err },
			"DeliveryClaim": func() error {
				_, err := s.DeliveryClaim(ctx, store.DeliveryClaimParams{Lease: store.Lease{Owner: "a", Until: t0}, Now: t0, Limit: 1})
				return err
			},
			"AttemptRecord": func() error {
				return s.AttemptRecord(ctx, []store.AttemptResult{{Attempt: webhook.Attempt{
					ID: webhook.NewID(webhook.PrefixAttempt), WebhookID: w.ID, Test: true, StartedAt: t0}}})
			},
		} {
			wantUnavailable(t, name+" with the database gone", call())
		}
	})

	t.Run("Closed", func(t *testing.T) {
		t.Parallel()
		s, err := postgres.Open(ctx, pgtest.URL(), postgres.Options{Sealer: storetest.Sealer{}, Schema: pgtest.NewSchema(t)})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		_, err = s.EventCreate(ctx, store.EventCreateParams{Event: newEvent("")})
		wantUnavailable(t, "EventCreate after Close", err)
		wantUnavailable(t, "Ping after Close", s.Ping(ctx))
		_, err = s.EventGet(ctx, auth.AllTenants(), "evt_x")
		wantUnavailable(t, "EventGet after Close", err)
		wantUnavailable(t, "Listen after Close", s.Listen(ctx, postgres.ChannelWork, func(string) {}))
	})
}
