package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/webhook"
)

func TestCheckResponse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		r    bin.Response
		want []string // JSON pointers of the problems, in order
	}{
		{"plain", bin.Response{Status: 200}, nil},
		{"everything", bin.Response{Status: 503, Headers: map[string]string{"Retry-After": "5", "content-type": "application/json"},
			Body: `{"down":true}`, DelayMS: 30000}, nil},
		{"redirect", bin.Response{Status: 302, Headers: map[string]string{"Location": "https://example.com/"}}, nil},
		{"informational", bin.Response{Status: 101}, []string{"/response/status"}},
		{"too low", bin.Response{Status: 42}, []string{"/response/status"}},
		{"too high", bin.Response{Status: 600}, []string{"/response/status"}},
		{"hop by hop", bin.Response{Status: 200, Headers: map[string]string{"connection": "close", "Transfer-Encoding": "chunked"}},
			[]string{"/response/headers/Transfer-Encoding", "/response/headers/connection"}},
		{"dashboard origin", bin.Response{Status: 200, Headers: map[string]string{"Set-Cookie": "hookline_session=x",
			"Content-Security-Policy": "default-src *"}},
			[]string{"/response/headers/Content-Security-Policy", "/response/headers/Set-Cookie"}},
		{"bad name and value", bin.Response{Status: 200, Headers: map[string]string{"Bad Name": "x", "X-Split": "a\r\nSet-Cookie: b"}},
			[]string{"/response/headers/Bad Name", "/response/headers/X-Split"}},
		{"long value", bin.Response{Status: 200, Headers: map[string]string{"X-Long": strings.Repeat("a", 1025)}},
			[]string{"/response/headers/X-Long"}},
		{"body too big", bin.Response{Status: 200, Body: strings.Repeat("a", MaxResponseBody+1)}, []string{"/response/body"}},
		{"binary body", bin.Response{Status: 200, Body: "a\x00b"}, []string{"/response/body"}},
		{"body of a 204", bin.Response{Status: 204, Body: "x"}, []string{"/response/body"}},
		{"delay", bin.Response{Status: 200, DelayMS: 30001}, []string{"/response/delay_ms"}},
		{"negative delay", bin.Response{Status: 200, DelayMS: -1}, []string{"/response/delay_ms"}},
		{"all at once", bin.Response{Status: 0, Body: "a\x00", DelayMS: -5, Headers: map[string]string{"Upgrade": "h2c"}},
			[]string{"/response/status", "/response/headers/Upgrade", "/response/body", "/response/delay_ms"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckResponse(tc.r)
			var got []string
			if e, ok := err.(*webhook.Error); ok {
				for _, p := range e.Problems() {
					got = append(got, p.Pointer)
				}
			} else if err != nil {
				t.Fatalf("not a field error: %v", err)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("problems at %q, want %q (%v)", got, tc.want, err)
			}
		})
	}
}

