package inspect

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/fakeclock"
	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/store/sqlite/sqlitetest"

	"github.com/hookline/hookline/internal/signing"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st := sqlitetest.Open(t)
	return st
}

func newInspector(t *testing.T, st store.Store, cfg Config) (*Inspector, *fakeclock.Clock) {
	t.Helper()
	clk := fakeclock.New(time.Now())
	cfg.Store, cfg.Now = st, clk.Now
	i, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return i, clk
}

// refuse is the "network" behind Transport in these tests: it fails every
// request, so a test passes only if the inspector answered in process.
type refuse struct {
	mu   sync.Mutex
	seen []string
}

func (r *refuse) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.seen = append(r.seen, req.URL.String())
	r.mu.Unlock()
	return nil, errors.New("the network is not allowed in this test")
}

func TestTransportServesOwnBinsInProcess(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	for _, tc := range []struct {
		name, public, base string
	}{
		{"default localhost", "", "http://localhost:8080"},
		{"loopback address", "", "http://127.0.0.1:9"},
		{"public URL", "https://hooks.example.com/hookline", "https://hooks.example.com/hookline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i, _ := newInspector(t, st, Config{PublicURL: tc.public})
			b, err := i.Create(operatorCtx(), "t")
			if err != nil {
				t.Fatal(err)
			}
			next := &refuse{}
			c := &http.Client{Transport: i.Transport(next)}
			target := tc.base + "/bins/" + b.Token + "/deep/path?x=1"
			if !i.Internal(target) {
				t.Errorf("Internal(%q) = false", target)
			}
			req, _ := http.NewRequest("POST", target, strings.NewReader(`{"ok":1}`))
			req.Header.Set("Webhook-Id", "evt_1")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok":true`) {
				t.Fatalf("answer: %d %s", resp.StatusCode, body)
			}
			if len(next.seen) != 0 {
				t.Fatalf("went to the network: %v", next.seen)
			}
			reqs, err := i.Requests(operatorCtx(), b.ID)
			if err != nil || len(reqs) != 1 {
				t.Fatalf("stored: %v %v", reqs, err)
			}
			got := reqs[0]
			if got.Method != "POST" || !strings.HasSuffix(got.Path, "/bins/"+b.Token+"/deep/path") ||
				got.Query != "x=1" || string(got.Body) != `{"ok":1}` || got.Size != 8 || got.RemoteAddr != InProcessAddr ||
				got.Headers.Get("Webhook-Id") != "evt_1" || got.Headers.Get("Host") == "" {
				t.Errorf("stored request: %+v", got)
			}
		})
	}
}

func TestTransportPassesEverythingElse(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	i, clk := newInspector(t, st, Config{PublicURL: "https://hooks.example.com", TTL: time.Hour})
	b, err := i.Create(operatorCtx(), "t")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{
		"https://other.example.com/bins/" + b.Token,                       // someone else's host
		"http://10.0.0.1/bins/" + b.Token,                                 // a private address is not "us"
		"https://hooks.example.com/bins/" + strings.Repeat("a", tokenLen), // no such bin
		"https://hooks.example.com/bins/short",
		"https://hooks.example.com/other/" + b.Token,
		"http://localhost:8080/hook",
	} {
		if i.Internal(u) {
			t.Errorf("Internal(%q) = true", u)
		}
		next := &refuse{}
		c := &http.Client{Transport: i.Transport(next)}
		if _, err := c.Post(u, "text/plain", strings.NewReader("x")); err == nil || len(next.seen) != 1 {
			t.Errorf("%s: not passed on (err %v, seen %v)", u, err, next.seen)
		}
	}
	// An expired bin is not ours any more either.
	u := "https://hooks.example.com/bins/" + b.Token
	if !i.Internal(u) {
		t.Fatal("live bin not internal")
	}
	clk.Add(time.Hour)
	if i.Internal(u) {
		t.Error("expired bin still internal")
	}
}

func TestCaptureLimitsAndRedaction(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	i, clk := newInspector(t, st, Config{MaxBody: 10, MaxRequests: 3, TTL: time.Hour, RedactCookie: "hookline_session"})
	b, err := i.Create(operatorCtx(), "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.Name, "Bin ") || b.MaxRequests != 3 {
		t.Errorf("bin: %+v", b)
	}
	mux := http.NewServeMux()
	i.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	req, _ := http.NewRequest("PUT", srv.URL+"/bins/"+b.Token, strings.NewReader(strings.Repeat("x", 25)))
	req.Header.Set("Cookie", "a=1; hookline_session=topsecret; b=2")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	reqs, _ := i.Requests(operatorCtx(), b.ID)
	if len(reqs) != 1 {
		t.Fatalf("requests: %d", len(reqs))
	}
	r := reqs[0]
	if len(r.Body) != 10 || r.Size != 25 || !r.Truncated || r.Method != "PUT" {
		t.Errorf("capped request: body %d size %d truncated %v", len(r.Body), r.Size, r.Truncated)
	}
	if c := r.Headers.Get("Cookie"); strings.Contains(c, "topsecret") || !strings.Contains(c, "a=1") || !strings.Contains(c, "hookline_session=[redacted]") {
		t.Errorf("cookie: %q", c)
	}

	// Only the newest MaxRequests are kept.
	for n := range 4 {
		resp, err := http.Get(srv.URL + "/bins/" + b.Token + "?n=" + strconv.Itoa(n))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	reqs, _ = i.Requests(operatorCtx(), b.ID)
	if len(reqs) != 3 || reqs[0].Query != "n=3" {
		t.Errorf("kept %d, newest %q", len(reqs), reqs[0].Query)
	}

	// Unknown and expired bins are 404.
	for _, u := range []string{"/bins/" + strings.Repeat("b", tokenLen), "/bins/nope"} {
		resp, err := http.Get(srv.URL + u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("%s: %d", u, resp.StatusCode)
		}
	}
	clk.Add(time.Hour)
	resp, err = http.Get(srv.URL + "/bins/" + b.Token)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("expired bin: %d", resp.StatusCode)
	}
	if _, err := i.Get(operatorCtx(), b.ID); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("expired bin Get: %v", err)
	}
	if n, err := i.Expire(operatorCtx()); err != nil || n != 1 {
		t.Errorf("Expire: %d %v", n, err)
	}
	if _, err := st.BinGet(operatorCtx(), auth.AllTenants(), b.ID); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("expired bin still stored: %v", err)
	}
	if list, _ := i.List(operatorCtx()); len(list) != 0 {
		t.Errorf("expired bin listed: %v", list)
	}
}

