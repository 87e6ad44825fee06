package e2e

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hookline/hookline/client"
)

// places returns each error's pointer (or "?parameter"), in order.
func (p problem) places() []string {
	var out []string
	for _, e := range p.Errors {
		if e.Detail == "" {
			out = append(out, "no detail at "+e.Pointer+e.Parameter)
		}
		if e.Parameter != "" {
			out = append(out, "?"+e.Parameter)
			continue
		}
		out = append(out, e.Pointer)
	}
	return out
}

// TestValidationReportsEveryProblem: a request with several bad fields
// gets them all in the problem's errors member, each at its JSON pointer,
// and field and detail still name the first.
func TestValidationReportsEveryProblem(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	cases := []struct {
		name         string
		method, path string
		body         string
		status       int
		field        string
		want         []string
	}{
		{
			name: "webhook with a bad url, an empty name and unknown events", method: "POST", path: "/api/v1/webhooks",
			body:   `{"name":"","url":"ftp://example.com/x","events":["payment_received","nope","nada"]}`,
			status: 400, field: "name", want: []string{"/name", "/url", "/events/1", "/events/2"},
		},
		{
			name: "webhook with bad headers", method: "POST", path: "/api/v1/webhooks",
			body:   `{"name":"ok name","url":"http://127.0.0.1:9/","events":["*"],"headers":{"Host":"x","X A":"y","X-Ok":"z","a/b":"w"}}`,
			status: 400, field: "headers.Host", want: []string{"/headers/Host", "/headers/X A", "/headers/a~1b"},
		},
		{
			name: "event with a bad tenant, no type and an array as data", method: "POST", path: "/api/v1/events",
			body:   `{"tenant":"a b","data":[1]}`,
			status: 400, field: "tenant", want: []string{"/tenant", "/type", "/data"},
		},
		{
			name: "event of an unknown type with a long idempotency key", method: "POST", path: "/api/v1/events",
			body:   `{"type":"no_such_type","data":{},"idempotency_key":"` + strings.Repeat("k", 256) + `"}`,
			status: 400, field: "idempotency_key", want: []string{"/idempotency_key", "/type"},
		},
		{
			name: "event type with a bad slug, no name and a non-object example", method: "POST", path: "/api/v1/event-types",
			body:   `{"slug":"Bad Slug","name":"","example":[1]}`,
			status: 400, field: "slug", want: []string{"/slug", "/name", "/example"},
		},
		{
			name: "key with no name and unknown scopes", method: "POST", path: "/api/v1/keys",
			body:   `{"name":"","scopes":["delete","admin","write"]}`,
			status: 400, field: "name", want: []string{"/name", "/scopes/0", "/scopes/2"},
		},
		{
			name: "subscription without target_url and event", method: "POST", path: "/api/v1/hooks",
			body:   `{}`,
			status: 400, field: "target_url", want: []string{"/target_url", "/event"},
		},
		{
			name: "a query parameter", method: "GET", path: "/api/v1/webhooks?limit=0",
			status: 400, field: "limit", want: []string{"?limit"},
		},
	}
	for _, c := range cases {
		var body any
		if c.body != "" {
			body = c.body
		}
		p := s.sendProblem(c.status, c.method, c.path, body)
		if got := p.places(); !slices.Equal(got, c.want) {
			t.Errorf("%s: errors at %q, want %q (%s)", c.name, got, c.want, fmtJSON(p))
			continue
		}
		if p.Field != c.field {
			t.Errorf("%s: field %q, want %q", c.name, p.Field, c.field)
		}
		if p.Detail != p.Field+": "+p.Errors[0].Detail {
			t.Errorf("%s: detail %q, want the first problem's", c.name, p.Detail)
		}
	}
	var list struct {
		Data []webhookResp `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/webhooks", nil, &list)
	if len(list.Data) != 0 {
		t.Errorf("%d webhooks stored from refused requests", len(list.Data))
	}
}

// TestClientAndCLIShowEveryProblem: the Go client exposes the server's
// list, and the CLI prints it one problem per line.
func TestClientAndCLIShowEveryProblem(t *testing.T) {
	t.Parallel()
	s := startServer(t)

	api := client.New(s.URL, s.Key)
	_, err := api.WebhookCreate(context.Background(), client.WebhookCreateParams{
		Name: "", URL: "ftp://example.com/x", Events: []string{"nope"},
	})
	e, ok := errors.AsType[*client.Error](err)
	if !ok || !client.IsInvalid(err) {
		t.Fatalf("WebhookCreate = %v, want an invalid-request *client.Error", err)
	}
	var places []string
	for _, p := range e.Errors {
		places = append(places, p.Place())
	}
	if want := []string{"/name", "/url", "/events/0"}; !slices.Equal(places, want) || e.Field != "name" {
		t.Errorf("client.Error: field %q, errors at %q, want name and %q", e.Field, places, want)
	}

	c := newCLI(t, s, true)
	r := c.fails(1, []string{
		"3 problems with the request:\n",
		"\n  /name: must be 2 to 200 characters\n",
		"\n  /url: scheme must be http or https\n",
		"\n  /events/0: unknown event type \"nope\"",
	}, "webhooks", "create", "--name", "x", "--url", "ftp://example.com/x", "--events", "nope")
	if n := strings.Count(r.stderr, "\n"); n != 4 {
		t.Errorf("stderr has %d lines, want the count and one per problem:\n%s", n, r.stderr)
	}
}
