package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/fakeclock"
	"github.com/hookline/hookline/internal/store/sqlite/sqlitetest"

	"github.com/hookline/hookline/internal/catalog"
	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/egress"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/sqlite"
	"github.com/hookline/hookline/internal/webhook"
	"github.com/hookline/hookline/verify"
)

var t0 = time.Date(2030, time.March, 14, 9, 0, 0, 0, time.UTC)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// invalidations records what the registry told the dispatcher.
type invalidations struct {
	mu  sync.Mutex
	ids []string
}

func (i *invalidations) Invalidate(id string) {
	i.mu.Lock()
	i.ids = append(i.ids, id)
	i.mu.Unlock()
}

func (i *invalidations) got() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return slices.Clone(i.ids)
}

type bundle struct {
	ctx     context.Context
	reg     *registry.Registry
	store   *sqlite.Store
	clock   *fakeclock.Clock
	inv     *invalidations
	forgot  func() []string
	builtin []webhook.EventType
}

type options struct {
	allowLoopback bool
}

// setup opens a fresh SQLite store seeded with the built-in catalog and a
// Registry on it whose guard and client allow loopback (unless told not
// to), so test sends reach httptest receivers.
func setup(t *testing.T, opts options) *bundle {
	t.Helper()
	st := sqlitetest.Open(t)
	ctx := context.Background()
	builtin, err := catalog.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range builtin {
		builtin[i].CreatedAt = t0
	}
	if err := st.EventTypeSeed(ctx, builtin); err != nil {
		t.Fatal(err)
	}
	var allow []netip.Prefix
	if opts.allowLoopback {
		allow = loopback
	}
	clk := fakeclock.New(t0)
	inv := &invalidations{}
	var mu sync.Mutex
	var forgot []string
	reg := registry.New(registry.Config{
		Store:    st,
		Guard:    egress.NewGuard(allow),
		Sender:   deliver.New(deliver.Config{Client: egress.NewClient(egress.Config{AllowPrivate: allow}), Version: "test"}),
		Webhooks: inv,
		Forget: func(slug string) {
			mu.Lock()
			forgot = append(forgot, slug)
			mu.Unlock()
		},
		RotationOverlap: time.Hour,
		Now:             clk.Now,
	})
	return &bundle{
		// The registry acts for the principal of its context; these tests
		// act as the system, as an operator would.
		ctx: auth.WithPrincipal(ctx, auth.System()), reg: reg, store: st, clock: clk, inv: inv, builtin: builtin,
		forgot: func() []string {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(forgot)
		},
	}
}

func ptr[T any](v T) *T { return &v }

// validInput is a webhook every validation test starts from.
func (b *bundle) validInput() registry.WebhookInput {
	return registry.WebhookInput{
		Name:   ptr("Orders"),
		URL:    ptr("https://receiver.example.com/hooks"),
		Events: []string{b.builtin[0].Slug},
	}
}

func (b *bundle) create(t *testing.T, in registry.WebhookInput) (webhook.Webhook, string) {
	t.Helper()
	w, secret, err := b.reg.CreateWebhook(b.ctx, in)
	if err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	return w, secret
}

// wantError checks err's code and field; an empty code means no error.
func wantError(t *testing.T, err error, code webhook.Code, field string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got no error, want %s on %q", code, field)
	}
	if got := webhook.ErrorCode(err); got != code {
		t.Errorf("code = %s, want %s (%v)", got, code, err)
	}
	var e *webhook.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *webhook.Error", err)
	}
	if e.Field != field {
		t.Errorf("field = %q, want %q (%v)", e.Field, field, err)
	}
}

func TestCheckHeaders(t *testing.T) {
	t.Parallel()
	many := map[string]string{}
	for i := range registry.MaxHeaders + 1 {
		many["X-H"+strings.Repeat("a", i)] = "v"
	}
	maxed := map[string]string{}
	for i := range registry.MaxHeaders {
		maxed["X-H"+strings.Repeat("a", i)] = "v"
	}
	tests := []struct {
		name      string
		headers   map[string]string
		wantErr   bool
		wantField string
	}{
		{name: "none", headers: map[string]string{}},
		{name: "nil", headers: nil},
		{name: "typical", headers: map[string]string{"Authorization": "Bearer abc", "X-Tenant": "acme"}},
		{name: "token punctuation", headers: map[string]string{"X-a!#$%&'*+.^_`|~1": "v"}},
		{name: "tab and utf-8 in value", headers: map[string]string{"X-Note": "café\tnoir"}},
		{name: "longest name", headers: map[string]string{strings.Repeat("x", registry.MaxHeaderName): "v"}},
		{name: "longest value", headers: map[string]string{"X-Long": strings.Repeat("v", registry.MaxHeaderValue)}},
		{name: "exactly max count", headers: maxed},
		{name: "webhook without dash is not the protocol prefix", headers: map[string]string{"Webhookish": "v"}},

		{name: "too many", headers: many, wantErr: true, wantField: "headers"},
		{name: "name too long", headers: map[string]string{strings.Repeat("x", registry.MaxHeaderName+1): "v"}, wantErr: true},
		{name: "value too long", headers: map[string]string{"X-Long": strings.Repeat("v", registry.MaxHeaderValue+1)}, wantErr: true, wantField: "headers.X-Long"},
		{name: "empty name", headers: map[string]string{"": "v"}, wantErr: true, wantField: "headers."},
		{name: "space in name", headers: map[string]string{"X Custom": "v"}, wantErr: true, wantField: "headers.X Custom"},
		{name: "colon in name", headers: map[string]string{"X:Custom": "v"}, wantErr: true, wantField: "headers.X:Custom"},
		{name: "crlf in name", headers: map[string]string{"X-A\r\nX-B": "v"}, wantErr: true},
		{name: "non-ascii name", headers: map[string]string{"X-Ü": "v"}, wantErr: true},
		{name: "parenthesis in name", headers: map[string]string{"(x)": "v"}, wantErr: true},
		{name: "CR in value", headers: map[string]string{"X-A": "a\rb"}, wantErr: true, wantField: "headers.X-A"},
		{name: "LF in value", headers: map[string]string{"X-A": "a\nInjected: yes"}, wantErr: true, wantField: "headers.X-A"},
		{name: "CRLF in value", headers: map[string]string{"X-A": "a\r\nInjected: yes"}, wantErr: true, wantField: "headers.X-A"},
		{name: "NUL in value", headers: map[string]string{"X-A": "a\x00b"}, wantErr: true, wantField: "headers.X-A"},
		{name: "escape in value", headers: map[string]string{"X-A": "a\x1bb"}, wantErr: true, wantField: "headers.X-A"},
		{name: "DEL in value", headers: map[string]string{"X-A": "a\x7fb"}, wantErr: true, wantField: "headers.X-A"},
		{name: "invalid utf-8 in value", headers: map[string]string{"X-A": "a\xffb"}, wantErr: true, wantField: "headers.X-A"},
		// Two spellings of one header collapse into one on the wire, and
		// which value wins would depend on map order.
		{name: "same name twice in different case", headers: map[string]string{"X-Tenant": "a", "x-tenant": "b"}, wantErr: true},
	}
	for _, name := range []string{
		"Host", "host", "HOST", "Content-Type", "content-length", "Content-Encoding", "Transfer-Encoding",
		"Connection", "Keep-Alive", "Proxy-Authorization", "Proxy-Authenticate", "Proxy-Connection", "TE",
		"Trailer", "Upgrade", "User-Agent", "user-agent", "Expect", "Date",
		"webhook-id", "Webhook-Timestamp", "WEBHOOK-SIGNATURE", "webhook-event", "Webhook-Anything",
	} {
		tests = append(tests, struct {
			name      string
			headers   map[string]string
			wantErr   bool
			wantField string
		}{name: "reserved " + name, headers: map[string]string{name: "v"}, wantErr: true, wantField: "headers." + name})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := registry.CheckHeaders(tt.headers)
			if !tt.wantErr {
				if err != nil {
					t.Errorf("CheckHeaders: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("CheckHeaders: got no error")
			}
			var e *webhook.Error
			if !errors.As(err, &e) || e.Code != webhook.EINVALID {
				t.Fatalf("error = %v, want an EINVALID *webhook.Error", err)
			}
			if !strings.HasPrefix(e.Field, "headers") {
				t.Errorf("field = %q, want headers...", e.Field)
			}
			if tt.wantField != "" && e.Field != tt.wantField {
				t.Errorf("field = %q, want %q", e.Field, tt.wantField)
			}
		})
	}
}

