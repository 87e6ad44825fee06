package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/client"
)

// recorded is one request the fake saw.
type recorded struct {
	Method, Path, RawPath, Query string
	Header                       http.Header
	Body                         string
}

// fake is an httptest server answering every request with respond and
// recording what it got.
type fake struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newFake(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) *fake {
	t.Helper()
	f := &fake{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.Path, RawPath: r.URL.EscapedPath(),
			Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(b)})
		f.mu.Unlock()
		respond(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fake) last(t *testing.T) recorded {
	t.Helper()
	reqs := f.requests()
	if len(reqs) == 0 {
		t.Fatal("the fake got no request")
	}
	return reqs[len(reqs)-1]
}

func jsonReply(status int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func TestClientErrorDecoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int
		contentType string
		header      http.Header
		body        string
		want        client.Error
		wantMessage string
		is          func(error) bool
	}{
		{
			name: "problem with field", status: 422, contentType: "application/problem+json",
			body: `{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"events[1]: unknown event type \"nope\"","instance":"/api/v1/webhooks","field":"events[1]","request_id":"r-42"}`,
			want: client.Error{Status: 422, Type: "about:blank", Title: "Unprocessable Entity",
				Detail: `events[1]: unknown event type "nope"`, Instance: "/api/v1/webhooks", Field: "events[1]", RequestID: "r-42"},
			wantMessage: `unknown event type "nope"`,
			is:          client.IsInvalid,
		},
		{
			name: "problem with several bad fields", status: 400, contentType: "application/problem+json",
			body: `{"type":"about:blank","title":"Bad Request","status":400,"detail":"name: is required","field":"name",` +
				`"errors":[{"pointer":"/name","detail":"is required"},{"pointer":"/url","detail":"scheme must be http or https"},` +
				`{"pointer":"/events/1","detail":"unknown event type \"nope\""}]}`,
			want: client.Error{Status: 400, Type: "about:blank", Title: "Bad Request", Detail: "name: is required", Field: "name",
				Errors: []client.FieldProblem{
					{Pointer: "/name", Detail: "is required"},
					{Pointer: "/url", Detail: "scheme must be http or https"},
					{Pointer: "/events/1", Detail: `unknown event type "nope"`},
				}},
			wantMessage: "is required",
			is:          client.IsInvalid,
		},
		{
			name: "not found", status: 404, contentType: "application/problem+json",
			body:        `{"type":"about:blank","title":"Not Found","status":404,"detail":"not found"}`,
			want:        client.Error{Status: 404, Type: "about:blank", Title: "Not Found", Detail: "not found"},
			wantMessage: "not found",
			is:          client.IsNotFound,
		},
		{
			name: "unauthorized with request id header", status: 401, contentType: "application/problem+json",
			header:      http.Header{"X-Request-Id": {"hdr-id"}},
			body:        `{"type":"about:blank","title":"Unauthorized","status":401,"detail":"missing API key"}`,
			want:        client.Error{Status: 401, Type: "about:blank", Title: "Unauthorized", Detail: "missing API key", RequestID: "hdr-id"},
			wantMessage: "missing API key",
			is:          client.IsUnauthorized,
		},
		{
			name: "rate limited", status: 429, contentType: "application/problem+json",
			header:      http.Header{"Retry-After": {"3"}},
			body:        `{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"slow down"}`,
			want:        client.Error{Status: 429, Type: "about:blank", Title: "Too Many Requests", Detail: "slow down", RetryAfter: 3 * time.Second},
			wantMessage: "slow down",
			is:          client.IsRateLimited,
		},
		{
			name: "proxy HTML page", status: 502, contentType: "text/html",
			body:        "<html>\n  <body>Bad   gateway</body></html>",
			want:        client.Error{Status: 502, Title: "Bad Gateway", Detail: "<html> <body>Bad gateway</body></html>"},
			wantMessage: "<html> <body>Bad gateway</body></html>",
			is:          func(err error) bool { return client.StatusCode(err) == 502 },
		},
		{
			name: "JSON that is not a problem", status: 409, contentType: "application/json",
			body:        `["unexpected"]`,
			want:        client.Error{Status: 409, Title: "Conflict", Detail: `["unexpected"]`},
			wantMessage: `["unexpected"]`,
			is:          client.IsConflict,
		},
		{
			name: "status line wins over the body", status: 403, contentType: "application/problem+json",
			body:        `{"title":"Forbidden","status":200,"detail":"scopes"}`,
			want:        client.Error{Status: 403, Title: "Forbidden", Detail: "scopes"},
			wantMessage: "scopes",
			is:          client.IsForbidden,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header()[k] = v
				}
				w.Header().Set("Content-Type", tt.contentType)
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			c := client.New(f.URL, "k")
			_, err := c.WebhookGet(context.Background(), "wh_1")
			var e *client.Error
			if !errors.As(fmt.Errorf("wrapped: %w", err), &e) {
				t.Fatalf("error %v (%T) is not a *client.Error", err, err)
			}
			want := tt.want
			want.Method, want.Path = "GET", "/api/v1/webhooks/wh_1"
			if !reflect.DeepEqual(*e, want) {
				t.Errorf("error = %#v\nwant    %#v", *e, want)
			}
			if got := e.Message(); got != tt.wantMessage {
				t.Errorf("Message() = %q, want %q", got, tt.wantMessage)
			}
			if !tt.is(err) {
				t.Errorf("the helper for status %d says no", tt.status)
			}
			if !strings.Contains(e.Error(), strconv.Itoa(tt.status)) || !strings.Contains(e.Error(), "GET /api/v1/webhooks/wh_1") {
				t.Errorf("Error() = %q: want the status and the request", e.Error())
			}
		})
	}
}