func TestWatchSeesLocalAndOtherInstances(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	a, _ := newInspector(t, st, Config{PollInterval: 20 * time.Millisecond})
	other, _ := newInspector(t, st, Config{}) // another instance on the same database
	b, err := a.Create(operatorCtx(), "w")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan bin.Request, 10)
	ctx, cancel := context.WithCancel(operatorCtx())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- a.Watch(ctx, b.ID, "", func(rs []bin.Request) error {
			for _, r := range rs {
				got <- r
			}
			return nil
		})
	}()
	send := func(i *Inspector, path string) {
		c := &http.Client{Transport: i.Transport(&refuse{})}
		resp, err := c.Get("http://localhost/bins/" + b.Token + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	send(a, "/local")
	if r := <-got; r.Path != "/bins/"+b.Token+"/local" {
		t.Errorf("first: %s", r.Path)
	}
	send(other, "/remote") // no wake-up reaches a: the poll finds it
	if r := <-got; r.Path != "/bins/"+b.Token+"/remote" {
		t.Errorf("second: %s", r.Path)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Watch: %v", err)
	}
}

func TestCheckSignature(t *testing.T) {
	t.Parallel()
	secret := signing.NewSecret()
	signer, err := signing.NewSigner([]string{secret})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC()
	body := []byte(`{"id":"evt_1"}`)
	signed := func(ts time.Time) bin.Request {
		h := http.Header{}
		h.Set("Webhook-Id", "evt_1")
		h.Set("Webhook-Timestamp", strconv.FormatInt(ts.Unix(), 10))
		h.Set("Webhook-Signature", signer.Sign("evt_1", ts, body))
		return bin.Request{Headers: h, Body: body, Size: int64(len(body)), ReceivedAt: at}
	}
	tampered := signed(at)
	tampered.Body = []byte(`{"id":"evt_2"}`)
	cut := signed(at)
	cut.Truncated = true
	badTS := signed(at)
	badTS.Headers.Set("Webhook-Timestamp", "soon")
	for name, tc := range map[string]struct {
		r       bin.Request
		secrets []string
		want    Verdict
	}{
		"valid":           {signed(at), []string{secret}, Valid},
		"valid, rotated":  {signed(at), []string{signing.NewSecret(), secret}, Valid},
		"wrong secret":    {signed(at), []string{signing.NewSecret()}, Invalid},
		"tampered":        {tampered, []string{secret}, Invalid},
		"old on arrival":  {signed(at.Add(-10 * time.Minute)), []string{secret}, Expired},
		"from the future": {signed(at.Add(10 * time.Minute)), []string{secret}, Expired},
		"unsigned":        {bin.Request{Headers: http.Header{}}, []string{secret}, Unsigned},
		"cut body":        {cut, []string{secret}, Unverifiable},
		"bad timestamp":   {badTS, []string{secret}, Invalid},
	} {
		if got, detail := Check(tc.r, tc.secrets); got != tc.want || detail == "" {
			t.Errorf("%s: %s (%s), want %s", name, got, detail, tc.want)
		}
	}
}

func TestNewRejectsBadPublicURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"hooks.example.com", "ftp://x", "http://", "https://x/?a=1"} {
		if _, err := New(Config{PublicURL: u}); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	i, err := New(Config{PublicURL: "https://hooks.example.com/"})
	if err != nil {
		t.Fatal(err)
	}
	if got := i.URL(nil, bin.Bin{Token: "tok"}); got != "https://hooks.example.com/bins/tok" {
		t.Errorf("URL = %q", got)
	}
	d, _ := New(Config{})
	r := httptest.NewRequest("GET", "http://127.0.0.1:8080/inspector", nil)
	if got := d.URL(r, bin.Bin{Token: "tok"}); got != "http://localhost:8080/bins/tok" {
		t.Errorf("default URL = %q", got)
	}
}

// operatorCtx is a context of an operator, who reaches every tenant's
// bins.
func operatorCtx() context.Context {
	return auth.WithPrincipal(context.Background(), auth.System())
}