func TestCreateWebhook(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	in := b.validInput()
	in.Description = ptr("All orders")
	in.Headers = map[string]string{"Authorization": "Bearer x"}
	w, secret := b.create(t, in)
	if !webhook.HasPrefix(w.ID, webhook.PrefixWebhook) {
		t.Errorf("ID = %q", w.ID)
	}
	if !strings.HasPrefix(secret, "whsec_") {
		t.Errorf("secret = %q, want whsec_...", secret)
	}
	if _, err := verify.New(secret); err != nil {
		t.Errorf("secret does not decode: %v", err)
	}
	if w.Tenant != webhook.DefaultTenant || !w.Active || w.Format != webhook.FormatEnvelope ||
		w.Integration != "manual" || w.Name != "Orders" || w.Description != "All orders" ||
		!w.CreatedAt.Equal(t0) || !w.UpdatedAt.Equal(t0) {
		t.Errorf("created = %+v", w)
	}
	got, err := b.store.WebhookGet(b.ctx, auth.AllTenants(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != w.Name || got.URL != w.URL || !slices.Equal(got.Events, w.Events) ||
		got.Headers["Authorization"] != "Bearer x" || got.Tenant != w.Tenant {
		t.Errorf("stored = %+v, returned %+v", got, w)
	}
	secrets, err := b.reg.Secrets(b.ctx, w.ID)
	if err != nil || len(secrets) != 1 || secrets[0].Value != secret {
		t.Errorf("Secrets = %v, %v; want the returned secret", secrets, err)
	}
}

func TestCreateWebhookValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	slugA, slugB := b.builtin[0].Slug, b.builtin[1].Slug
	tooManyEvents := make([]string, registry.MaxEvents+1)
	for i := range tooManyEvents {
		tooManyEvents[i] = slugA
	}
	tests := []struct {
		name       string
		edit       func(in *registry.WebhookInput)
		wantCode   webhook.Code
		wantField  string
		wantEvents []string
		check      func(t *testing.T, w webhook.Webhook)
	}{
		{name: "valid", edit: func(*registry.WebhookInput) {}},

		{name: "name missing", edit: func(in *registry.WebhookInput) { in.Name = nil }, wantCode: webhook.EINVALID, wantField: "name"},
		{name: "name 1 char", edit: func(in *registry.WebhookInput) { in.Name = ptr("a") }, wantCode: webhook.EINVALID, wantField: "name"},
		{name: "name 2 chars", edit: func(in *registry.WebhookInput) { in.Name = ptr("ab") }},
		{name: "name 2 chars after trimming", edit: func(in *registry.WebhookInput) { in.Name = ptr("  a  ") }, wantCode: webhook.EINVALID, wantField: "name"},
		{name: "name blank", edit: func(in *registry.WebhookInput) { in.Name = ptr("     ") }, wantCode: webhook.EINVALID, wantField: "name"},
		{name: "name 200 runes", edit: func(in *registry.WebhookInput) { in.Name = ptr(strings.Repeat("é", 200)) }},
		{name: "name 201 runes", edit: func(in *registry.WebhookInput) { in.Name = ptr(strings.Repeat("é", 201)) }, wantCode: webhook.EINVALID, wantField: "name"},
		{name: "name 201 ascii", edit: func(in *registry.WebhookInput) { in.Name = ptr(strings.Repeat("a", 201)) }, wantCode: webhook.EINVALID, wantField: "name"},
		{
			name: "name trimmed", edit: func(in *registry.WebhookInput) { in.Name = ptr("  Orders  ") },
			check: func(t *testing.T, w webhook.Webhook) {
				if w.Name != "Orders" {
					t.Errorf("Name = %q", w.Name)
				}
			},
		},

		{name: "url missing", edit: func(in *registry.WebhookInput) { in.URL = nil }, wantCode: webhook.EINVALID, wantField: "url"},
		{name: "url empty", edit: func(in *registry.WebhookInput) { in.URL = ptr("") }, wantCode: webhook.EINVALID, wantField: "url"},
		{name: "url ftp", edit: func(in *registry.WebhookInput) { in.URL = ptr("ftp://example.com/in") }, wantCode: webhook.EINVALID, wantField: "url"},
		{name: "url no scheme", edit: func(in *registry.WebhookInput) { in.URL = ptr("example.com/in") }, wantCode: webhook.EINVALID, wantField: "url"},
		{name: "url userinfo", edit: func(in *registry.WebhookInput) { in.URL = ptr("https://user:pass@example.com/in") }, wantCode: webhook.EINVALID, wantField: "url"},
		{name: "url fragment", edit: func(in *registry.WebhookInput) { in.URL = ptr("https://example.com/in#x") }, wantCode: webhook.EINVALID, wantField: "url"},
		{name: "url decimal ip", edit: func(in *registry.WebhookInput) { in.URL = ptr("http://2130706433/") }, wantCode: webhook.EINVALID, wantField: "url"},
		{name: "url loopback refused", edit: func(in *registry.WebhookInput) { in.URL = ptr("http://127.0.0.1/") }, wantCode: webhook.EUNPROCESSABLE, wantField: "url"},
		{name: "url localhost refused", edit: func(in *registry.WebhookInput) { in.URL = ptr("http://localhost:8080/") }, wantCode: webhook.EUNPROCESSABLE, wantField: "url"},
		{name: "url metadata refused", edit: func(in *registry.WebhookInput) { in.URL = ptr("http://169.254.169.254/latest") }, wantCode: webhook.EUNPROCESSABLE, wantField: "url"},
		{
			name: "url trimmed", edit: func(in *registry.WebhookInput) { in.URL = ptr("  https://example.com/in \n") },
			check: func(t *testing.T, w webhook.Webhook) {
				if w.URL != "https://example.com/in" {
					t.Errorf("URL = %q", w.URL)
				}
			},
		},

		{name: "events missing", edit: func(in *registry.WebhookInput) { in.Events = nil }, wantCode: webhook.EINVALID, wantField: "events"},
		{name: "events empty", edit: func(in *registry.WebhookInput) { in.Events = []string{} }, wantCode: webhook.EINVALID, wantField: "events"},
		{name: "events too many", edit: func(in *registry.WebhookInput) { in.Events = tooManyEvents }, wantCode: webhook.EINVALID, wantField: "events"},
		{name: "event unknown", edit: func(in *registry.WebhookInput) { in.Events = []string{"no.such.type"} }, wantCode: webhook.EUNPROCESSABLE, wantField: "events[0]"},
		{name: "second event unknown", edit: func(in *registry.WebhookInput) { in.Events = []string{slugA, "no.such.type"} }, wantCode: webhook.EUNPROCESSABLE, wantField: "events[1]"},
		{name: "event invalid slug", edit: func(in *registry.WebhookInput) { in.Events = []string{slugA, "Not A Slug"} }, wantCode: webhook.EINVALID, wantField: "events[1]"},
		{name: "wildcard alone", edit: func(in *registry.WebhookInput) { in.Events = []string{"*"} }, wantEvents: []string{"*"}},
		{name: "wildcard first and more", edit: func(in *registry.WebhookInput) { in.Events = []string{"*", slugA} }, wantCode: webhook.EINVALID, wantField: "events"},
		{name: "wildcard after a type", edit: func(in *registry.WebhookInput) { in.Events = []string{slugA, "*"} }, wantCode: webhook.EINVALID, wantField: "events"},
		{name: "wildcard twice", edit: func(in *registry.WebhookInput) { in.Events = []string{"*", "*"} }, wantCode: webhook.EINVALID, wantField: "events"},
		{name: "duplicates collapsed", edit: func(in *registry.WebhookInput) { in.Events = []string{slugB, slugA, slugB, slugA} }, wantEvents: []string{slugB, slugA}},

		{name: "format raw", edit: func(in *registry.WebhookInput) { in.Format = ptr("raw") }, check: func(t *testing.T, w webhook.Webhook) {
			if w.Format != webhook.FormatRaw {
				t.Errorf("Format = %q", w.Format)
			}
		}},
		{name: "format envelope", edit: func(in *registry.WebhookInput) { in.Format = ptr("envelope") }},
		{name: "format unknown", edit: func(in *registry.WebhookInput) { in.Format = ptr("xml") }, wantCode: webhook.EINVALID, wantField: "format"},
		{name: "format empty", edit: func(in *registry.WebhookInput) { in.Format = ptr("") }, wantCode: webhook.EINVALID, wantField: "format"},
		{name: "format wrong case", edit: func(in *registry.WebhookInput) { in.Format = ptr("RAW") }, wantCode: webhook.EINVALID, wantField: "format"},

		{name: "integration lowercased", edit: func(in *registry.WebhookInput) { in.Integration = ptr(" Zapier ") }, check: func(t *testing.T, w webhook.Webhook) {
			if w.Integration != "zapier" {
				t.Errorf("Integration = %q", w.Integration)
			}
		}},
		{name: "integration with punctuation", edit: func(in *registry.WebhookInput) { in.Integration = ptr("n8n.cloud-v2_x") }},
		{name: "integration empty", edit: func(in *registry.WebhookInput) { in.Integration = ptr("  ") }, wantCode: webhook.EINVALID, wantField: "integration"},
		{name: "integration space", edit: func(in *registry.WebhookInput) { in.Integration = ptr("my app") }, wantCode: webhook.EINVALID, wantField: "integration"},
		{name: "integration leading dot", edit: func(in *registry.WebhookInput) { in.Integration = ptr(".x") }, wantCode: webhook.EINVALID, wantField: "integration"},
		{name: "integration 50", edit: func(in *registry.WebhookInput) { in.Integration = ptr(strings.Repeat("a", registry.MaxIntegration)) }},
		{name: "integration 51", edit: func(in *registry.WebhookInput) { in.Integration = ptr(strings.Repeat("a", registry.MaxIntegration+1)) }, wantCode: webhook.EINVALID, wantField: "integration"},

		{name: "tenant empty is default", edit: func(in *registry.WebhookInput) { in.Tenant = ptr("") }, check: func(t *testing.T, w webhook.Webhook) {
			if w.Tenant != webhook.DefaultTenant {
				t.Errorf("Tenant = %q", w.Tenant)
			}
		}},
		{name: "tenant all allowed characters", edit: func(in *registry.WebhookInput) { in.Tenant = ptr("Acme_1-eu.west:prod@x") }},
		{name: "tenant 200", edit: func(in *registry.WebhookInput) { in.Tenant = ptr(strings.Repeat("t", 200)) }},
		{name: "tenant 201", edit: func(in *registry.WebhookInput) { in.Tenant = ptr(strings.Repeat("t", 201)) }, wantCode: webhook.EINVALID, wantField: "tenant"},
		{name: "tenant space", edit: func(in *registry.WebhookInput) { in.Tenant = ptr("acme corp") }, wantCode: webhook.EINVALID, wantField: "tenant"},
		{name: "tenant slash", edit: func(in *registry.WebhookInput) { in.Tenant = ptr("acme/eu") }, wantCode: webhook.EINVALID, wantField: "tenant"},
		{name: "tenant unicode", edit: func(in *registry.WebhookInput) { in.Tenant = ptr("acmé") }, wantCode: webhook.EINVALID, wantField: "tenant"},

		{name: "description 2000 runes", edit: func(in *registry.WebhookInput) { in.Description = ptr(strings.Repeat("é", registry.MaxDescription)) }},
		{name: "description 2001 runes", edit: func(in *registry.WebhookInput) { in.Description = ptr(strings.Repeat("é", registry.MaxDescription+1)) }, wantCode: webhook.EINVALID, wantField: "description"},

		{name: "header reserved", edit: func(in *registry.WebhookInput) { in.Headers = map[string]string{"webhook-id": "x"} }, wantCode: webhook.EINVALID, wantField: "headers.webhook-id"},
		{name: "header injection", edit: func(in *registry.WebhookInput) { in.Headers = map[string]string{"X-A": "a\r\nB: c"} }, wantCode: webhook.EINVALID, wantField: "headers.X-A"},

		{name: "created inactive", edit: func(in *registry.WebhookInput) { in.Active = ptr(false) }, check: func(t *testing.T, w webhook.Webhook) {
			if w.Active {
				t.Error("Active = true, want false")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := b.validInput()
			tt.edit(&in)
			w, secret, err := b.reg.CreateWebhook(b.ctx, in)
			wantError(t, err, tt.wantCode, tt.wantField)
			if tt.wantCode != "" {
				if secret != "" {
					t.Error("a secret was returned for a refused webhook")
				}
				if _, err := b.store.WebhookGet(b.ctx, auth.AllTenants(), w.ID); webhook.ErrorCode(err) != webhook.ENOTFOUND {
					t.Errorf("a refused webhook was stored (WebhookGet: %v)", err)
				}
				return
			}
			stored, err := b.store.WebhookGet(b.ctx, auth.AllTenants(), w.ID)
			if err != nil {
				t.Fatalf("WebhookGet: %v", err)
			}
			if tt.wantEvents != nil && (!slices.Equal(w.Events, tt.wantEvents) || !slices.Equal(stored.Events, tt.wantEvents)) {
				t.Errorf("Events = %q, stored %q, want %q", w.Events, stored.Events, tt.wantEvents)
			}
			if tt.check != nil {
				tt.check(t, w)
				tt.check(t, stored)
			}
		})
	}
}

// The same URL is refused or accepted depending on what the operator
// opened: the registry asks the deployment's Guard.
func TestCreateWebhookURLFollowsGuard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url           string
		allowLoopback bool
		wantCode      webhook.Code
	}{
		{url: "http://127.0.0.1/", wantCode: webhook.EUNPROCESSABLE},
		{url: "http://127.0.0.1/", allowLoopback: true},
		{url: "http://127.0.0.1:9000/hooks", allowLoopback: true},
		{url: "http://localhost:9000/hooks", allowLoopback: true},
		{url: "http://localhost:9000/hooks", wantCode: webhook.EUNPROCESSABLE},
		{url: "http://10.0.0.1/", allowLoopback: true, wantCode: webhook.EUNPROCESSABLE},
		{url: "http://2130706433/", wantCode: webhook.EINVALID},
		{url: "http://2130706433/", allowLoopback: true, wantCode: webhook.EINVALID},
		{url: "http://0x7f.1/", allowLoopback: true, wantCode: webhook.EINVALID},
		{url: "https://93.184.215.14/in"},
	}
	for _, tt := range tests {
		name := tt.url
		if tt.allowLoopback {
			name += " allowing loopback"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, options{allowLoopback: tt.allowLoopback})
			in := b.validInput()
			in.URL = ptr(tt.url)
			_, _, err := b.reg.CreateWebhook(b.ctx, in)
			field := ""
			if tt.wantCode != "" {
				field = "url"
			}
			wantError(t, err, tt.wantCode, field)
		})
	}
}

