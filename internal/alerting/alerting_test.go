package alerting

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/hookline/hookline/internal/alert"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/egress"
	"github.com/hookline/hookline/internal/fakeclock"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/sqlite/sqlitetest"
	"github.com/hookline/hookline/internal/webhook"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// slackReceiver is a Slack-style incoming webhook on loopback.
type slackReceiver struct {
	*httptest.Server
	texts  chan string
	status int
}

func newSlack(t *testing.T, status int) *slackReceiver {
	r := &slackReceiver{texts: make(chan string, 100), status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body struct{ Text string }
		json.NewDecoder(req.Body).Decode(&body)
		r.texts <- body.Text
		w.WriteHeader(r.status)
	}))
	t.Cleanup(r.Close)
	return r
}

// mailServer is an SMTP server on loopback offering STARTTLS and AUTH
// PLAIN (user "alerts", password "s3cret").
type mailServer struct {
	addr  string
	mails chan mailed
	roots *tls.Config
}

type mailed struct {
	from string
	to   []string
	data string
	tls  bool
}

type mailSession struct {
	srv  *mailServer
	conn *gosmtp.Conn
	m    mailed
	auth bool
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "alerts" || pass != "s3cret" {
			return errors.New("bad credentials")
		}
		s.auth = true
		return nil
	}), nil
}
func (s *mailSession) Mail(from string, _ *gosmtp.MailOptions) error {
	if !s.auth {
		return gosmtp.ErrAuthRequired
	}
	s.m.from = from
	return nil
}
func (s *mailSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	s.m.to = append(s.m.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.m.data = string(b)
	_, s.m.tls = s.conn.TLSConnectionState()
	s.srv.mails <- s.m
	return err
}
func (s *mailSession) Reset()        { s.m = mailed{} }
func (s *mailSession) Logout() error { return nil }

func newMailServer(t *testing.T) *mailServer {
	ts := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(ts.Close)
	ms := &mailServer{mails: make(chan mailed, 100),
		roots: &tls.Config{RootCAs: ts.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(c *gosmtp.Conn) (gosmtp.Session, error) {
		return &mailSession{srv: ms, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = ts.TLS
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ms
}

type harness struct {
	t     *testing.T
	ctx   context.Context
	st    store.Store
	clock *fakeclock.Clock
	svc   *Service
	done  chan error
	logs  *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newHarness(t *testing.T, smtp SMTP, adjust ...func(*Config)) *harness {
	st := sqlitetest.Open(t)
	clock := fakeclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	logs := &lockedBuffer{}
	guard := egress.NewGuard(loopback)
	cfg := Config{Store: st, Owner: "inst_a", Guard: guard,
		Client: egress.NewClient(egress.Config{Guard: guard}),
		Dial:   egress.NewDialer(egress.Config{AllowPrivate: loopback}),
		SMTP:   smtp, Backoff: []time.Duration{time.Millisecond, time.Millisecond},
		Now: clock.Now, Logger: slog.New(slog.NewTextHandler(logs, nil)), PublicURL: "https://hooks.example.com"}
	for _, a := range adjust {
		a(&cfg)
	}
	h := &harness{t: t, ctx: t.Context(), st: st, clock: clock, svc: New(cfg), done: make(chan error, 100), logs: logs}
	h.svc.sent = func(_ job, err error) { h.done <- err }
	for range 2 {
		go h.svc.sendLoop(h.ctx)
	}
	return h
}

func (h *harness) channel(in alert.Input) alert.Channel {
	h.t.Helper()
	c, err := h.svc.Check(h.ctx, in)
	if err != nil {
		h.t.Fatalf("Check(%+v): %v", in, err)
	}
	if err := h.st.AlertChannelCreate(h.ctx, c); err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (h *harness) webhook(tenant string) (webhook.Webhook, webhook.Delivery) {
	h.t.Helper()
	now := h.clock.Now()
	if tenant != webhook.DefaultTenant {
		if err := h.st.TenantCreate(h.ctx, webhook.Tenant{ID: tenant, Name: tenant, ContactEmail: "ops@" + tenant + ".example",
			CreatedAt: now, UpdatedAt: now}); err != nil {
			h.t.Fatal(err)
		}
	}
	w := webhook.Webhook{ID: webhook.NewID(webhook.PrefixWebhook), Tenant: tenant, Name: "CRM sync",
		URL: "https://crm.example.com/hooks?token=secret", Events: []string{"*"}, Active: true,
		Headers: map[string]string{}, Format: webhook.FormatEnvelope, CreatedAt: now, UpdatedAt: now}
	if err := h.st.WebhookCreate(h.ctx, w, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"); err != nil {
		h.t.Fatal(err)
	}
	res, err := h.st.EventCreate(h.ctx, store.EventCreateParams{Event: webhook.Event{ID: webhook.NewID(webhook.PrefixEvent),
		Tenant: tenant, Type: "order.created", Data: json.RawMessage(`{}`), CreatedAt: now}})
	if err != nil || len(res.Deliveries) != 1 {
		h.t.Fatalf("EventCreate: %v, %d deliveries", err, len(res.Deliveries))
	}
	return w, res.Deliveries[0]
}

// attempts records n attempts of d answered status, a second apart.
func (h *harness) attempts(d webhook.Delivery, n, status int) {
	h.t.Helper()
	var rs []store.AttemptResult
	for range n {
		h.clock.Add(time.Second)
		a := webhook.Attempt{ID: webhook.NewID(webhook.PrefixAttempt), DeliveryID: d.ID, WebhookID: d.WebhookID,
			EventID: d.EventID, EventType: d.EventType, Number: 1, StartedAt: h.clock.Now(), StatusCode: status,
			URL: "https://crm.example.com/hooks"}
		if status != 200 {
			a.ErrorClass = webhook.ErrClassHTTPStatus
		}
		rs = append(rs, store.AttemptResult{Attempt: a, Outcome: store.OutcomeRetry, NextAttemptAt: h.clock.Now().Add(time.Hour)})
	}
	if err := h.st.AttemptRecord(h.ctx, rs); err != nil {
		h.t.Fatal(err)
	}
}

// observed writes what the service was told (Disabled, Backlog).
func (h *harness) observed() {
	h.t.Helper()
	for {
		select {
		case fn := <-h.svc.observed:
			if err := fn(h.ctx); err != nil {
				h.t.Fatal(err)
			}
		default:
			return
		}
	}
}

// round runs one check and waits for the n messages it sends.
func (h *harness) round(n int) []error {
	h.t.Helper()
	h.observed()
	h.svc.Round(h.ctx)
	var errs []error
	for range n {
		select {
		case err := <-h.done:
			errs = append(errs, err)
		case <-time.After(10 * time.Second):
			h.t.Fatalf("only %d of %d messages were sent", len(errs), n)
		}
	}
	return errs
}

func recv[T any](t *testing.T, ch chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s arrived", what)
	}
	panic("unreachable")
}

func none[T any](t *testing.T, ch chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %s: %v", what, v)
	default:
	}
}

// TestLifecycle: an endpoint fails, is disabled and recovers; Slack and
// e-mail each get exactly one failing, one disabled and one recovery
// message, the tenant's contact e-mail too, and nothing more.
func TestLifecycle(t *testing.T) {
	slack := newSlack(t, http.StatusOK)
	ms := newMailServer(t)
	h := newHarness(t, SMTP{URL: "smtp://alerts:s3cret@" + ms.addr, From: "hookline@example.com", TLS: ms.roots})
	h.channel(alert.Input{Type: alert.TypeSlack, URL: slack.URL + "/services/T1/B2/abc",
		Kinds: []alert.Kind{alert.KindFailing, alert.KindDisabled}})
	h.channel(alert.Input{Type: alert.TypeEmail, To: []string{"oncall@example.com"},
		Kinds: []alert.Kind{alert.KindFailing, alert.KindDisabled}})
	w, d := h.webhook("acme")
	// 3 jobs per message: Slack, the channel's e-mail, the tenant's.
	const perMessage = 3
	expect := func(what, want string) {
		t.Helper()
		if text := recv(t, slack.texts, "slack "+what); !strings.Contains(text, want) {
			t.Fatalf("slack %s: %q does not say %q", what, text, want)
		}
		got := map[string]bool{}
		for range 2 {
			m := recv(t, ms.mails, "mail "+what)
			if !m.tls || m.from != "hookline@example.com" || !strings.Contains(m.data, want) {
				t.Fatalf("mail %s: %+v, want it over STARTTLS from hookline@example.com saying %q", what, m, want)
			}
			got[strings.Join(m.to, ",")] = true
		}
		if !got["oncall@example.com"] || !got["ops@acme.example"] {
			t.Fatalf("mail %s went to %v, want the channel's and the tenant's address", what, got)
		}
		none(t, slack.texts, "slack message")
		none(t, ms.mails, "mail")
	}

	h.attempts(d, 9, 500)
	h.round(0) // 9 attempts: under the minimum
	none(t, slack.texts, "slack message")
	h.attempts(d, 1, 500)
	h.round(perMessage)
	expect("failing", `Webhook "CRM sync" is failing`)
	h.attempts(d, 5, 500)
	h.round(0) // still failing: told once

	h.svc.Disabled(w, "endpoint answered 410 Gone")
	h.round(perMessage)
	expect("disabled", `was disabled`)

	h.clock.Add(time.Minute)
	h.attempts(d, 1, 200)
	h.round(perMessage)
	expect("recovery", `recovered`)
	h.round(0)

	// Failing again within the hour: suppressed, and so is its recovery.
	h.attempts(d, 10, 500)
	h.round(0)
	h.attempts(d, 1, 200)
	h.round(0)
	none(t, slack.texts, "slack message")
	// An hour later it is told again.
	h.clock.Add(time.Hour)
	h.attempts(d, 10, 500)
	h.round(perMessage)
	expect("failing again", "is failing")
	if strings.Contains(h.logs.String(), "level=WARN") {
		t.Fatalf("warnings logged:\n%s", h.logs)
	}
}

// TestSlackMessage: the text names the webhook, its host (not its URL:
// the query holds a token) and links to its page.
func TestSlackMessage(t *testing.T) {
	slack := newSlack(t, http.StatusOK)
	h := newHarness(t, SMTP{})
	h.channel(alert.Input{Type: alert.TypeSlack, URL: slack.URL, Kinds: []alert.Kind{alert.KindDisabled}})
	w, _ := h.webhook(webhook.DefaultTenant)
	h.svc.Disabled(w, "endpoint answered 410 Gone")
	h.round(1)
	text := recv(t, slack.texts, "slack message")
	for _, want := range []string{`[Hookline] Webhook "CRM sync" was disabled`, "endpoint answered 410 Gone", w.ID,
		"crm.example.com", "https://hooks.example.com/webhooks/" + w.ID} {
		if !strings.Contains(text, want) {
			t.Errorf("message %q lacks %q", text, want)
		}
	}
	if strings.Contains(text, "token=secret") {
		t.Errorf("message %q shows the webhook's URL query", text)
	}
}

// TestKindsAndTenants: a channel gets only its kinds and, with a tenant,
// only that tenant's webhooks.
func TestKindsAndTenants(t *testing.T) {
	all, acme, failing := newSlack(t, 200), newSlack(t, 200), newSlack(t, 200)
	h := newHarness(t, SMTP{})
	h.channel(alert.Input{Type: alert.TypeSlack, URL: all.URL, Kinds: []alert.Kind{alert.KindDisabled, alert.KindBacklog}})
	w1, _ := h.webhook("acme")
	w2, _ := h.webhook("globex")
	h.channel(alert.Input{Type: alert.TypeSlack, URL: acme.URL, Kinds: []alert.Kind{alert.KindDisabled}, Tenant: "acme"})
	h.channel(alert.Input{Type: alert.TypeSlack, URL: failing.URL, Kinds: []alert.Kind{alert.KindFailing}})
	h.svc.Disabled(w1, "gone")
	h.svc.Disabled(w2, "gone")
	h.round(3)
	recv(t, all.texts, "all: acme's")
	recv(t, all.texts, "all: globex's")
	if text := recv(t, acme.texts, "acme's"); !strings.Contains(text, w1.ID) {
		t.Fatalf("the acme channel got %q", text)
	}
	none(t, acme.texts, "message to acme about globex")
	none(t, failing.texts, "disabled message to a failing-only channel")

	h.svc.Backlog(500, 100, h.clock.Now())
	h.round(1)
	if text := recv(t, all.texts, "backlog"); !strings.Contains(text, "Delivery backlog high") ||
		!strings.Contains(text, "500 deliveries pending") {
		t.Fatalf("backlog message %q", text)
	}
	h.svc.Backlog(50, 100, h.clock.Now())
	h.round(1)
	if text := recv(t, all.texts, "backlog recovery"); !strings.Contains(text, "back to normal") {
		t.Fatalf("backlog recovery message %q", text)
	}
}

// TestDeadChannels: a Slack URL answering 500 and an SMTP server that is
// gone cost the bounded tries and one log line each.
func TestDeadChannels(t *testing.T) {
	count := 0
	var mu sync.Mutex
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		count++
		mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(dead.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := ln.Addr().String()
	ln.Close()
	h := newHarness(t, SMTP{URL: "smtp://" + gone, From: "hookline@example.com"})
	h.channel(alert.Input{Type: alert.TypeSlack, URL: dead.URL, Kinds: []alert.Kind{alert.KindDisabled}})
	h.channel(alert.Input{Type: alert.TypeEmail, To: []string{"oncall@example.com"}, Kinds: []alert.Kind{alert.KindDisabled}})
	w, _ := h.webhook(webhook.DefaultTenant)
	h.svc.Disabled(w, "gone")
	for _, err := range h.round(2) {
		if err == nil {
			t.Fatal("a dead channel's message counted as sent")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if count != 3 {
		t.Errorf("the dead Slack URL was tried %d times, want 3 (one and two retries)", count)
	}
	logs := h.logs.String()
	if n := strings.Count(logs, "alert not sent"); n != 2 {
		t.Errorf("logged %d 'alert not sent' lines, want 2 (one per channel):\n%s", n, logs)
	}
	if !strings.Contains(logs, "500 Internal Server Error") || !strings.Contains(logs, "connecting to the SMTP server") {
		t.Errorf("the log lines do not say why:\n%s", logs)
	}
	if strings.Contains(logs, dead.URL) {
		t.Errorf("the log shows the Slack URL (a secret):\n%s", logs)
	}
}

// TestCheck: bad channels are refused naming the field; the egress guard
// and the SMTP setup are checked.
func TestCheck(t *testing.T) {
	h := newHarness(t, SMTP{}, func(c *Config) { c.Guard = egress.NewGuard(nil) })
	for _, c := range []struct {
		in    alert.Input
		field string
	}{
		{alert.Input{Type: "pager", Kinds: []alert.Kind{alert.KindFailing}}, "type"},
		{alert.Input{Type: alert.TypeSlack, Kinds: []alert.Kind{alert.KindFailing}}, "url"},
		{alert.Input{Type: alert.TypeSlack, URL: "ftp://x", Kinds: []alert.Kind{alert.KindFailing}}, "url"},
		{alert.Input{Type: alert.TypeSlack, URL: "http://127.0.0.1:9/x", Kinds: []alert.Kind{alert.KindFailing}}, "url"},
		{alert.Input{Type: alert.TypeSlack, URL: "https://hooks.slack.com/x"}, "kinds"},
		{alert.Input{Type: alert.TypeSlack, URL: "https://hooks.slack.com/x", Kinds: []alert.Kind{"webhook.slow"}}, "kinds[0]"},
		{alert.Input{Type: alert.TypeEmail, To: []string{"ops@example.com"}, Kinds: []alert.Kind{alert.KindFailing}}, "type"},
		{alert.Input{Type: alert.TypeEmail, To: []string{"not an address"}, Kinds: []alert.Kind{alert.KindFailing}}, "to[0]"},
		{alert.Input{Type: alert.TypeSlack, URL: "https://hooks.slack.com/x", Kinds: []alert.Kind{alert.KindFailing}, Tenant: "nobody"}, "tenant"},
		{alert.Input{Type: alert.TypeSlack, URL: "https://hooks.slack.com/x", Kinds: []alert.Kind{alert.KindBacklog}, Tenant: "acme"}, "kinds"},
	} {
		_, err := h.svc.Check(h.ctx, c.in)
		e, ok := errors.AsType[*webhook.Error](err)
		if !ok {
			t.Errorf("Check(%+v) = %v, want a field error", c.in, err)
			continue
		}
		var fields []string
		for _, p := range e.Problems() {
			fields = append(fields, p.Field)
		}
		if !strings.Contains(","+strings.Join(fields, ",")+",", ","+c.field+",") {
			t.Errorf("Check(%+v) names %v, want %s", c.in, fields, c.field)
		}
	}
}

// TestLeaderOnly: an instance that is not the leader sends nothing; the
// new leader sends what is due once.
func TestLeaderOnly(t *testing.T) {
	slack := newSlack(t, 200)
	h := newHarness(t, SMTP{})
	h.channel(alert.Input{Type: alert.TypeSlack, URL: slack.URL, Kinds: []alert.Kind{alert.KindDisabled}})
	w, _ := h.webhook(webhook.DefaultTenant)
	now := h.clock.Now()
	if ok, err := h.st.LeaderAcquire(h.ctx, LeaderName, "inst_other", now, now.Add(time.Minute)); err != nil || !ok {
		t.Fatal("inst_other could not lead", err)
	}
	h.svc.Disabled(w, "gone")
	h.round(0)
	none(t, slack.texts, "message from a follower")
	h.clock.Add(time.Minute)
	h.round(1)
	recv(t, slack.texts, "message from the new leader")
	h.round(0)
	none(t, slack.texts, "second message")
	if _, err := h.st.WebhookGet(h.ctx, auth.AllTenants(), w.ID); err != nil {
		t.Fatal(err)
	}
}

func TestMaskURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXabcd": "https://hooks.slack.com/services/…abcd",
		"https://chat.example.com/hooks/abc":                          "https://chat.example.com/…",
		"https://discord.com/api/webhooks/123/tok123456/slack":        "https://discord.com/api/…lack",
		"":          "",
		"not a url": "****",
	} {
		if got := alert.MaskURL(in); got != want {
			t.Errorf("MaskURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSMTPEgressGuard: an SMTP host the egress guard refuses is never
// connected to.
func TestSMTPEgressGuard(t *testing.T) {
	ms := newMailServer(t)
	h := newHarness(t, SMTP{URL: "smtp://alerts:s3cret@" + ms.addr, From: "hookline@example.com", TLS: ms.roots},
		func(c *Config) { c.Dial = egress.NewDialer(egress.Config{}) })
	err := h.svc.Test(h.ctx, alert.Channel{ID: "ach_x", Type: alert.TypeEmail, To: []string{"ops@example.com"}})
	if !errors.Is(err, egress.ErrBlocked) {
		t.Fatalf("Test to a loopback SMTP server without it allowed: %v, want egress.ErrBlocked", err)
	}
	none(t, ms.mails, "mail")
}