// catcherServer serves the inspector's capture endpoint; done receives a
// value each time a capture handler has returned.
func catcherServer(t *testing.T, i *Inspector) (*httptest.Server, chan struct{}) {
	t.Helper()
	mux := http.NewServeMux()
	i.Register(mux)
	done := make(chan struct{}, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		done <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	return srv, done
}

func TestCustomResponse(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	i, _ := newInspector(t, st, Config{})
	ctx := operatorCtx()
	b, err := i.Create(ctx, "custom")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := i.SetResponse(ctx, b.ID, &bin.Response{Status: 200, DelayMS: -1}); webhook.ErrorCode(err) != webhook.EINVALID {
		t.Fatalf("SetResponse of a bad response: %v", err)
	}
	got, err := i.SetResponse(ctx, b.ID, &bin.Response{Status: 503, Body: "<script>alert(1)</script>",
		Headers: map[string]string{"retry-after": "7", "Content-Type": "text/html"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Response.Headers["Retry-After"] != "7" {
		t.Errorf("header names are not canonical: %v", got.Response.Headers)
	}
	srv, _ := catcherServer(t, i)
	resp, err := http.Post(srv.URL+"/bins/"+b.Token+"/a%2Fb?x=1", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || string(body) != "<script>alert(1)</script>" || resp.Header.Get("Retry-After") != "7" {
		t.Errorf("answer: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	// The bin is on the dashboard's origin: its answers never run there.
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("answer without nosniff and a sandbox policy: %v", resp.Header)
	}
	reqs, err := i.Requests(ctx, b.ID)
	if err != nil || len(reqs) != 1 {
		t.Fatalf("captured %d requests, %v", len(reqs), err)
	}
	r := reqs[0]
	if r.Answered != 503 || r.Target != "/bins/"+b.Token+"/a%2Fb?x=1" || r.Proto != "HTTP/1.1" {
		t.Errorf("captured answered %d, target %q, proto %q", r.Answered, r.Target, r.Proto)
	}

	// Back to the default.
	if _, err := i.SetResponse(ctx, b.ID, nil); err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(srv.URL + "/bins/" + b.Token)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("default answer: %d %v", resp.StatusCode, resp.Header)
	}
}

// A delayed answer ends when the sender goes away, when the server shuts
// down and at Close; the delay's own timer never fires in this test, so
// only those can end it.
func TestResponseDelayEnds(t *testing.T) {
	t.Parallel()
	never := func(time.Duration) (<-chan time.Time, func() bool) { return nil, func() bool { return true } }
	setup := func(t *testing.T) (*Inspector, bin.Bin, chan struct{}) {
		st := openStore(t)
		i, _ := newInspector(t, st, Config{})
		i.timer = never
		b, err := i.Create(operatorCtx(), "slow")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := i.SetResponse(operatorCtx(), b.ID, &bin.Response{Status: 202, DelayMS: 30000}); err != nil {
			t.Fatal(err)
		}
		wake, cancel := i.broker.subscribe(b.ID)
		t.Cleanup(cancel)
		return i, b, wake
	}

	t.Run("SenderGone", func(t *testing.T) {
		t.Parallel()
		i, b, captured := setup(t)
		srv, done := catcherServer(t, i)
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/bins/"+b.Token, strings.NewReader("x"))
		errc := make(chan error, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			errc <- err
		}()
		<-captured
		cancel()
		<-done // the handler returned: it did not wait out the delay
		if err := <-errc; err == nil {
			t.Error("the sender that went away got an answer")
		}
	})

	t.Run("Shutdown", func(t *testing.T) {
		t.Parallel()
		i, b, captured := setup(t)
		srv, _ := catcherServer(t, i)
		type result struct {
			status int
			err    error
		}
		res := make(chan result, 1)
		go func() {
			resp, err := http.Post(srv.URL+"/bins/"+b.Token, "text/plain", strings.NewReader("x"))
			if err != nil {
				res <- result{err: err}
				return
			}
			resp.Body.Close()
			res <- result{status: resp.StatusCode}
		}()
		<-captured
		if err := srv.Config.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if r := <-res; r.err != nil || r.status != 202 {
			t.Errorf("answer at shutdown: %d %v", r.status, r.err)
		}
	})

	t.Run("CloseInProcess", func(t *testing.T) {
		t.Parallel()
		i, b, captured := setup(t)
		client := &http.Client{Transport: i.Transport(&refuse{})}
		res := make(chan int, 1)
		go func() {
			resp, err := client.Post("http://localhost:8080/bins/"+b.Token, "text/plain", strings.NewReader("x"))
			if err != nil {
				res <- -1
				return
			}
			resp.Body.Close()
			res <- resp.StatusCode
		}()
		<-captured
		i.Close()
		if got := <-res; got != 202 {
			t.Errorf("in-process answer after Close: %d", got)
		}
	})
}

func TestSearch(t *testing.T) {
	t.Parallel()
	r := bin.Request{Method: "POST", Target: "/bins/tok/orders?id=42", Path: "/bins/tok/orders", Query: "id=42",
		Headers: http.Header{"Content-Type": {"application/json"}, "X-Event": {"order.Created", "other"}},
		Body:    []byte("{\"sku\":\"A-1\"}\x00\xff")}
	for _, tc := range []struct {
		q    Query
		want bool
	}{
		{Query{}, true},
		{Query{Method: "post"}, true},
		{Query{Method: "GET"}, false},
		{Query{Path: "ORDERS?ID=4"}, true},
		{Query{Path: "/users"}, false},
		{Query{Header: "x-event"}, true},
		{Query{Header: "X-Missing"}, false},
		{Query{Header: "X-Event: order.created"}, true},
		{Query{Header: "X-Event:other"}, true},
		{Query{Header: "X-Event: refund"}, false},
		{Query{Header: "Content-Type: order"}, false},
		{Query{Body: `"sku":"A-1"`}, true},
		{Query{Body: "a-1"}, false}, // bodies match byte for byte
		{Query{Body: "\x00\xff"}, true},
		{Query{Method: "POST", Body: "B-2"}, false},
	} {
		if got := tc.q.Match(r); got != tc.want {
			t.Errorf("%+v matches: %v, want %v", tc.q, got, tc.want)
		}
	}

	_, err := ParseQuery(url.Values{"method": {"PO ST"}, "header": {"bad name: x"}, "limit": {"0"},
		"body": {strings.Repeat("x", 257)}})
	e, ok := err.(*webhook.Error)
	if !ok || len(e.Problems()) != 4 {
		t.Fatalf("ParseQuery of four bad terms: %v", err)
	}
	q, err := ParseQuery(url.Values{"method": {"post"}, "header": {"X-Event: order"}, "limit": {"2"}})
	if err != nil || q.Method != "post" || q.Header != "X-Event: order" || q.Limit != 2 {
		t.Fatalf("ParseQuery: %+v %v", q, err)
	}

	st := openStore(t)
	i, _ := newInspector(t, st, Config{})
	ctx := operatorCtx()
	b, _ := i.Create(ctx, "search")
	srv, _ := catcherServer(t, i)
	for _, s := range []string{"one", "two match", "three match", "four match"} {
		resp, err := http.Post(srv.URL+"/bins/"+b.Token, "text/plain", strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	got, err := i.Search(ctx, b.ID, Query{Body: "match", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0].Body) != "four match" || string(got[1].Body) != "three match" {
		t.Errorf("Search: %d results", len(got))
	}
}

func TestRaw(t *testing.T) {
	t.Parallel()
	r := bin.Request{Method: "PUT", Target: "/bins/tok/a%2Fb?x=%20", Proto: "HTTP/1.1",
		Headers: http.Header{"Host": {"hooks.example.com"}, "X-B": {"2", "3"}, "Content-Type": {"application/octet-stream"}},
		Body:    []byte("\x00\x01\xffend")}
	want := "PUT /bins/tok/a%2Fb?x=%20 HTTP/1.1\r\nHost: hooks.example.com\r\nContent-Type: application/octet-stream\r\n" +
		"X-B: 2\r\nX-B: 3\r\n\r\n\x00\x01\xffend"
	if got := string(Raw(r)); got != want {
		t.Errorf("Raw:\n%q\nwant\n%q", got, want)
	}
	// Requests captured before targets were recorded.
	old := bin.Request{Method: "GET", Path: "/bins/tok", Query: "a=1"}
	if got := string(Raw(old)); got != "GET /bins/tok?a=1 HTTP/1.1\r\n\r\n" {
		t.Errorf("Raw of an old request: %q", got)
	}
}

// TestHAR checks the members HAR 1.2 requires of every object, with their
// types, and what a viewer shows of a request.
func TestHAR(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 7, 10, 0, 0, 123456789, time.UTC)
	reqs := []bin.Request{ // newest first, as listed
		{ID: "req_2", Method: "POST", Target: "/bins/tok/x?a=1&b=%C3%A9&flag", Proto: "HTTP/1.1", ReceivedAt: at.Add(time.Second),
			Headers: http.Header{"Content-Type": {"application/json"}, "Cookie": {"a=1; b=2"}, "Host": {"h.example"}},
			Body:    []byte(`{"x":1}`), Size: 7, Answered: 503},
		{ID: "req_1", Method: "PUT", Target: "/bins/tok", ReceivedAt: at, Body: []byte{0, 0xff}, Size: 10, Truncated: true},
	}
	raw, err := HAR(reqs, "https://hooks.example.com/", "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	log := doc["log"].(map[string]any)
	need := func(obj map[string]any, where string, members map[string]string) {
		t.Helper()
		for k, kind := range members {
			v, ok := obj[k]
			if !ok {
				t.Errorf("%s: %s is missing", where, k)
				continue
			}
			var got string
			switch v.(type) {
			case string:
				got = "string"
			case float64:
				got = "number"
			case []any:
				got = "array"
			case map[string]any:
				got = "object"
			}
			if got != kind {
				t.Errorf("%s.%s is a %s, want a %s", where, k, got, kind)
			}
		}
	}
	need(log, "log", map[string]string{"version": "string", "creator": "object", "entries": "array"})
	need(log["creator"].(map[string]any), "log.creator", map[string]string{"name": "string", "version": "string"})
	entries := log["entries"].([]any)
	if len(entries) != 2 || log["version"] != "1.2" {
		t.Fatalf("version %v, %d entries", log["version"], len(entries))
	}
	for n, e := range entries {
		e := e.(map[string]any)
		need(e, "entry", map[string]string{"startedDateTime": "string", "time": "number", "request": "object",
			"response": "object", "cache": "object", "timings": "object"})
		if _, err := time.Parse(time.RFC3339Nano, e["startedDateTime"].(string)); err != nil {
			t.Errorf("entry %d: startedDateTime: %v", n, err)
		}
		req := e["request"].(map[string]any)
		need(req, "request", map[string]string{"method": "string", "url": "string", "httpVersion": "string",
			"cookies": "array", "headers": "array", "queryString": "array", "headersSize": "number", "bodySize": "number"})
		resp := e["response"].(map[string]any)
		need(resp, "response", map[string]string{"status": "number", "statusText": "string", "httpVersion": "string",
			"cookies": "array", "headers": "array", "content": "object", "redirectURL": "string",
			"headersSize": "number", "bodySize": "number"})
		need(resp["content"].(map[string]any), "content", map[string]string{"size": "number", "mimeType": "string"})
		need(e["timings"].(map[string]any), "timings", map[string]string{"send": "number", "wait": "number", "receive": "number"})
		if pd, ok := req["postData"].(map[string]any); ok {
			need(pd, "postData", map[string]string{"mimeType": "string", "text": "string", "params": "array"})
		}
		if u, err := url.Parse(req["url"].(string)); err != nil || !u.IsAbs() {
			t.Errorf("entry %d: url %v is not absolute", n, req["url"])
		}
	}
	first, second := entries[0].(map[string]any), entries[1].(map[string]any)
	if first["request"].(map[string]any)["method"] != "PUT" {
		t.Error("entries are not oldest first")
	}
	pd := first["request"].(map[string]any)["postData"].(map[string]any)
	if pd["_encoding"] != "base64" || pd["text"] != "AP8=" {
		t.Errorf("binary body: %v", pd)
	}
	req := second["request"].(map[string]any)
	if req["url"] != "https://hooks.example.com/bins/tok/x?a=1&b=%C3%A9&flag" {
		t.Errorf("url %v", req["url"])
	}
	qs, _ := json.Marshal(req["queryString"])
	if string(qs) != `[{"name":"a","value":"1"},{"name":"b","value":"é"},{"name":"flag","value":""}]` {
		t.Errorf("queryString %s", qs)
	}
	cookies, _ := json.Marshal(req["cookies"])
	if string(cookies) != `[{"name":"a","value":"1"},{"name":"b","value":"2"}]` {
		t.Errorf("cookies %s", cookies)
	}
	if st := second["response"].(map[string]any)["status"]; st != float64(503) {
		t.Errorf("response status %v", st)
	}
}

type guardFunc func(string) error

func (g guardFunc) CheckURL(raw string) error { return g(raw) }

func TestForward(t *testing.T) {
	t.Parallel()
	type seen struct {
		method, path string
		header       http.Header
		body         []byte
	}
	got := make(chan seen, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.URL.RequestURI(), r.Header, b}
		w.Header().Set("X-Receiver", "yes")
		w.WriteHeader(201)
		w.Write(bytes.Repeat([]byte("r"), forwardExcerpt+10))
	}))
	t.Cleanup(receiver.Close)
	st := openStore(t)
	i, _ := newInspector(t, st, Config{
		MaxBody: 16,
		Forward: &http.Client{},
		Guard: guardFunc(func(raw string) error {
			if strings.Contains(raw, "169.254.") {
				return webhook.FieldError(webhook.EUNPROCESSABLE, "url", "points to a private or reserved address")
			}
			return nil
		}),
	})
	ctx := operatorCtx()
	b, _ := i.Create(ctx, "fwd")
	srv, _ := catcherServer(t, i)
	req, _ := http.NewRequest("PATCH", srv.URL+"/bins/"+b.Token+"?q=1", strings.NewReader("small body"))
	req.Header.Set("X-Signature", "v1,abc")
	req.Header.Set("Content-Type", "text/plain")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	if resp, err := http.Post(srv.URL+"/bins/"+b.Token, "text/plain", strings.NewReader(strings.Repeat("x", 40))); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	reqs, _ := i.Requests(ctx, b.ID)
	big, small := reqs[0], reqs[1]

	f, err := i.Forward(ctx, b.ID, small.ID, receiver.URL+"/hook")
	if err != nil {
		t.Fatal(err)
	}
	s := <-got
	if s.method != "PATCH" || s.path != "/hook" || string(s.body) != "small body" || s.header.Get("X-Signature") != "v1,abc" {
		t.Errorf("receiver saw %s %s %q %v", s.method, s.path, s.body, s.header)
	}
	if f.Status != 201 || f.Headers.Get("X-Receiver") != "yes" || !f.Truncated || len(f.Body) != forwardExcerpt {
		t.Errorf("forward result: %d %v truncated=%v %d bytes", f.Status, f.Headers, f.Truncated, len(f.Body))
	}

	if _, err := i.Forward(ctx, b.ID, big.ID, receiver.URL); webhook.ErrorCode(err) != webhook.EUNPROCESSABLE {
		t.Errorf("forwarding a cut body: %v", err)
	}
	for _, bad := range []string{"", "http://169.254.169.254/latest", "http://" + strings.Repeat("a", 2050)} {
		if _, err := i.Forward(ctx, b.ID, small.ID, bad); webhook.ErrorCode(err) == "" || !strings.Contains(errField(err), "url") {
			t.Errorf("Forward to %.40q: %v", bad, err)
		}
	}
	if _, err := i.Forward(ctx, b.ID, "req_unknown", receiver.URL); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("Forward of an unknown request: %v", err)
	}
}

func errField(err error) string {
	if e, ok := err.(*webhook.Error); ok {
		return e.Field
	}
	return ""
}