func TestClientErrorHelpersOnOtherErrors(t *testing.T) {
	t.Parallel()
	for _, err := range []error{nil, errors.New("dial tcp: connection refused"), context.Canceled} {
		if client.IsNotFound(err) || client.IsUnauthorized(err) || client.IsInvalid(err) || client.StatusCode(err) != 0 {
			t.Errorf("helpers match %v", err)
		}
	}
}

func TestClientTransportErrorIsNotAnAPIError(t *testing.T) {
	t.Parallel()
	f := newFake(t, jsonReply(200, `{}`))
	url := f.URL
	f.Close() // nothing listens there any more
	_, err := client.New(url, "k").Me(context.Background())
	var e *client.Error
	if err == nil || errors.As(err, &e) {
		t.Fatalf("err = %v, want a transport error that is no *client.Error", err)
	}
}

func TestClientSendsKeyAgentAndJSON(t *testing.T) {
	t.Parallel()
	f := newFake(t, jsonReply(202, `{"id":"evt_1","deliveries":2}`))
	c := client.New(f.URL+"/", "hkl_secret", client.WithUserAgent("test-agent/1"),
		client.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}))
	res, err := c.EventPublish(context.Background(), client.EventPublishParams{
		Type: "payment_received", Data: json.RawMessage(`{"amount": 5}`), IdempotencyKey: "k-1", Tenant: "acme",
	})
	if err != nil {
		t.Fatal(err)
	}
	if *res != (client.PublishResult{ID: "evt_1", Deliveries: 2}) {
		t.Errorf("result %+v", *res)
	}
	r := f.last(t)
	if r.Method != "POST" || r.Path != "/api/v1/events" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	for k, want := range map[string]string{
		"Authorization": "Bearer hkl_secret", "User-Agent": "test-agent/1",
		"Content-Type": "application/json", "Accept": "application/json",
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	want := `{"type":"payment_received","data":{"amount":5},"idempotency_key":"k-1","tenant":"acme"}`
	if r.Body != want {
		t.Errorf("body %s\nwant %s", r.Body, want)
	}
}

func TestClientDefaultUserAgentAndBasePath(t *testing.T) {
	t.Parallel()
	f := newFake(t, jsonReply(200, `{"key":{"id":"key_1","name":"ci","scopes":["admin"]},"server":"hookline","version":"1.2.3"}`))
	me, err := client.New(f.URL+"/hookline/", "k").Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if me.Key.Name != "ci" || me.Version != "1.2.3" {
		t.Errorf("me = %+v", me)
	}
	r := f.last(t)
	if r.Path != "/hookline/api/v1/me" {
		t.Errorf("path %q: want the base URL's path kept", r.Path)
	}
	if ua := r.Header.Get("User-Agent"); ua != client.DefaultUserAgent {
		t.Errorf("User-Agent %q", ua)
	}
}

