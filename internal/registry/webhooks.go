// Package registry manages what producers and operators register: event
// types and webhooks. It owns their validation, so the REST API, the
// dashboard and the CLI share one code path for every change.
package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/catalog"
	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/egress"
	"github.com/hookline/hookline/internal/ingest"
	"github.com/hookline/hookline/internal/signing"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/transform"
	"github.com/hookline/hookline/internal/webhook"
	"golang.org/x/net/http/httpguts"
)

// Invalidator is told when a webhook or event type changes, so caches in
// the dispatcher and ingest drop their copy.
type Invalidator interface {
	Invalidate(webhookID string)
}

// Invalidators tells each of its members (the dispatcher's cache, the
// senders' broker connections).
type Invalidators []Invalidator

// Invalidate tells every member.
func (is Invalidators) Invalidate(webhookID string) {
	for _, i := range is {
		i.Invalidate(webhookID)
	}
}

// Config configures a Registry.
type Config struct {
	Store store.Store
	Guard *egress.Guard
	// Internal reports whether a URL is this server's own endpoint (a
	// request-inspector bin), delivered in process: the SSRF guard does not
	// apply to it, only the URL shape is checked.
	Internal func(rawURL string) bool
	Sender   deliver.Sender
	// Transform bounds transform test runs (as deliveries are bounded).
	Transform transform.Limits
	// Transforms checks and runs transforms (saves and tests): the
	// server's transform.Pool; nil makes a pool of the defaults.
	Transforms transform.Runner
	// Webhooks is told about webhook changes (the dispatcher).
	Webhooks Invalidator
	// Forget is told about event type changes (ingest's catalog cache).
	Forget func(slug string)
	// RotationOverlap is how long the previous secret keeps signing after a
	// rotation, so receivers can roll out the new one.
	RotationOverlap time.Duration
	// TenantsStrict refuses webhooks of tenants without a row instead of
	// creating the row (--tenants-strict).
	TenantsStrict bool
	Now           func() time.Time
	Logger        *slog.Logger
}

// Registry is the service behind every create, update and delete.
type Registry struct {
	cfg      Config
	recorder *audit.Recorder
}