func TestUpdateWebhook(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	in := b.validInput()
	in.Tenant = ptr("acme")
	in.Headers = map[string]string{"X-Keep": "1"}
	w, _ := b.create(t, in)
	b.clock.Add(time.Minute)

	// Only the fields set change.
	got, err := b.reg.UpdateWebhook(b.ctx, w.ID, registry.WebhookInput{Name: ptr("Renamed"), Tenant: ptr("acme")})
	if err != nil {
		t.Fatalf("UpdateWebhook: %v", err)
	}
	if got.Name != "Renamed" || got.URL != w.URL || !slices.Equal(got.Events, w.Events) ||
		got.Headers["X-Keep"] != "1" || got.Tenant != "acme" || !got.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("updated = %+v", got)
	}
	stored, err := b.store.WebhookGet(b.ctx, auth.AllTenants(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Name != "Renamed" || stored.Headers["X-Keep"] != "1" || !stored.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("stored = %+v", stored)
	}
	if ids := b.inv.got(); !slices.Equal(ids, []string{w.ID}) {
		t.Errorf("Invalidate calls = %q, want [%s]", ids, w.ID)
	}

	// An empty headers map clears them; nil left them alone above.
	got, err = b.reg.UpdateWebhook(b.ctx, w.ID, registry.WebhookInput{Headers: map[string]string{}})
	if err != nil || len(got.Headers) != 0 {
		t.Errorf("clear headers = %v, %v", got.Headers, err)
	}

	// Changing the events changes what the webhook receives.
	slugB := b.builtin[1].Slug
	if _, err := b.reg.UpdateWebhook(b.ctx, w.ID, registry.WebhookInput{Events: []string{slugB}}); err != nil {
		t.Fatal(err)
	}
	page, err := b.store.WebhookList(b.ctx, store.WebhookListParams{Scope: auth.AllTenants(), EventType: slugB})
	if err != nil || len(page.Webhooks) != 1 || page.Webhooks[0].ID != w.ID {
		t.Errorf("webhooks subscribed to %s = %v, %v", slugB, page.Webhooks, err)
	}
	page, err = b.store.WebhookList(b.ctx, store.WebhookListParams{Scope: auth.AllTenants(), EventType: b.builtin[0].Slug})
	if err != nil || len(page.Webhooks) != 0 {
		t.Errorf("webhooks still subscribed to the old type = %v, %v", page.Webhooks, err)
	}
}

func TestUpdateWebhookErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	w, _ := b.create(t, b.validInput())
	tests := []struct {
		name      string
		id        string
		in        registry.WebhookInput
		wantCode  webhook.Code
		wantField string
	}{
		{name: "tenant change", id: w.ID, in: registry.WebhookInput{Tenant: ptr("other")}, wantCode: webhook.EINVALID, wantField: "tenant"},
		{name: "same tenant", id: w.ID, in: registry.WebhookInput{Tenant: ptr(webhook.DefaultTenant)}},
		{name: "bad name", id: w.ID, in: registry.WebhookInput{Name: ptr("x")}, wantCode: webhook.EINVALID, wantField: "name"},
		{name: "bad url", id: w.ID, in: registry.WebhookInput{URL: ptr("http://127.0.0.1/")}, wantCode: webhook.EUNPROCESSABLE, wantField: "url"},
		{name: "empty events", id: w.ID, in: registry.WebhookInput{Events: []string{}}, wantCode: webhook.EINVALID, wantField: "events"},
		{name: "unknown event", id: w.ID, in: registry.WebhookInput{Events: []string{"nope"}}, wantCode: webhook.EUNPROCESSABLE, wantField: "events[0]"},
		{name: "bad format", id: w.ID, in: registry.WebhookInput{Format: ptr("json")}, wantCode: webhook.EINVALID, wantField: "format"},
		{name: "missing webhook", id: webhook.NewID(webhook.PrefixWebhook), in: registry.WebhookInput{Name: ptr("Fine")}, wantCode: webhook.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.reg.UpdateWebhook(b.ctx, tt.id, tt.in)
			if tt.wantCode == webhook.ENOTFOUND {
				if webhook.ErrorCode(err) != webhook.ENOTFOUND {
					t.Errorf("err = %v, want not found", err)
				}
				return
			}
			wantError(t, err, tt.wantCode, tt.wantField)
		})
	}
	// Nothing refused reached the store.
	stored, err := b.store.WebhookGet(b.ctx, auth.AllTenants(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Tenant != w.Tenant || stored.Name != w.Name || stored.URL != w.URL || !slices.Equal(stored.Events, w.Events) ||
		stored.Format != w.Format {
		t.Errorf("stored = %+v, want unchanged %+v", stored, w)
	}
}

func TestUpdateWebhookReactivationClearsDisabledReason(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	w, _ := b.create(t, b.validInput())
	const reason = "endpoint answered 410 Gone"
	if err := b.store.WebhookDisable(b.ctx, auth.AllTenants(), w.ID, reason, t0); err != nil {
		t.Fatal(err)
	}

	// An edit that does not turn it on keeps the reason.
	got, err := b.reg.UpdateWebhook(b.ctx, w.ID, registry.WebhookInput{Name: ptr("Still off")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Active || got.DisabledReason != reason {
		t.Errorf("after rename: active %v reason %q, want false %q", got.Active, got.DisabledReason, reason)
	}
	// Saying active=false again also keeps it.
	if got, err = b.reg.UpdateWebhook(b.ctx, w.ID, registry.WebhookInput{Active: ptr(false)}); err != nil || got.DisabledReason != reason {
		t.Errorf("after active=false: reason %q, %v", got.DisabledReason, err)
	}

	got, err = b.reg.UpdateWebhook(b.ctx, w.ID, registry.WebhookInput{Active: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Active || got.DisabledReason != "" {
		t.Errorf("after re-activation: active %v reason %q", got.Active, got.DisabledReason)
	}
	stored, err := b.store.WebhookGet(b.ctx, auth.AllTenants(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !stored.Active || stored.DisabledReason != "" {
		t.Errorf("stored after re-activation: active %v reason %q", stored.Active, stored.DisabledReason)
	}
}

func TestDeleteWebhook(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	w, _ := b.create(t, b.validInput())
	if err := b.reg.DeleteWebhook(b.ctx, w.ID); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	if _, err := b.store.WebhookGet(b.ctx, auth.AllTenants(), w.ID); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("WebhookGet after delete: %v, want not found", err)
	}
	if ids := b.inv.got(); !slices.Equal(ids, []string{w.ID}) {
		t.Errorf("Invalidate calls = %q", ids)
	}
	if err := b.reg.DeleteWebhook(b.ctx, w.ID); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("second delete: %v, want not found", err)
	}
	if ids := b.inv.got(); len(ids) != 1 {
		t.Errorf("a failed delete invalidated: %q", ids)
	}
}

func TestRotateSecret(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	w, first := b.create(t, b.validInput())
	second, until, err := b.reg.RotateSecret(b.ctx, w.ID)
	if err != nil {
		t.Fatalf("RotateSecret: %v", err)
	}
	if second == first || !strings.HasPrefix(second, "whsec_") {
		t.Errorf("new secret = %q (old %q)", second, first)
	}
	if !until.Equal(t0.Add(time.Hour)) {
		t.Errorf("overlap until %v, want %v", until, t0.Add(time.Hour))
	}
	if ids := b.inv.got(); !slices.Equal(ids, []string{w.ID}) {
		t.Errorf("Invalidate calls = %q", ids)
	}
	secrets, err := b.reg.Secrets(b.ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(secrets) != 2 || secrets[0].Value != second || secrets[0].ExpiresAt != nil ||
		secrets[1].Value != first || secrets[1].ExpiresAt == nil || !secrets[1].ExpiresAt.Equal(until) {
		t.Errorf("Secrets during overlap = %+v", secrets)
	}
	b.clock.Add(time.Hour)
	secrets, err = b.reg.Secrets(b.ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(secrets) != 1 || secrets[0].Value != second {
		t.Errorf("Secrets after overlap = %+v", secrets)
	}
	if _, _, err := b.reg.RotateSecret(b.ctx, webhook.NewID(webhook.PrefixWebhook)); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("rotate missing webhook: %v", err)
	}
}

// testReceiver records requests and answers with status.
func testReceiver(t *testing.T, status int) (*httptest.Server, <-chan *http.Request, <-chan []byte) {
	t.Helper()
	reqs := make(chan *http.Request, 4)
	bodies := make(chan []byte, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		reqs <- r.Clone(context.Background())
		bodies <- body
		w.WriteHeader(status)
		io.WriteString(w, "thanks")
	}))
	t.Cleanup(srv.Close)
	return srv, reqs, bodies
}

func TestSendTest(t *testing.T) {
	t.Parallel()
	b := setup(t, options{allowLoopback: true})
	srv, reqs, bodies := testReceiver(t, http.StatusOK)
	slugA, slugB := b.builtin[0].Slug, b.builtin[1].Slug
	in := b.validInput()
	in.URL = ptr(srv.URL + "/hooks")
	in.Events = []string{slugB, slugA}
	in.Active = ptr(false) // testing before turning it on is the point
	w, secret := b.create(t, in)

	a, err := b.reg.SendTest(b.ctx, w.ID, "")
	if err != nil {
		t.Fatalf("SendTest: %v", err)
	}
	r, body := <-reqs, <-bodies
	if got := r.Header.Get("webhook-event"); got != slugB {
		t.Errorf("webhook-event = %q, want the first subscribed type %q", got, slugB)
	}
	v, err := verify.New(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(r.Header, body); err != nil {
		t.Errorf("verify test send: %v", err)
	}
	var env struct {
		ID   string          `json:"id"`
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("body: %v: %s", err, body)
	}
	if env.Type != slugB || string(env.Data) != string(b.builtin[1].Example) || env.ID != r.Header.Get("webhook-id") {
		t.Errorf("envelope = %+v, want type %s with its example %s", env, slugB, b.builtin[1].Example)
	}
	if !a.Test || !a.Success() || a.WebhookID != w.ID || a.EventType != slugB || a.StatusCode != 200 || a.DeliveryID != "" {
		t.Errorf("attempt = %+v", a)
	}

	logged, err := b.store.AttemptListByWebhook(b.ctx, auth.AllTenants(), w.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(logged) != 1 || logged[0].ID != a.ID || !logged[0].Test || logged[0].StatusCode != 200 ||
		string(logged[0].ResponseBody) != "thanks" || logged[0].EventType != slugB {
		t.Errorf("AttemptListByWebhook = %+v, want the test attempt", logged)
	}
	// A test is not a delivery: the webhook's counters stay at zero.
	stored, err := b.store.WebhookGet(b.ctx, auth.AllTenants(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Stats.Deliveries != 0 || stored.Stats.Attempts != 0 || stored.Stats.Succeeded != 0 {
		t.Errorf("stats after a test send = %+v", stored.Stats)
	}
}

func TestSendTestEventTypeChoice(t *testing.T) {
	t.Parallel()
	slugs := func(b *bundle) (string, string) { return b.builtin[0].Slug, b.builtin[2].Slug }
	tests := []struct {
		name      string
		events    func(b *bundle) []string
		eventType func(b *bundle) string
		want      func(b *bundle) string
	}{
		{
			name:      "first subscribed",
			events:    func(b *bundle) []string { a, c := slugs(b); return []string{c, a} },
			eventType: func(*bundle) string { return "" },
			want:      func(b *bundle) string { _, c := slugs(b); return c },
		},
		{
			name:      "wildcard takes the first catalog type",
			events:    func(*bundle) []string { return []string{"*"} },
			eventType: func(*bundle) string { return "" },
			want:      func(b *bundle) string { return b.builtin[0].Slug },
		},
		{
			name:      "explicit type, even one not subscribed",
			events:    func(b *bundle) []string { a, _ := slugs(b); return []string{a} },
			eventType: func(b *bundle) string { _, c := slugs(b); return c },
			want:      func(b *bundle) string { _, c := slugs(b); return c },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, options{allowLoopback: true})
			srv, reqs, _ := testReceiver(t, http.StatusNoContent)
			in := b.validInput()
			in.URL = ptr(srv.URL)
			in.Events = tt.events(b)
			w, _ := b.create(t, in)
			a, err := b.reg.SendTest(b.ctx, w.ID, tt.eventType(b))
			if err != nil {
				t.Fatalf("SendTest: %v", err)
			}
			r := <-reqs
			if want := tt.want(b); a.EventType != want || r.Header.Get("webhook-event") != want {
				t.Errorf("sent %q (header %q), want %q", a.EventType, r.Header.Get("webhook-event"), want)
			}
		})
	}
}

func TestSendTestErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, options{allowLoopback: true})
	srv, _, _ := testReceiver(t, http.StatusOK)
	in := b.validInput()
	in.URL = ptr(srv.URL)
	w, _ := b.create(t, in)

	_, err := b.reg.SendTest(b.ctx, w.ID, "no.such.type")
	wantError(t, err, webhook.EUNPROCESSABLE, "event_type")
	if _, err := b.reg.SendTest(b.ctx, webhook.NewID(webhook.PrefixWebhook), ""); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("SendTest to a missing webhook: %v, want not found", err)
	}
	if logged, err := b.store.AttemptListByWebhook(b.ctx, auth.AllTenants(), w.ID, 10); err != nil || len(logged) != 0 {
		t.Errorf("attempts logged for refused tests: %v, %v", logged, err)
	}
}

// A failing receiver is a result to show, not an error: the attempt is
// logged with its class.
func TestSendTestFailingReceiver(t *testing.T) {
	t.Parallel()
	b := setup(t, options{allowLoopback: true})
	srv, _, _ := testReceiver(t, http.StatusInternalServerError)
	in := b.validInput()
	in.URL = ptr(srv.URL)
	w, _ := b.create(t, in)
	a, err := b.reg.SendTest(b.ctx, w.ID, "")
	if err != nil {
		t.Fatalf("SendTest: %v", err)
	}
	if a.Success() || a.ErrorClass != webhook.ErrClassHTTPStatus || a.StatusCode != 500 {
		t.Errorf("attempt = %d %q %q", a.StatusCode, a.ErrorClass, a.Error)
	}
	logged, err := b.store.AttemptListByWebhook(b.ctx, auth.AllTenants(), w.ID, 10)
	if err != nil || len(logged) != 1 || !logged[0].Test || logged[0].ErrorClass != webhook.ErrClassHTTPStatus {
		t.Errorf("AttemptListByWebhook = %+v, %v", logged, err)
	}
}

// During a rotation overlap a test send is signed with both secrets, so
// receivers on either one accept it.
func TestSendTestAfterRotation(t *testing.T) {
	t.Parallel()
	b := setup(t, options{allowLoopback: true})
	srv, reqs, bodies := testReceiver(t, http.StatusOK)
	in := b.validInput()
	in.URL = ptr(srv.URL)
	w, old := b.create(t, in)
	current, _, err := b.reg.RotateSecret(b.ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.reg.SendTest(b.ctx, w.ID, ""); err != nil {
		t.Fatal(err)
	}
	r, body := <-reqs, <-bodies
	for _, s := range []string{old, current} {
		v, err := verify.New(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Verify(r.Header, body); err != nil {
			t.Errorf("verify with the %s secret: %v", map[bool]string{true: "old", false: "new"}[s == old], err)
		}
	}
}

func TestReplay(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	slugA, slugB := b.builtin[0].Slug, b.builtin[1].Slug
	in := b.validInput()
	in.Events = []string{slugA}
	w, _ := b.create(t, in)
	publish := func(typ string, at time.Time) {
		t.Helper()
		ev := webhook.Event{
			ID: webhook.NewID(webhook.PrefixEvent), Tenant: webhook.DefaultTenant, Type: typ,
			Data: json.RawMessage(`{}`), CreatedAt: at,
		}
		if _, err := b.store.EventCreate(b.ctx, store.EventCreateParams{Event: ev}); err != nil {
			t.Fatal(err)
		}
	}
	publish(slugA, t0.Add(-2*time.Hour)) // before since
	publish(slugA, t0.Add(-30*time.Minute))
	publish(slugB, t0.Add(-20*time.Minute)) // not subscribed
	publish(slugA, t0.Add(-10*time.Minute))

	tests := []struct {
		name     string
		id       string
		since    time.Time
		wantN    int
		wantCode webhook.Code
		field    string
	}{
		{name: "future since", id: w.ID, since: t0.Add(time.Second), wantCode: webhook.EINVALID, field: "since"},
		{name: "far future since", id: w.ID, since: t0.AddDate(1, 0, 0), wantCode: webhook.EINVALID, field: "since"},
		{name: "missing webhook", id: webhook.NewID(webhook.PrefixWebhook), since: t0.Add(-time.Hour), wantCode: webhook.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := b.reg.Replay(b.ctx, tt.id, tt.since)
			if tt.wantCode == webhook.ENOTFOUND {
				if webhook.ErrorCode(err) != webhook.ENOTFOUND {
					t.Errorf("err = %v, want not found", err)
				}
				return
			}
			wantError(t, err, tt.wantCode, tt.field)
			if n != 0 {
				t.Errorf("n = %d for a refused replay", n)
			}
		})
	}
	// Publishing made one delivery per subscribed event; the replay adds
	// one more for each of the two in the last hour.
	n, err := b.reg.Replay(b.ctx, w.ID, t0.Add(-time.Hour))
	if err != nil || n != 2 {
		t.Errorf("Replay(last hour) = %d, %v; want 2", n, err)
	}
	page, err := b.store.DeliveryList(b.ctx, store.DeliveryListParams{Scope: auth.AllTenants(), WebhookID: w.ID})
	if err != nil || len(page.Deliveries) != 3+2 {
		t.Errorf("deliveries after replay = %d, %v; want 5", len(page.Deliveries), err)
	}
	// since == now is allowed (not in the future) and finds nothing new.
	if n, err := b.reg.Replay(b.ctx, w.ID, t0); err != nil || n != 0 {
		t.Errorf("Replay(now) = %d, %v; want 0, nil", n, err)
	}
}

func TestCreateEventType(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	schema := json.RawMessage(`{"type":"object","required":["amount"],"properties":{"amount":{"type":"integer"}}}`)
	example := json.RawMessage(`{ "amount": 1200, "currency" : "EUR" }`)
	et, err := b.reg.CreateEventType(b.ctx, registry.EventTypeInput{
		Slug: "invoice.overdue", Name: "  Invoice overdue  ", Description: "An invoice is late.",
		Example: example, Schema: schema,
	})
	if err != nil {
		t.Fatalf("CreateEventType: %v", err)
	}
	if et.Slug != "invoice.overdue" || et.Name != "Invoice overdue" || !et.Custom || !et.CreatedAt.Equal(t0) {
		t.Errorf("created = %+v", et)
	}
	got, err := b.store.EventTypeGet(b.ctx, "invoice.overdue")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Example) != string(example) || string(got.Schema) != string(schema) || !got.Custom || got.Name != "Invoice overdue" {
		t.Errorf("stored = %+v", got)
	}
	if f := b.forgot(); !slices.Equal(f, []string{"invoice.overdue"}) {
		t.Errorf("Forget calls = %q", f)
	}
	// A webhook can subscribe to it straight away.
	in := b.validInput()
	in.Events = []string{"invoice.overdue"}
	if _, _, err := b.reg.CreateWebhook(b.ctx, in); err != nil {
		t.Errorf("subscribe to the new type: %v", err)
	}
}

func TestCreateEventTypeValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	schema := json.RawMessage(`{"type":"object","required":["amount"],"properties":{"amount":{"type":"integer"}}}`)
	if _, err := b.reg.CreateEventType(b.ctx, registry.EventTypeInput{Slug: "taken", Name: "Taken"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		in          registry.EventTypeInput
		wantCode    webhook.Code
		wantField   string
		wantExample string
	}{
		{name: "minimal", in: registry.EventTypeInput{Slug: "a", Name: "A"}, wantExample: `{}`},
		{name: "null example", in: registry.EventTypeInput{Slug: "null.example", Name: "N", Example: json.RawMessage(`null`)}, wantExample: `{}`},
		{name: "slug punctuation", in: registry.EventTypeInput{Slug: "a_b.c-d9", Name: "X"}},
		{name: "slug 100", in: registry.EventTypeInput{Slug: strings.Repeat("s", 100), Name: "X"}},
		{name: "slug 101", in: registry.EventTypeInput{Slug: strings.Repeat("s", 101), Name: "X"}, wantCode: webhook.EINVALID, wantField: "slug"},
		{name: "slug empty", in: registry.EventTypeInput{Slug: "", Name: "X"}, wantCode: webhook.EINVALID, wantField: "slug"},
		{name: "slug upper case", in: registry.EventTypeInput{Slug: "Order.created", Name: "X"}, wantCode: webhook.EINVALID, wantField: "slug"},
		{name: "slug leading dot", in: registry.EventTypeInput{Slug: ".order", Name: "X"}, wantCode: webhook.EINVALID, wantField: "slug"},
		{name: "slug leading underscore", in: registry.EventTypeInput{Slug: "_order", Name: "X"}, wantCode: webhook.EINVALID, wantField: "slug"},
		{name: "slug space", in: registry.EventTypeInput{Slug: "order created", Name: "X"}, wantCode: webhook.EINVALID, wantField: "slug"},
		{name: "slug wildcard", in: registry.EventTypeInput{Slug: "*", Name: "X"}, wantCode: webhook.EINVALID, wantField: "slug"},
		{name: "slug unicode", in: registry.EventTypeInput{Slug: "ordér", Name: "X"}, wantCode: webhook.EINVALID, wantField: "slug"},
		{name: "name empty", in: registry.EventTypeInput{Slug: "n1", Name: ""}, wantCode: webhook.EINVALID, wantField: "name"},
		{name: "name blank", in: registry.EventTypeInput{Slug: "n2", Name: "  \t"}, wantCode: webhook.EINVALID, wantField: "name"},
		{name: "name 200 runes", in: registry.EventTypeInput{Slug: "n3", Name: strings.Repeat("é", 200)}},
		{name: "name 201 runes", in: registry.EventTypeInput{Slug: "n4", Name: strings.Repeat("é", 201)}, wantCode: webhook.EINVALID, wantField: "name"},
		{name: "description too long", in: registry.EventTypeInput{Slug: "d1", Name: "D", Description: strings.Repeat("é", registry.MaxEventTypeDescription+1)}, wantCode: webhook.EINVALID, wantField: "description"},
		{name: "example array", in: registry.EventTypeInput{Slug: "e1", Name: "E", Example: json.RawMessage(`[1]`)}, wantCode: webhook.EINVALID, wantField: "example"},
		{name: "example string", in: registry.EventTypeInput{Slug: "e2", Name: "E", Example: json.RawMessage(`"x"`)}, wantCode: webhook.EINVALID, wantField: "example"},
		{name: "example not json", in: registry.EventTypeInput{Slug: "e3", Name: "E", Example: json.RawMessage(`{oops`)}, wantCode: webhook.EINVALID, wantField: "example"},
		{name: "schema not json", in: registry.EventTypeInput{Slug: "s1", Name: "S", Schema: json.RawMessage(`{`)}, wantCode: webhook.EUNPROCESSABLE, wantField: "schema"},
		{name: "schema not an object", in: registry.EventTypeInput{Slug: "s2", Name: "S", Schema: json.RawMessage(`[]`)}, wantCode: webhook.EUNPROCESSABLE, wantField: "schema"},
		{name: "schema invalid keyword value", in: registry.EventTypeInput{Slug: "s3", Name: "S", Schema: json.RawMessage(`{"type":12}`)}, wantCode: webhook.EUNPROCESSABLE, wantField: "schema"},
		{name: "schema external ref", in: registry.EventTypeInput{Slug: "s4", Name: "S", Schema: json.RawMessage(`{"$ref":"https://example.com/s.json"}`)}, wantCode: webhook.EUNPROCESSABLE, wantField: "schema"},
		{name: "schema bad regex", in: registry.EventTypeInput{Slug: "s5", Name: "S", Schema: json.RawMessage(`{"pattern":"("}`)}, wantCode: webhook.EUNPROCESSABLE, wantField: "schema"},
		{name: "example violates schema", in: registry.EventTypeInput{Slug: "x1", Name: "X", Schema: schema, Example: json.RawMessage(`{"amount":"12"}`)}, wantCode: webhook.EUNPROCESSABLE, wantField: "example"},
		{name: "default example violates schema", in: registry.EventTypeInput{Slug: "x2", Name: "X", Schema: schema}, wantCode: webhook.EUNPROCESSABLE, wantField: "example"},
		{name: "example satisfies schema", in: registry.EventTypeInput{Slug: "x3", Name: "X", Schema: schema, Example: json.RawMessage(`{"amount":12}`)}, wantExample: `{"amount":12}`},
		{name: "null schema is none", in: registry.EventTypeInput{Slug: "x4", Name: "X", Schema: json.RawMessage(`null`)}},
		{name: "duplicate custom", in: registry.EventTypeInput{Slug: "taken", Name: "Again"}, wantCode: webhook.ECONFLICT, wantField: "slug"},
		{name: "duplicate builtin", in: registry.EventTypeInput{Slug: b.builtin[0].Slug, Name: "Mine"}, wantCode: webhook.ECONFLICT, wantField: "slug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.reg.CreateEventType(b.ctx, tt.in)
			wantError(t, err, tt.wantCode, tt.wantField)
			got, gerr := b.store.EventTypeGet(b.ctx, tt.in.Slug)
			if tt.wantCode != "" {
				if tt.wantCode != webhook.ECONFLICT && webhook.ErrorCode(gerr) != webhook.ENOTFOUND {
					t.Errorf("a refused type was stored: %+v", got)
				}
				if tt.wantCode == webhook.ECONFLICT && got.Name != "Taken" && got.Name != b.builtin[0].Name {
					t.Errorf("the existing type was overwritten: %+v", got)
				}
				if slices.Contains(b.forgot(), tt.in.Slug) && tt.in.Slug != "taken" {
					t.Errorf("Forget(%q) called for a refused type", tt.in.Slug)
				}
				return
			}
			if gerr != nil {
				t.Fatalf("EventTypeGet: %v", gerr)
			}
			if tt.wantExample != "" && string(got.Example) != tt.wantExample {
				t.Errorf("stored example = %s, want %s", got.Example, tt.wantExample)
			}
			if tt.in.Schema != nil && string(tt.in.Schema) == "null" && got.Schema != nil {
				t.Errorf("stored schema = %s, want none", got.Schema)
			}
			if !slices.Contains(b.forgot(), tt.in.Slug) {
				t.Errorf("Forget(%q) not called", tt.in.Slug)
			}
		})
	}
}

func TestRetry(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	w, _ := b.create(t, b.validInput())
	res, err := b.store.EventCreate(b.ctx, store.EventCreateParams{Event: webhook.Event{
		ID: webhook.NewID(webhook.PrefixEvent), Tenant: webhook.DefaultTenant, Type: w.Events[0],
		Data: json.RawMessage(`{}`), CreatedAt: t0.Add(-time.Hour),
	}})
	if err != nil || len(res.Deliveries) != 1 {
		t.Fatalf("EventCreate = %+v, %v", res, err)
	}
	b.clock.Add(time.Minute)
	d, err := b.reg.Retry(b.ctx, res.Deliveries[0].ID)
	if err != nil {
		t.Fatalf("Retry: %v", err)
	}
	if d.Status != webhook.DeliveryPending || d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("retried delivery = %+v, want pending and due now", d)
	}
	if _, err := b.reg.Retry(b.ctx, webhook.NewID(webhook.PrefixDelivery)); webhook.ErrorCode(err) != webhook.ENOTFOUND {
		t.Errorf("Retry of a missing delivery: %v", err)
	}
}

// Every change the registry makes is in the audit log with who made it;
// refused changes are not.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	b := setup(t, options{allowLoopback: true})
	srv, _, _ := testReceiver(t, http.StatusOK)
	admin := auth.WithPrincipal(b.ctx, auth.UserPrincipal("admin", auth.RoleOwner))
	in := b.validInput()
	in.URL = ptr(srv.URL)
	w, _, err := b.reg.CreateWebhook(admin, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.reg.UpdateWebhook(b.ctx, w.ID, registry.WebhookInput{Name: ptr("Renamed"), Active: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.reg.UpdateWebhook(admin, w.ID, registry.WebhookInput{Name: ptr("x")}); err == nil {
		t.Fatal("a one-letter name was accepted")
	}
	if _, _, err := b.reg.RotateSecret(admin, w.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.reg.SendTest(admin, w.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := b.reg.Replay(admin, w.ID, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.reg.Replay(admin, w.ID, t0.Add(time.Hour)); err == nil {
		t.Fatal("a future replay was accepted")
	}
	if err := b.reg.DeleteWebhook(auth.WithPrincipal(b.ctx, auth.KeyPrincipal(auth.APIKey{ID: "key_1", Name: "ci"})), w.ID); err != nil {
		t.Fatal(err)
	}
	page, err := b.store.AuditList(b.ctx, store.AuditListParams{Scope: auth.AllTenants(), Target: w.ID})
	if err != nil {
		t.Fatal(err)
	}
	type entry struct{ actor, action string }
	var got []entry
	for _, e := range slices.Backward(page.Entries) {
		got = append(got, entry{e.Actor, e.Action})
	}
	want := []entry{
		{"user:admin", "webhook.create"},
		{"system", "webhook.update"},
		{"user:admin", "webhook.rotate_secret"},
		{"user:admin", "webhook.test"},
		{"user:admin", "webhook.replay"},
		{"key:key_1 (ci)", "webhook.delete"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit log of %s =\n%v\nwant\n%v", w.ID, got, want)
	}
	for _, e := range page.Entries {
		if !webhook.HasPrefix(e.ID, audit.Prefix) || !e.At.Equal(t0) {
			t.Errorf("entry %+v: want an aud_ ID at the registry's clock", e)
		}
		if e.Action == "webhook.update" && e.Detail != "name, active" {
			t.Errorf("update detail = %q, want the changed fields", e.Detail)
		}
	}

	if _, err := b.reg.CreateEventType(admin, registry.EventTypeInput{Slug: "audited", Name: "Audited"}); err != nil {
		t.Fatal(err)
	}
	page, err = b.store.AuditList(b.ctx, store.AuditListParams{Scope: auth.AllTenants(), Target: "audited"})
	if err != nil || len(page.Entries) != 1 || page.Entries[0].Action != "event_type.create" || page.Entries[0].Actor != "user:admin" {
		t.Errorf("event type audit = %+v, %v", page.Entries, err)
	}
}

// The registry reads and changes a webhook by ID within the tenant scope of
// the principal acting: to a principal of one tenant, and to a context
// with no principal at all, another tenant's webhook does not exist.
func TestWebhookOutsideScopeIsNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t, options{})
	w, _ := b.create(t, b.validInput()) // tenant "default"
	other := auth.Principal{Kind: auth.KindUser, ID: "acme-admin", Name: "acme-admin",
		Scopes: []string{auth.ScopeAdmin}, Scope: auth.TenantScope("acme")}
	for name, ctx := range map[string]context.Context{
		"another tenant's principal": auth.WithPrincipal(b.ctx, other),
		"no principal":               context.Background(),
	} {
		if _, err := b.reg.UpdateWebhook(ctx, w.ID, registry.WebhookInput{Name: ptr("Taken over")}); webhook.ErrorCode(err) != webhook.ENOTFOUND {
			t.Errorf("%s: UpdateWebhook = %v, want not found", name, err)
		}
		if _, err := b.reg.SendTest(ctx, w.ID, ""); webhook.ErrorCode(err) != webhook.ENOTFOUND {
			t.Errorf("%s: SendTest = %v, want not found", name, err)
		}
		if err := b.reg.DeleteWebhook(ctx, w.ID); webhook.ErrorCode(err) != webhook.ENOTFOUND {
			t.Errorf("%s: DeleteWebhook = %v, want not found", name, err)
		}
	}
	got, err := b.store.WebhookGet(b.ctx, auth.AllTenants(), w.ID)
	if err != nil || got.Name != w.Name {
		t.Errorf("webhook after refused changes: %+v, %v", got, err)
	}
	if _, err := b.reg.UpdateWebhook(auth.WithPrincipal(b.ctx, auth.UserPrincipal("admin", auth.RoleOwner)), w.ID,
		registry.WebhookInput{Name: ptr("Renamed")}); err != nil {
		t.Errorf("an all-tenant admin's update: %v", err)
	}
}