func TestClientEscapesIDs(t *testing.T) {
	t.Parallel()
	f := newFake(t, jsonReply(200, `{"id":"x"}`))
	c := client.New(f.URL, "k")
	if _, err := c.WebhookGet(context.Background(), "../keys?x=1"); err != nil {
		t.Fatal(err)
	}
	r := f.last(t)
	if r.RawPath != "/api/v1/webhooks/..%2Fkeys%3Fx=1" || r.Query != "" {
		t.Errorf("path %q query %q: an id must stay one escaped path segment", r.RawPath, r.Query)
	}
}

func TestClientListQueries(t *testing.T) {
	t.Parallel()
	f := newFake(t, jsonReply(200, `{"data":[]}`))
	c := client.New(f.URL, "k")
	ctx := context.Background()
	calls := []struct {
		call func() error
		want string
	}{
		{func() error {
			_, err := c.WebhookList(ctx, client.WebhookListParams{})
			return err
		}, "/api/v1/webhooks?"},
		{func() error {
			_, err := c.WebhookList(ctx, client.WebhookListParams{Tenant: "acme", EventType: "a.b", Active: client.Ptr(false),
				Search: "bill ing", Limit: 10, Cursor: "c1"})
			return err
		}, "/api/v1/webhooks?active=false&cursor=c1&event_type=a.b&limit=10&search=bill+ing&tenant=acme"},
		{func() error {
			_, err := c.EventList(ctx, client.EventListParams{Type: "t", Limit: 5})
			return err
		}, "/api/v1/events?limit=5&type=t"},
		{func() error {
			_, err := c.DeliveryList(ctx, client.DeliveryListParams{WebhookID: "wh_1", EventID: "evt_1", Status: client.DeliveryFailed, Tenant: "x"})
			return err
		}, "/api/v1/deliveries?event_id=evt_1&status=failed&tenant=x&webhook_id=wh_1"},
		{func() error {
			_, err := c.DeliveryList(ctx, client.DeliveryListParams{Status: "failed,pending", EventType: "a.b", Query: "evt_01",
				Since: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2030, 1, 2, 0, 0, 0, 500, time.UTC)})
			return err
		}, "/api/v1/deliveries?event_type=a.b&q=evt_01&since=2030-01-01T00%3A00%3A00Z&status=failed%2Cpending&until=2030-01-02T00%3A00%3A00.0000005Z"},
		{func() error {
			_, err := c.AuditList(ctx, client.AuditListParams{Target: "wh_1"})
			return err
		}, "/api/v1/audit-log?target=wh_1"},
		{func() error {
			_, err := c.WebhookAttempts(ctx, "wh_1", client.WebhookAttemptsParams{Limit: 3})
			return err
		}, "/api/v1/webhooks/wh_1/attempts?limit=3"},
		{func() error {
			_, err := c.EventTypeList(ctx)
			return err
		}, "/api/v1/event-types?"},
		{func() error {
			_, err := c.KeyList(ctx)
			return err
		}, "/api/v1/keys?"},
	}
	for _, tc := range calls {
		if err := tc.call(); err != nil {
			t.Fatal(err)
		}
		r := f.last(t)
		if got := r.Path + "?" + r.Query; got != tc.want {
			t.Errorf("GET %s, want %s", got, tc.want)
		}
	}
}

func TestClientUpdateSendsOnlySetFields(t *testing.T) {
	t.Parallel()
	f := newFake(t, jsonReply(200, `{"id":"wh_1"}`))
	c := client.New(f.URL, "k")
	tests := []struct {
		p    client.WebhookUpdateParams
		want string
	}{
		{client.WebhookUpdateParams{}, `{}`},
		{client.WebhookUpdateParams{Active: client.Ptr(false)}, `{"active":false}`},
		{client.WebhookUpdateParams{Name: client.Ptr(""), Events: []string{"a"}}, `{"name":"","events":["a"]}`},
		// An empty, non-nil map clears the headers; nil keeps them.
		{client.WebhookUpdateParams{Headers: map[string]string{}}, `{"headers":{}}`},
		{client.WebhookUpdateParams{Headers: map[string]string{"X-A": "1"}, Format: client.Ptr(client.FormatRaw)},
			`{"headers":{"X-A":"1"},"format":"raw"}`},
	}
	for _, tt := range tests {
		if _, err := c.WebhookUpdate(context.Background(), "wh_1", tt.p); err != nil {
			t.Fatal(err)
		}
		if r := f.last(t); r.Method != "PATCH" || r.Body != tt.want {
			t.Errorf("%s body %s, want %s", r.Method, r.Body, tt.want)
		}
	}
}