// New returns a Registry.
func New(cfg Config) *Registry {
	if cfg.RotationOverlap <= 0 {
		cfg.RotationOverlap = 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Transforms == nil {
		cfg.Transforms = transform.NewPool(transform.PoolConfig{})
	}
	if cfg.Forget == nil {
		cfg.Forget = func(string) {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Registry{cfg: cfg, recorder: audit.NewRecorder(cfg.Store, cfg.Now, cfg.Logger)}
}

// WebhookInput is a webhook to create, or with Patch semantics the fields
// to change: nil pointers are left alone.
type WebhookInput struct {
	Tenant      *string
	Name        *string
	URL         *string
	Description *string
	Events      []string // nil: unchanged (update) / required (create)
	// Filter is the payload filter: nil unchanged, JSON null to remove.
	Filter      json.RawMessage
	Active      *bool
	Headers     map[string]string // nil: unchanged
	Format      *string
	Integration *string
	// SecretHeaders names the headers whose values attempts store masked;
	// nil: unchanged (on update, names no longer among the headers are
	// dropped).
	SecretHeaders []string
	// Destination is nil to leave it (on create: DestinationHTTP).
	Destination *webhook.Destination
	// Signature is nil to leave it (on create: webhook.SignatureHMAC);
	// changing it rotates to a new key of the new scheme.
	Signature *string
	// Ordering is nil to leave it (on create: webhook.OrderingNone).
	Ordering *string
	// OrderingKey is nil to leave it; "" for one sequence.
	OrderingKey *string
	// RateLimit is the JSON of the rate limit: nil unchanged, JSON null
	// (or an object setting neither) to remove.
	RateLimit json.RawMessage
	// Transform is the JavaScript source: nil unchanged, "" to remove.
	Transform *string
}

// Limits on webhook fields.
const (
	MinName        = 2
	MaxName        = 200
	MaxDescription = 2000
	MaxEvents      = 200
	MaxHeaders     = 20
	MaxHeaderName  = 256
	MaxHeaderValue = 4096
	MaxIntegration = 50
)

// CreateWebhook validates in and stores a new webhook with a fresh signing
// secret, which it returns (the only time besides the secret endpoint).
func (r *Registry) CreateWebhook(ctx context.Context, in WebhookInput) (webhook.Webhook, string, error) {
	now := r.cfg.Now().UTC()
	w := webhook.Webhook{
		ID: webhook.NewID(webhook.PrefixWebhook), Active: true, Format: webhook.FormatEnvelope,
		Integration: "manual", Headers: map[string]string{}, SecretHeaders: []string{},
		Destination: webhook.Destination{Type: webhook.DestinationHTTP}, Signature: webhook.SignatureHMAC,
		Ordering: webhook.OrderingNone, CreatedAt: now, UpdatedAt: now,
	}
	var v webhook.Validation
	tenant := ""
	if in.Tenant != nil {
		tenant = *in.Tenant
	}
	// A tenant's principal makes webhooks of its own tenant only.
	tenant, err := auth.ScopeFrom(ctx).Assign(tenant)
	if err != nil {
		return w, "", err
	}
	tenant, err = ingest.ValidTenant(tenant)
	if err := v.Merge(err); err != nil {
		return w, "", err
	}
	w.Tenant = tenant
	if tenant != "" {
		if err := v.Merge(r.tenantKnown(ctx, tenant)); err != nil {
			return w, "", err
		}
	}
	if in.Name == nil {
		v.Add(webhook.EINVALID, webhook.At("name"), "is required")
	}
	if in.URL == nil && !broker(&w, in) {
		v.Add(webhook.EINVALID, webhook.At("url"), "is required")
	}
	if in.Events == nil {
		v.Add(webhook.EINVALID, webhook.At("events"), `is required: a list of event type slugs, or ["*"] for all`)
	}
	if err := r.apply(ctx, &w, in, &v); err != nil {
		return w, "", err
	}
	if err := v.Err(); err != nil {
		return w, "", err
	}
	secret, shared := newSecret(w.Signature)
	if err := r.cfg.Store.WebhookCreate(ctx, w, secret); err != nil {
		return w, "", err
	}
	secret = shared
	r.audit(ctx, "webhook.create", w.ID, w.Name+" → "+w.URL)
	return w, secret, nil
}

// UpdateWebhook changes the fields set in in. Re-activating a webhook clears
// its disabled reason.
func (r *Registry) UpdateWebhook(ctx context.Context, id string, in WebhookInput) (webhook.Webhook, error) {
	w, err := r.cfg.Store.WebhookGet(ctx, auth.ScopeFrom(ctx), id)
	if err != nil {
		return w, err
	}
	var v webhook.Validation
	if in.Tenant != nil && *in.Tenant != w.Tenant {
		v.Add(webhook.EINVALID, webhook.At("tenant"), "cannot be changed; create a new webhook")
	}
	wasActive, wasSignature := w.Active, store.SignatureScheme(w)
	if err := r.apply(ctx, &w, in, &v); err != nil {
		return w, err
	}
	if err := v.Err(); err != nil {
		return w, err
	}
	if w.Active && !wasActive {
		w.DisabledReason = ""
	}
	w.UpdatedAt = r.cfg.Now().UTC()
	if err := r.cfg.Store.WebhookUpdate(ctx, auth.ScopeFrom(ctx), w); err != nil {
		return w, err
	}
	r.invalidate(id)
	r.audit(ctx, "webhook.update", id, changed(in))
	if store.SignatureScheme(w) != wasSignature {
		// A new scheme needs a key of its own; the previous one keeps
		// signing for the overlap, so receivers switch without a gap.
		if _, _, err := r.RotateSecret(ctx, id); err != nil {
			return w, err
		}
	}
	return w, nil
}

// newSecret returns a fresh key for scheme: what Hookline stores (an HMAC
// secret, or an ed25519 private key) and what receivers are given (the
// same secret, or the public key).
func newSecret(scheme string) (stored, shared string) {
	if scheme == webhook.SignatureEd25519 {
		return signing.NewKeyPair()
	}
	s := signing.NewSecret()
	return s, s
}

func (r *Registry) invalidate(id string) {
	if r.cfg.Webhooks != nil {
		r.cfg.Webhooks.Invalidate(id)
	}
}

// CheckWebhook reports every problem with the fields set in in, as
// UpdateWebhook would, and stores nothing. A surface that reads part of
// its input itself (the dashboard's header lines) uses it to report its
// own problems together with the registry's.
func (r *Registry) CheckWebhook(ctx context.Context, in WebhookInput) error {
	var v webhook.Validation
	if err := r.apply(ctx, &webhook.Webhook{}, in, &v); err != nil {
		return err
	}
	return v.Err()
}

// apply copies the set fields of in into w, recording in v every problem
// with them. It returns only errors that are about no field (storage
// failing); w is not to be stored when v has problems.
//
// A new webhook field gets its check here, in the order of the fields in
// the API's request: each bad value is one v.Add at its place.
func (r *Registry) apply(ctx context.Context, w *webhook.Webhook, in WebhookInput, v *webhook.Validation) error {
	// Text that is not UTF-8 (a form posted in another encoding, a hostile
	// client) is refused before any other check reads it: SQLite would
	// keep the raw bytes and PostgreSQL refuse them.
	bad := false
	for _, f := range []struct {
		name string
		s    *string
	}{{"name", in.Name}, {"url", in.URL}, {"description", in.Description}, {"format", in.Format}, {"integration", in.Integration}} {
		if f.s != nil && !utf8.ValidString(*f.s) {
			v.Add(webhook.EINVALID, webhook.At(f.name), "is not valid UTF-8 text")
			bad = true
		}
	}
	for i, e := range in.Events {
		if !utf8.ValidString(e) {
			v.Add(webhook.EINVALID, webhook.At("events").Index(i), "is not valid UTF-8 text")
			bad = true
		}
	}
	for name, value := range in.Headers {
		if !utf8.ValidString(name) || !utf8.ValidString(value) {
			v.Add(webhook.EINVALID, webhook.At("headers"), "a header is not valid UTF-8 text")
			bad = true
			break
		}
	}
	if bad {
		return nil
	}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if n := utf8.RuneCountInString(name); n < MinName || n > MaxName {
			v.Add(webhook.EINVALID, webhook.At("name"), "must be %d to %d characters", MinName, MaxName)
		}
		w.Name = name
	}
	if in.URL != nil && !broker(w, in) {
		u := strings.TrimSpace(*in.URL)
		check := r.cfg.Guard.CheckURL
		if r.cfg.Internal != nil && r.cfg.Internal(u) {
			check = egress.CheckURL
		}
		if err := v.Merge(check(u)); err != nil {
			return err
		}
		w.URL = u
	}
	if in.Description != nil {
		if utf8.RuneCountInString(*in.Description) > MaxDescription {
			v.Add(webhook.EINVALID, webhook.At("description"), "must be at most %d characters", MaxDescription)
		}
		w.Description = *in.Description
	}
	if in.Events != nil {
		events, err := r.checkEvents(ctx, w.Tenant, in.Events, w.Events, v)
		if err != nil {
			return err
		}
		w.Events = events
	}
	if in.Filter != nil {
		w.Filter = checkFilter(in.Filter, v)
	}
	if in.Transform != nil {
		src, err := r.checkTransform(ctx, *in.Transform, v)
		if err != nil {
			return err
		}
		w.Transform = src
	}
	if in.Active != nil {
		w.Active = *in.Active
	}
	if in.Headers != nil {
		in.Headers = webhook.KeepMasked(in.Headers, *w)
		if err := v.Merge(CheckHeaders(in.Headers)); err != nil {
			return err
		}
		w.Headers = in.Headers
	}
	if in.Format != nil {
		f := webhook.Format(*in.Format)
		if !f.Valid() {
			v.Add(webhook.EINVALID, webhook.At("format"), `must be "envelope" or "raw"`)
		}
		w.Format = f
	}
	if in.Integration != nil {
		i := strings.ToLower(strings.TrimSpace(*in.Integration))
		if i == "" || len(i) > MaxIntegration || !catalog.ValidSlug(i) {
			v.Add(webhook.EINVALID, webhook.At("integration"),
				"must be a short name like manual, zapier or make (letters, digits, _ . -)")
		}
		w.Integration = i
	}
	if in.Signature != nil {
		switch *in.Signature {
		case webhook.SignatureHMAC, webhook.SignatureEd25519:
			w.Signature = *in.Signature
		default:
			v.Add(webhook.EINVALID, webhook.At("signature"), `must be %q (Standard Webhooks v1, the default) or %q (v1a: receivers verify with a public key)`,
				webhook.SignatureHMAC, webhook.SignatureEd25519)
		}
	}
	applyRouting(w, in, v)
	r.applyDestination(w, in.Destination, v)
	if !broker(w, in) && in.URL == nil && w.URL != "" && !strings.HasPrefix(w.URL, "http") {
		// Back from a broker to HTTP: the broker's URL is no endpoint.
		v.Add(webhook.EINVALID, webhook.At("url"), "is required when the destination becomes http")
	}
	applySecretHeaders(w, in.SecretHeaders, v)
	return nil
}

// checkEvents returns the subscribed event types of events without
// repeats, recording in v each problem: the list as a whole, or each bad
// item at its index. Only the operator's (default tenant's) webhooks may
// name Hookline's operational events. A principal limited to some event
// types (a portal session's link) may add only those, and not "*";
// what the webhook had (had) stays allowed.
func (r *Registry) checkEvents(ctx context.Context, tenant string, events, had []string, v *webhook.Validation) ([]string, error) {
	at := webhook.At("events")
	p, _ := auth.PrincipalFrom(ctx)
	limited := len(p.EventTypes) > 0
	if len(events) == 0 {
		v.Add(webhook.EINVALID, at, `must list at least one event type, or ["*"] for all`)
		return nil, nil
	}
	if len(events) > MaxEvents {
		v.Add(webhook.EINVALID, at, "must list at most %d event types", MaxEvents)
		return nil, nil
	}
	out := make([]string, 0, len(events))
	mixed := false
	for i, e := range events {
		if e == webhook.AllEvents {
			if limited && !slices.Contains(had, e) {
				v.Add(webhook.EUNPROCESSABLE, at.Index(i),
					`this session may subscribe only to %s, not to every event ("*")`, strings.Join(p.EventTypes, ", "))
				continue
			}
			if len(events) == 1 {
				return []string{webhook.AllEvents}, nil
			}
			if !mixed {
				v.Add(webhook.EINVALID, at, `"*" subscribes to everything and cannot be combined with other types`)
				mixed = true
			}
			continue
		}
		if !catalog.ValidSlug(e) {
			v.Add(webhook.EINVALID, at.Index(i), "%q is not a valid event type slug", e)
			continue
		}
		// Operational events name every tenant's webhooks and errors: they
		// are the operator's.
		if webhook.IsOperatorEvent(e) && tenant != webhook.DefaultTenant {
			v.Add(webhook.EUNPROCESSABLE, at.Index(i),
				"%q is one of Hookline's operational events, which only the operator's webhooks (tenant %q) may subscribe to",
				e, webhook.DefaultTenant)
			continue
		}
		if !p.MaySubscribe(e) && !slices.Contains(had, e) {
			v.Add(webhook.EUNPROCESSABLE, at.Index(i), "%q is not among the event types this session may subscribe to (%s)",
				e, strings.Join(p.EventTypes, ", "))
			continue
		}
		if _, err := r.cfg.Store.EventTypeGet(ctx, e); err != nil {
			if webhook.ErrorCode(err) != webhook.ENOTFOUND {
				return nil, err
			}
			v.Add(webhook.EUNPROCESSABLE, at.Index(i), "unknown event type %q (see GET /api/v1/event-types)", e)
			continue
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// reservedHeaders are set by Hookline itself or belong to the connection;
// a webhook's custom headers may not override them.
var reservedHeaders = map[string]bool{
	"host": true, "content-type": true, "content-length": true, "content-encoding": true,
	"transfer-encoding": true, "connection": true, "keep-alive": true, "proxy-authorization": true,
	"proxy-authenticate": true, "proxy-connection": true, "te": true, "trailer": true, "upgrade": true,
	"user-agent": true, "expect": true, "date": true,
	"webhook-id": true, "webhook-timestamp": true, "webhook-signature": true, "webhook-event": true,
	"hookline-hops": true,
}

// CheckHeaders validates custom headers: RFC 9110 token names, values
// without control characters (no CR/LF header injection), none of the
// reserved or hop-by-hop headers, and size limits. It reports one problem
// per bad header, in the order of their names.
func CheckHeaders(h map[string]string) error {
	at := webhook.At("headers")
	var v webhook.Validation
	if len(h) > MaxHeaders {
		v.Add(webhook.EINVALID, at, "at most %d custom headers", MaxHeaders)
		return v.Err()
	}
	seen := make(map[string]bool, len(h))
	for _, name := range slices.Sorted(maps.Keys(h)) {
		lower := strings.ToLower(name)
		if seen[lower] {
			v.Add(webhook.EINVALID, at.Key(name), "is given twice (header names are case-insensitive)")
			continue
		}
		seen[lower] = true
		if msg := headerProblem(name, h[name]); msg != "" {
			v.Add(webhook.EINVALID, at.Key(name), "%s", msg)
		}
	}
	return v.Err()
}

// headerProblem says what is wrong with one custom header, or "".
func headerProblem(name, value string) string {
	lower := strings.ToLower(name)
	switch {
	case name == "" || len(name) > MaxHeaderName || !httpguts.ValidHeaderFieldName(name):
		return "is not a valid header name"
	case reservedHeaders[lower] || strings.HasPrefix(lower, "webhook-"):
		return "is set by Hookline and cannot be overridden"
	case len(value) > MaxHeaderValue:
		return fmt.Sprintf("value must be at most %d bytes", MaxHeaderValue)
	case !utf8.ValidString(value):
		return "value must be valid UTF-8"
	}
	for _, c := range value {
		if c < ' ' && c != '\t' || c == 0x7f {
			return "value must not contain control characters"
		}
	}
	return ""
}

// DeleteWebhook removes a webhook; its pending deliveries end as failed.
func (r *Registry) DeleteWebhook(ctx context.Context, id string) error {
	if err := r.cfg.Store.WebhookDelete(ctx, auth.ScopeFrom(ctx), id); err != nil {
		return err
	}
	r.invalidate(id)
	r.audit(ctx, "webhook.delete", id, "")
	return nil
}

// RotateSecret makes a new secret (of the webhook's signature scheme)
// current; the previous one keeps signing for the overlap period. It
// returns what receivers verify with: the new secret, or for ed25519 the
// new public key.
func (r *Registry) RotateSecret(ctx context.Context, id string) (string, time.Time, error) {
	w, err := r.cfg.Store.WebhookGet(ctx, auth.ScopeFrom(ctx), id)
	if err != nil {
		return "", time.Time{}, err
	}
	secret, shared := newSecret(w.Signature)
	until := r.cfg.Now().Add(r.cfg.RotationOverlap).UTC()
	if err := r.cfg.Store.WebhookRotateSecret(ctx, auth.ScopeFrom(ctx), id, secret, until); err != nil {
		return "", time.Time{}, err
	}
	r.invalidate(id)
	r.audit(ctx, "webhook.rotate_secret", id, "previous secret signs until "+until.Format(time.RFC3339))
	return shared, until, nil
}

// Secrets returns what receivers verify a webhook's requests with now:
// each signing secret, or for an ed25519 key its public key. The private
// keys never leave the store but to sign.
func (r *Registry) Secrets(ctx context.Context, id string) ([]webhook.Secret, error) {
	secrets, err := r.cfg.Store.WebhookSecrets(ctx, auth.ScopeFrom(ctx), id, r.cfg.Now())
	if err != nil {
		return nil, err
	}
	for i, s := range secrets {
		shared, err := signing.Shareable(s.Value)
		if err != nil {
			return nil, err
		}
		secrets[i].Value = shared
	}
	return secrets, nil
}

// changed names the fields an update set, for the audit log.
func changed(in WebhookInput) string {
	var f []string
	add := func(set bool, name string) {
		if set {
			f = append(f, name)
		}
	}
	add(in.Name != nil, "name")
	add(in.URL != nil, "url")
	add(in.Description != nil, "description")
	add(in.Events != nil, "events")
	add(in.Filter != nil, "filter")
	add(in.Active != nil, "active")
	add(in.Headers != nil, "headers")
	add(in.Format != nil, "format")
	add(in.Integration != nil, "integration")
	add(in.SecretHeaders != nil, "secret_headers")
	add(in.Destination != nil, "destination")
	add(in.Signature != nil, "signature")
	add(in.Ordering != nil, "ordering")
	add(in.OrderingKey != nil, "ordering_key")
	add(in.RateLimit != nil, "rate_limit")
	add(in.Transform != nil, "transform")
	return strings.Join(f, ", ")
}
