package e2e

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"

	"github.com/hookline/hookline/internal/config"
)

// smtpSink is an SMTP server started by the test (go-smtp, AUTH PLAIN as
// alerts/s3cret, no TLS: loopback) that keeps every message it takes.
type smtpSink struct {
	addr    string
	mu      sync.Mutex
	mails   []sunkMail
	arrived chan struct{}
}

type sunkMail struct {
	To   []string
	Data string
}

type sinkSession struct {
	sink *smtpSink
	auth bool
	m    sunkMail
}

func (s *sinkSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *sinkSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "alerts" || pass != "s3cret" {
			return errors.New("bad credentials")
		}
		s.auth = true
		return nil
	}), nil
}
func (s *sinkSession) Mail(string, *gosmtp.MailOptions) error {
	if !s.auth {
		return gosmtp.ErrAuthRequired
	}
	return nil
}
func (s *sinkSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	s.m.To = append(s.m.To, to)
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.m.Data = string(b)
	s.sink.mu.Lock()
	s.sink.mails = append(s.sink.mails, s.m)
	s.sink.mu.Unlock()
	select {
	case s.sink.arrived <- struct{}{}:
	default:
	}
	return err
}
func (s *sinkSession) Reset()        { s.m = sunkMail{} }
func (s *sinkSession) Logout() error { return nil }

func startSMTP(t *testing.T) *smtpSink {
	t.Helper()
	sink := &smtpSink{arrived: make(chan struct{}, 1000)}
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(*gosmtp.Conn) (gosmtp.Session, error) {
		return &sinkSession{sink: sink}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return sink
}

func (s *smtpSink) wait(t *testing.T, n int) []sunkMail {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		s.mu.Lock()
		got := append([]sunkMail(nil), s.mails...)
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("the SMTP server got %d mails, want %d", len(got), n)
		}
	}
}

// slackTexts returns the text of every message a Slack-style receiver got.
func slackTexts(t *testing.T, reqs []received) []string {
	t.Helper()
	var out []string
	for _, r := range reqs {
		var m struct{ Text string }
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Fatalf("the Slack receiver got %q: %v", r.Body, err)
		}
		out = append(out, m.Text)
	}
	return out
}