func TestClientNoContentAndOtherRoutes(t *testing.T) {
	t.Parallel()
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "DELETE":
			w.WriteHeader(http.StatusNoContent)
		case strings.HasPrefix(r.URL.Path, "/api/v1/hooks/samples/"):
			jsonReply(200, `[{"id":"evt_1","amount":5}]`)(w, r)
		case strings.HasSuffix(r.URL.Path, "/replay"):
			jsonReply(202, `{"deliveries":4}`)(w, r)
		case strings.HasSuffix(r.URL.Path, "/rotate-secret"):
			jsonReply(200, `{"secret":"whsec_new","previous_expires_at":"2030-01-02T03:04:05Z"}`)(w, r)
		default:
			jsonReply(200, `{}`)(w, r)
		}
	})
	c := client.New(f.URL, "k")
	ctx := context.Background()
	for _, del := range []func() error{
		func() error { return c.WebhookDelete(ctx, "wh_1") },
		func() error { return c.KeyRevoke(ctx, "key_1") },
		func() error { return c.HookUnsubscribe(ctx, "wh_2") },
	} {
		if err := del(); err != nil {
			t.Fatal(err)
		}
	}
	samples, err := c.HookSamples(ctx, "payment_received", client.HookSamplesParams{Tenant: "acme"})
	if err != nil || len(samples) != 1 || samples[0]["id"] != "evt_1" {
		t.Errorf("samples %v, %v", samples, err)
	}
	if r := f.last(t); r.Path != "/api/v1/hooks/samples/payment_received" || r.Query != "tenant=acme" {
		t.Errorf("samples request %s?%s", r.Path, r.Query)
	}
	since := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	rep, err := c.WebhookReplay(ctx, "wh_1", client.WebhookReplayParams{Since: since})
	if err != nil || rep.Deliveries != 4 {
		t.Errorf("replay %v, %v", rep, err)
	}
	if r := f.last(t); r.Body != `{"since":"2030-01-01T00:00:00Z"}` {
		t.Errorf("replay body %s", r.Body)
	}
	rot, err := c.WebhookRotateSecret(ctx, "wh_1")
	if err != nil || rot.Secret != "whsec_new" || !rot.PreviousExpiresAt.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("rotate %+v, %v", rot, err)
	}
	if _, err := c.WebhookTest(ctx, "wh_1", client.WebhookTestParams{}); err != nil {
		t.Fatal(err)
	}
	if r := f.last(t); r.Path != "/api/v1/webhooks/wh_1/test" || r.Body != `{}` {
		t.Errorf("test request %s %s", r.Path, r.Body)
	}
}

func TestClientBadJSONOnSuccess(t *testing.T) {
	t.Parallel()
	f := newFake(t, jsonReply(200, `not json`))
	_, err := client.New(f.URL, "k").WebhookGet(context.Background(), "wh_1")
	if err == nil || !strings.Contains(err.Error(), "decode") {
		t.Fatalf("err = %v, want a decode error", err)
	}
}

// pager serves n items in pages of size, with "c<i>" cursors.
func pager(n, size int, failAt string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		cur := r.URL.Query().Get("cursor")
		if cur == failAt && failAt != "" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(503)
			io.WriteString(w, `{"title":"Service Unavailable","status":503,"detail":"storage is unavailable"}`)
			return
		}
		start := 0
		if cur != "" {
			start, _ = strconv.Atoi(strings.TrimPrefix(cur, "c"))
		}
		end := min(start+size, n)
		var items []string
		for i := start; i < end; i++ {
			items = append(items, fmt.Sprintf(`{"id":"wh_%d"}`, i))
		}
		next := ""
		if end < n {
			next = fmt.Sprintf(`,"next_cursor":"c%d"`, end)
		}
		jsonReply(200, `{"data":[`+strings.Join(items, ",")+`]`+next+`}`)(w, r)
	}
}