// waitLogCount waits until the logs hold n more lines with marker than
// they did when the wait started: a signal that rounds went by.
func waitLogCount(t *testing.T, logs func() string, marker string, more int) {
	t.Helper()
	start := strings.Count(logs(), marker)
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(logs(), marker) < start+more {
		if time.Now().After(deadline) {
			t.Fatalf("%d more %q lines did not come", more, marker)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alertEndpoint answers 500, then 410 Gone, then 200, as the test moves it.
type alertEndpoint struct {
	*receiver
	mode atomic.Int32
}

func startAlertEndpoint(t *testing.T) *alertEndpoint {
	e := &alertEndpoint{}
	e.receiver = startReceiver(t, func(*http.Request, int) (int, http.Header, string) {
		return [...]int{500, 410, 200}[e.mode.Load()], nil, ""
	})
	return e
}

// TestAlertsEndToEnd: an endpoint fails, is auto-disabled (410) and, re-
// enabled, delivers again: a Slack-style receiver and an SMTP server get
// exactly one webhook.failing, one webhook.disabled and one recovery
// message each, the tenant's contact e-mail too.
func TestAlertsEndToEnd(t *testing.T) {
	slack := startReceiver(t, nil)
	sink := startSMTP(t)
	ep := startAlertEndpoint(t)
	s := startServer(t, func(c *config.Config) {
		c.SMTPURL, c.SMTPFrom = "smtp://alerts:s3cret@"+sink.addr, "hookline@example.com"
		c.AlertCheckInterval = 20 * time.Millisecond
		c.PublicURL = "https://hooks.example.com"
	})
	s.mustDo(201, "POST", "/api/v1/tenants", map[string]any{"id": "acme", "name": "Acme", "contact_email": "ops@acme.example"}, nil)
	slackURL := slack.URL + "/services/T0000/B0000/XXXXXXXXXXXXabcd"
	var ch struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	}
	s.mustDo(201, "POST", "/api/v1/alert-channels", map[string]any{"type": "slack", "url": slackURL,
		"kinds": []string{"webhook.failing", "webhook.disabled"}}, &ch)
	if ch.URL == slackURL || !strings.HasSuffix(ch.URL, "…abcd") {
		t.Fatalf("the channel's URL is answered as %q, want it masked", ch.URL)
	}
	var list struct {
		Data []struct{ URL string } `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/alert-channels", nil, &list)
	if len(list.Data) != 1 || list.Data[0].URL != ch.URL {
		t.Fatalf("GET /api/v1/alert-channels = %+v, want the one channel, masked", list)
	}
	s.mustDo(201, "POST", "/api/v1/alert-channels", map[string]any{"type": "email", "to": []string{"oncall@example.com"},
		"kinds": []string{"webhook.failing", "webhook.disabled"}}, nil)

	var w webhookResp
	s.mustDo(201, "POST", "/api/v1/webhooks", map[string]any{"name": "CRM sync", "url": ep.URL,
		"events": []string{"payment_received"}, "tenant": "acme"}, &w)
	publish := func() {
		s.mustDo(202, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "tenant": "acme",
			"data": map[string]any{"payment_id": 1}}, nil)
	}
	for range 10 {
		publish()
	}
	ep.wait(t, 10)
	texts := slackTexts(t, slack.wait(t, 1))
	if !strings.Contains(texts[0], `Webhook "CRM sync" is failing`) || !strings.Contains(texts[0], "10 of 10 attempts failed") ||
		!strings.Contains(texts[0], "https://hooks.example.com/webhooks/"+w.ID) {
		t.Fatalf("the failing message says %q", texts[0])
	}

	ep.mode.Store(1) // 410 Gone: Hookline disables the webhook
	publish()
	texts = slackTexts(t, slack.wait(t, 2))
	if !strings.Contains(texts[1], "was disabled") || !strings.Contains(texts[1], "410") {
		t.Fatalf("the disabled message says %q", texts[1])
	}

	ep.mode.Store(2)
	s.mustDo(200, "PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{"active": true}, nil)
	publish()
	texts = slackTexts(t, slack.wait(t, 3))
	if !strings.Contains(texts[2], `Webhook "CRM sync" recovered`) || !strings.Contains(texts[2], "webhook.failing") ||
		!strings.Contains(texts[2], "webhook.disabled") {
		t.Fatalf("the recovery message says %q", texts[2])
	}

	// Exactly one of each: a few more rounds add nothing.
	sink.wait(t, 6)
	waitLogCount(t, s.logs.String, "alerts: checked", 5)
	if n := len(slack.requests()); n != 3 {
		t.Fatalf("the Slack receiver got %d messages, want 3:\n%s", n, strings.Join(slackTexts(t, slack.requests()), "\n---\n"))
	}
	mails := sink.wait(t, 6)
	per := map[string][]string{}
	for _, m := range mails {
		subject := ""
		for line := range strings.Lines(m.Data) {
			if s, ok := strings.CutPrefix(line, "Subject: "); ok {
				subject = strings.TrimSpace(s)
			}
		}
		per[strings.Join(m.To, ",")] = append(per[strings.Join(m.To, ",")], subject)
	}
	want := []string{`[Hookline] Webhook "CRM sync" is failing`, `[Hookline] Webhook "CRM sync" was disabled`,
		`[Hookline] Webhook "CRM sync" recovered`}
	for _, to := range []string{"oncall@example.com", "ops@acme.example"} {
		if strings.Join(per[to], "|") != strings.Join(want, "|") {
			t.Errorf("mail to %s: subjects %q, want %q", to, per[to], want)
		}
	}
	if len(mails) != 6 {
		t.Errorf("the SMTP server got %d mails, want 6", len(mails))
	}

	// The test button: one try, the answer says how it went.
	var res struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	s.mustDo(200, "POST", "/api/v1/alert-channels/"+ch.ID+"/test", nil, &res)
	if !res.OK {
		t.Fatalf("test alert: %+v", res)
	}
	if texts := slackTexts(t, slack.wait(t, 4)); !strings.Contains(texts[3], "Test alert") {
		t.Fatalf("the test message says %q", texts[3])
	}
	s.mustDo(204, "DELETE", "/api/v1/alert-channels/"+ch.ID, nil, nil)
	s.mustDo(404, "GET", "/api/v1/alert-channels/"+ch.ID, nil, nil)
}

// TestAlertChannelValidation: bad channels are refused with problem JSON
// naming each bad field.
func TestAlertChannelValidation(t *testing.T) {
	s := startServer(t)
	for _, c := range []struct {
		body     map[string]any
		status   int
		pointers []string
	}{
		{map[string]any{"type": "slack", "kinds": []string{"webhook.failing"}}, 400, []string{"/url"}},
		{map[string]any{"type": "pager", "kinds": []string{"webhook.slow"}}, 400, []string{"/type", "/kinds/0"}},
		{map[string]any{"type": "email", "to": []string{"ops@example.com"}, "kinds": []string{"backlog"}}, 422, []string{"/type"}},
		{map[string]any{"type": "slack", "url": "http://169.254.169.254/latest", "kinds": []string{"backlog"}}, 422, []string{"/url"}},
		{map[string]any{"type": "slack", "url": "https://chat.example.com/x", "kinds": []string{"webhook.failing"}, "tenant": "nobody"}, 422, []string{"/tenant"}},
	} {
		var p problem
		if got := s.do("POST", "/api/v1/alert-channels", c.body, &p); got != c.status {
			t.Errorf("%v: status %d, want %d: %+v", c.body, got, c.status, p)
			continue
		}
		var got []string
		for _, e := range p.Errors {
			got = append(got, e.Pointer)
		}
		if strings.Join(got, ",") != strings.Join(c.pointers, ",") {
			t.Errorf("%v: problems at %v, want %v (%+v)", c.body, got, c.pointers, p)
		}
	}
}

// TestAlertsDeadChannels: a Slack URL answering 500 and an SMTP server
// that is gone cost the bounded tries and one log line each, and the
// deliveries of other webhooks go on.
func TestAlertsDeadChannels(t *testing.T) {
	dead := startReceiver(t, func(*http.Request, int) (int, http.Header, string) { return 500, nil, "" })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := ln.Addr().String()
	ln.Close()
	good := startReceiver(t, nil)
	ep := startAlertEndpoint(t)
	ep.mode.Store(1)
	s := startServer(t, func(c *config.Config) {
		c.SMTPURL, c.SMTPFrom = "smtp://"+gone, "hookline@example.com"
		c.AlertCheckInterval = 20 * time.Millisecond
		c.AlertRetrySchedule = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}
	})
	s.mustDo(201, "POST", "/api/v1/alert-channels", map[string]any{"type": "slack", "url": dead.URL, "kinds": []string{"webhook.disabled"}}, nil)
	s.mustDo(201, "POST", "/api/v1/alert-channels", map[string]any{"type": "email", "to": []string{"oncall@example.com"},
		"kinds": []string{"webhook.disabled"}}, nil)
	s.createWebhook(ep.URL, "payment_received")
	s.createWebhook(good.URL, "payment_received")
	for range 20 {
		s.publish("payment_received", map[string]any{"payment_id": 1})
	}
	good.wait(t, 20)
	eventually(t, "two 'alert not sent' lines", func() bool { return strings.Count(s.logs.String(), `msg="alert not sent" `) >= 2 })
	waitLogCount(t, s.logs.String, "alerts: checked", 5)
	logs := s.logs.String()
	if n := strings.Count(logs, `msg="alert not sent" `); n != 2 {
		t.Errorf("%d 'alert not sent' lines, want 2:\n%s", n, logs)
	}
	if n := len(dead.requests()); n != 3 {
		t.Errorf("the dead Slack URL was tried %d times, want 3", n)
	}
	if strings.Contains(logs, dead.URL) {
		t.Error("the log shows the Slack URL")
	}
	for range 5 {
		s.publish("payment_received", map[string]any{"payment_id": 2})
	}
	if n := len(good.wait(t, 25)); n != 25 {
		t.Errorf("the healthy endpoint got %d deliveries, want 25", n)
	}
}

// TestAlertsTwoPostgresInstances: two instances on one PostgreSQL send each
// alert once: the webhook's failures and its 410 are seen by whichever
// instance serves it, the state is in the database, and only the leader
// (which may change hands: its term is three check intervals) sends.
func TestAlertsTwoPostgresInstances(t *testing.T) {
	dbURL, _ := pgSchemaURL(t)
	keyFile := secretKeyFile(t)
	key := createKeyPG(t, dbURL, keyFile)
	slack := startReceiver(t, nil)
	sink := startSMTP(t)
	ep := startAlertEndpoint(t)
	extra := []string{"--alert-check-interval", "50ms", "--log-level", "debug",
		"--smtp-url", "smtp://alerts:s3cret@" + sink.addr, "--smtp-from", "hookline@example.com"}
	procs := []*process{startPGInstance(t, dbURL, keyFile, extra...), startPGInstance(t, dbURL, keyFile, extra...)}
	waitInstances(t, procs, 2, 30*time.Second)
	client := &http.Client{Timeout: 10 * time.Second}
	call := func(i int, method, path string, body, out any, want int) {
		t.Helper()
		if got := apiJSON(t, client, procs[i%2].URL, key, method, path, body, out); got != want {
			t.Fatalf("%s %s on instance %d: %d, want %d", method, path, i%2, got, want)
		}
	}
	kinds := []string{"webhook.failing", "webhook.disabled"}
	call(0, "POST", "/api/v1/alert-channels", map[string]any{"type": "slack", "url": slack.URL, "kinds": kinds}, nil, 201)
	call(1, "POST", "/api/v1/alert-channels", map[string]any{"type": "email", "to": []string{"oncall@example.com"}, "kinds": kinds}, nil, 201)
	var w webhookResp
	call(1, "POST", "/api/v1/webhooks", map[string]any{"name": "CRM sync", "url": ep.URL, "events": []string{"payment_received"}}, &w, 201)
	publish := func(i int) {
		call(i, "POST", "/api/v1/events", map[string]any{"type": "payment_received", "data": map[string]any{"n": i}}, nil, 202)
	}
	for i := range 10 {
		publish(i)
	}
	ep.wait(t, 10)
	if texts := slackTexts(t, slack.wait(t, 1)); !strings.Contains(texts[0], "is failing") {
		t.Fatalf("first message %q", texts[0])
	}
	ep.mode.Store(1)
	publish(0)
	if texts := slackTexts(t, slack.wait(t, 2)); !strings.Contains(texts[1], "was disabled") {
		t.Fatalf("second message %q", texts[1])
	}
	ep.mode.Store(2)
	call(0, "PATCH", "/api/v1/webhooks/"+w.ID, map[string]any{"active": true}, nil, 200)
	publish(1)
	if texts := slackTexts(t, slack.wait(t, 3)); !strings.Contains(texts[2], "recovered") {
		t.Fatalf("third message %q", texts[2])
	}
	sink.wait(t, 3)
	logs := func() string { return procs[0].logs.String() + procs[1].logs.String() }
	waitLogCount(t, logs, "alerts: checked", 10)
	if n := len(slack.requests()); n != 3 {
		t.Errorf("the Slack receiver got %d messages, want 3:\n%s", n, strings.Join(slackTexts(t, slack.requests()), "\n---\n"))
	}
	if mails := sink.wait(t, 3); len(mails) != 3 {
		t.Errorf("the SMTP server got %d mails, want 3", len(mails))
	}
}

// TestCLIAlerts: hookline alerts add, list, test and remove against a real
// server, the Slack URL read from standard input and never printed whole.
func TestCLIAlerts(t *testing.T) {
	slack := startReceiver(t, nil)
	s := startServer(t)
	c := newCLI(t, s, true)
	secretURL := slack.URL + "/services/T0000/B0000/XXXXXXXXXXXXwxyz"
	r := c.runIn(secretURL+"\n", "alerts", "add", "--slack", "-", "--kinds", "failing,disabled,backlog")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	id := strings.TrimSpace(r.stdout)
	mustContain(t, "add's message", r.stderr, "Added slack channel", "webhook.failing, webhook.disabled, backlog", "hookline alerts test "+id)
	list := c.ok("alerts", "list")
	mustContain(t, "alerts list", list, id, "slack", "…wxyz", "(all)")
	if strings.Contains(list+r.stderr, secretURL) {
		t.Fatalf("the CLI printed the Slack URL whole:\n%s%s", list, r.stderr)
	}
	mustContain(t, "alerts test", c.ok("alerts", "test", id), "Test alert sent")
	if texts := slackTexts(t, slack.wait(t, 1)); !strings.Contains(texts[0], "Test alert") {
		t.Fatalf("the receiver got %q", texts[0])
	}
	c.fails(1, []string{"/kinds/0", "webhook.slow"}, "alerts", "add", "--email", "ops@example.com", "--kinds", "webhook.slow")
	c.fails(1, []string{"not found", "hookline alerts list"}, "alerts", "test", "ach_missing")
	c.ok("alerts", "remove", id)
	var all []map[string]any
	c.json(&all, "alerts", "list")
	if len(all) != 0 {
		t.Fatalf("after remove: %v", all)
	}
}