func TestClientListAllFollowsCursors(t *testing.T) {
	t.Parallel()
	f := newFake(t, pager(7, 3, ""))
	c := client.New(f.URL, "k")
	var got []string
	for wh, err := range c.WebhookListAll(context.Background(), client.WebhookListParams{Limit: 3, Tenant: "acme"}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, wh.ID)
	}
	want := []string{"wh_0", "wh_1", "wh_2", "wh_3", "wh_4", "wh_5", "wh_6"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	var queries []string
	for _, r := range f.requests() {
		queries = append(queries, r.Query)
	}
	wantQ := []string{"limit=3&tenant=acme", "cursor=c3&limit=3&tenant=acme", "cursor=c6&limit=3&tenant=acme"}
	if !reflect.DeepEqual(queries, wantQ) {
		t.Errorf("queries %v, want %v", queries, wantQ)
	}
}

func TestClientListAllStopsEarly(t *testing.T) {
	t.Parallel()
	f := newFake(t, pager(100, 10, ""))
	c := client.New(f.URL, "k")
	n := 0
	for _, err := range c.WebhookListAll(context.Background(), client.WebhookListParams{Limit: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 12 {
			break
		}
	}
	if got := len(f.requests()); got != 2 {
		t.Errorf("%d requests for 12 items in pages of 10, want 2", got)
	}
}

func TestClientListAllYieldsError(t *testing.T) {
	t.Parallel()
	f := newFake(t, pager(10, 4, "c4"))
	c := client.New(f.URL, "k")
	var ids []string
	var errs []error
	for d, err := range c.DeliveryListAll(context.Background(), client.DeliveryListParams{Limit: 4}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, d.ID)
	}
	if len(ids) != 4 || len(errs) != 1 || client.StatusCode(errs[0]) != 503 {
		t.Errorf("ids %v errs %v: want the first page, then one 503 error and the end", ids, errs)
	}
}

func TestClientListAllSurvivesALoopingCursor(t *testing.T) {
	t.Parallel()
	f := newFake(t, jsonReply(200, `{"data":[{"id":"evt_1"}],"next_cursor":"same"}`))
	c := client.New(f.URL, "k")
	n := 0
	for _, err := range c.EventListAll(context.Background(), client.EventListParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 {
		t.Errorf("%d items from a server repeating its cursor, want 2 (the first page and one repeat)", n)
	}
}

func TestClientAuditListAll(t *testing.T) {
	t.Parallel()
	f := newFake(t, pager(3, 2, ""))
	c := client.New(f.URL, "k")
	n := 0
	for _, err := range c.AuditListAll(context.Background(), client.AuditListParams{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 3 {
		t.Errorf("%d entries, want 3", n)
	}
}

func TestClientContextCancel(t *testing.T) {
	t.Parallel()
	f := newFake(t, jsonReply(200, `{}`))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := client.New(f.URL, "k").Me(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestClientErrorStringListsEveryProblem(t *testing.T) {
	t.Parallel()
	e := &client.Error{Status: 400, Title: "Bad Request", Detail: "name: is required", Field: "name",
		Method: "POST", Path: "/api/v1/webhooks", Errors: []client.FieldProblem{
			{Pointer: "/name", Detail: "is required"},
			{Pointer: "/url", Detail: "scheme must be http or https"},
			{Parameter: "limit", Detail: "must be a whole number"},
		}}
	want := "hookline: POST /api/v1/webhooks: 400 Bad Request: /name: is required; /url: scheme must be http or https; ?limit: must be a whole number"
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n%q\nwant\n%q", got, want)
	}
	e.Errors = e.Errors[:1]
	if got, want := e.Error(), "hookline: POST /api/v1/webhooks: 400 Bad Request: name: is required"; got != want {
		t.Errorf("one problem: Error() = %q, want %q", got, want)
	}
}
