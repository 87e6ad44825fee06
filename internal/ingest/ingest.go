// Package ingest accepts published events: it validates them against the
// catalog (and the type's JSON Schema), applies idempotency, stores the
// event with one delivery per matching webhook in one durable write, and
// hands the new deliveries to the local dispatcher straight after commit.
package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/hookline/hookline/internal/jsonx"
	"github.com/hookline/hookline/internal/schema"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/tracing"
	"github.com/hookline/hookline/internal/webhook"
)

// Store is what ingest needs from storage.
type Store interface {
	EventTypeGet(ctx context.Context, slug string) (webhook.EventType, error)
	EventCreate(ctx context.Context, p store.EventCreateParams) (store.EventCreateResult, error)
}

// Handoff is the local dispatcher, seen from ingest.
type Handoff interface {
	// Reserve returns the lease to put on the new deliveries, or nil when
	// the dispatcher takes no new work now.
	Reserve() *store.LeaseRequest
	// Submit takes the deliveries leased with that request, after they
	// are committed; it sends them or releases them at once.
	Submit(tasks []store.Task)
	// Wake announces unleased due work in the database.
	Wake()
	// Arrived tells of new deliveries to webhooks the lease request
	// skipped (their lanes are full: the deliveries wait in the database).
	// A lane behind an open breaker then probes sooner: events keep
	// coming, and the endpoint's return should not wait a long cool-down.
	Arrived(webhookIDs []string)
}

// Config configures a Service.
type Config struct {
	Store   Store
	Handoff Handoff
	// IdempotencyWindow is how long an idempotency key maps to its event.
	IdempotencyWindow time.Duration
	// MaxDepth bounds the nesting of event data.
	MaxDepth int
	// CatalogTTL bounds how long a cached event type is trusted (another
	// instance may register or change types).
	CatalogTTL time.Duration
	Now        func() time.Time
	// Published, if set, is called after every stored event (metrics).
	Published func(deliveries int, duplicate bool)
	// Tracer traces publishing; nil means no tracing.
	Tracer trace.Tracer
	// MaxHops refuses an event that came through more Hookline
	// deliveries (Input.Hops) than this; default 5.
	MaxHops int
}

// Service accepts events. It is safe for concurrent use.
type Service struct {
	cfg   Config
	mu    sync.RWMutex
	types map[string]cachedType
}

type cachedType struct {
	et      webhook.EventType
	schema  *schema.Schema
	expires time.Time
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.IdempotencyWindow <= 0 {
		cfg.IdempotencyWindow = 24 * time.Hour
	}
	if cfg.MaxDepth <= 0 {
		cfg.MaxDepth = 64
	}
	if cfg.CatalogTTL <= 0 {
		cfg.CatalogTTL = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxHops <= 0 {
		cfg.MaxHops = 5
	}
	if cfg.Tracer == nil {
		cfg.Tracer = noop.NewTracerProvider().Tracer("")
	}
	return &Service{cfg: cfg, types: make(map[string]cachedType)}
}

// Input is an event to publish.
type Input struct {
	Tenant         string
	Type           string
	Data           json.RawMessage
	IdempotencyKey string
	// TenantMustExist refuses an event of a tenant that has no row
	// (--tenants-strict) instead of creating the tenant with the event.
	TenantMustExist bool
	// Hops counts the Hookline deliveries the event came through (the
	// publish request's webhook.HopsHeader); 0 from a producer.
	Hops int
}

// MaxIdempotencyKey bounds idempotency keys.
const MaxIdempotencyKey = 255

// Publish validates and stores an event and returns once it and its
// deliveries are durable.
func (s *Service) Publish(ctx context.Context, in Input) (res store.EventCreateResult, err error) {
	ctx, span := s.cfg.Tracer.Start(ctx, "hookline.publish")
	if !span.IsRecording() {
		// Tracing off (the default): nothing to describe, no allocations
		// on the ingest path.
		defer span.End()
		return s.publish(ctx, in)
	}
	span.SetAttributes(
		attribute.String("hookline.event.type", in.Type),
		attribute.String("hookline.tenant", in.Tenant),
		attribute.Int("hookline.event.bytes", len(in.Data)),
	)
	defer func() {
		if err != nil {
			tracing.Fail(span, err, webhook.HTTPStatus(webhook.ErrorCode(err)) < 500)
		} else {
			span.SetAttributes(
				attribute.String("hookline.event.id", res.Event.ID),
				attribute.Int("hookline.deliveries", len(res.Deliveries)),
				attribute.Bool("hookline.duplicate", res.Duplicate),
			)
		}
		span.End()
	}()
	return s.publish(ctx, in)
}

func (s *Service) publish(ctx context.Context, in Input) (store.EventCreateResult, error) {
	tenant, err := s.check(ctx, in)
	if err != nil {
		return store.EventCreateResult{}, err
	}
	// Stores keep microseconds: the in-memory event handed to the
	// dispatcher must match what retries read back, byte for byte.
	now := s.cfg.Now().UTC().Truncate(time.Microsecond)
	p := store.EventCreateParams{
		Event: webhook.Event{
			ID: webhook.NewID(webhook.PrefixEvent), Tenant: tenant, Type: in.Type,
			Data: in.Data, IdempotencyKey: in.IdempotencyKey, CreatedAt: now,
			// Attempts, run later from the stored event, join this trace.
			TraceParent: tracing.TraceParent(ctx),
			Hops:        in.Hops,
		},
		IdempotencySince: now.Add(-s.cfg.IdempotencyWindow),
		TenantMustExist:  in.TenantMustExist,
	}
	if s.cfg.Handoff != nil {
		p.Lease = s.cfg.Handoff.Reserve()
	}
	wctx, wspan := s.cfg.Tracer.Start(ctx, "hookline.store.event_create")
	res, err := s.cfg.Store.EventCreate(wctx, p)
	tracing.Fail(wspan, err, false)
	wspan.End()
	if err != nil {
		return store.EventCreateResult{}, err
	}
	if s.cfg.Published != nil {
		s.cfg.Published(len(res.Deliveries), res.Duplicate)
	}
	if res.Duplicate || len(res.Deliveries) == 0 || s.cfg.Handoff == nil {
		return res, nil
	}
	if p.Lease == nil {
		s.cfg.Handoff.Wake()
		return res, nil
	}
	// Deliveries not leased here belong to other instances' shards (the
	// store notifies them) or to lanes that are full (which wake the
	// poller themselves when they have room): no wake-up is needed.
	s.cfg.Handoff.Submit(res.Leased)
	if len(p.Lease.Skip) > 0 && len(res.Leased) < len(res.Deliveries) {
		var skipped []string
		for _, d := range res.Deliveries {
			if slices.Contains(p.Lease.Skip, d.WebhookID) {
				skipped = append(skipped, d.WebhookID)
			}
		}
		if len(skipped) > 0 {
			s.cfg.Handoff.Arrived(skipped)
		}
	}
	return res, nil
}

// check validates in, reporting every problem at once, and returns the
// tenant to use.
func (s *Service) check(ctx context.Context, in Input) (string, error) {
	if in.Hops > s.cfg.MaxHops {
		// Checked first: a loop must stop here whatever else the request
		// gets wrong.
		return "", webhook.Errorf(webhook.ELOOP, "this request was sent by a Hookline delivery of an event that "+
			"had already come through %d Hookline deliveries (%s header), more than the %d this server accepts "+
			"(--max-hops): Hookline servers are posting into each other in a loop", in.Hops-1, webhook.HopsHeader, s.cfg.MaxHops)
	}
	var v webhook.Validation
	tenant, err := ValidTenant(in.Tenant)
	if err := v.Merge(err); err != nil {
		return "", err
	}
	if in.Type == "" {
		v.Add(webhook.EINVALID, webhook.At("type"), "is required")
	}
	if len(in.IdempotencyKey) > MaxIdempotencyKey {
		v.Add(webhook.EINVALID, webhook.At("idempotency_key"), "must be at most %d bytes", MaxIdempotencyKey)
	}
	dataErr := CheckData(in.Data, s.cfg.MaxDepth)
	if err := v.Merge(dataErr); err != nil {
		return "", err
	}
	if in.Type != "" {
		ct, err := s.eventType(ctx, in.Type)
		if err := v.Merge(err); err != nil {
			return "", err
		}
		// The schema applies once the data is a JSON object of a known type.
		if err == nil && dataErr == nil && ct.schema != nil {
			if err := v.Merge(ct.schema.Validate(in.Data)); err != nil {
				return "", err
			}
		}
	}
	return tenant, v.Err()
}

// CheckData checks that event data is a JSON object within the depth bound.
// The bytes are kept exactly as given: they are what gets signed and sent.
func CheckData(data json.RawMessage, maxDepth int) error {
	if len(data) == 0 {
		return webhook.FieldError(webhook.EINVALID, "data", "is required and must be a JSON object")
	}
	if err := jsonx.CheckDepth(data, maxDepth); err != nil {
		var e *webhook.Error
		if errors.As(err, &e) {
			return webhook.FieldError(e.Code, "data", "%s", e.Message)
		}
		return err
	}
	// json.Valid alone accepts invalid UTF-8 inside strings.
	if !utf8.Valid(data) || !json.Valid(data) {
		return webhook.FieldError(webhook.EINVALID, "data", "must be a JSON object (valid JSON in UTF-8)")
	}
	if trimmed := bytes.TrimLeft(data, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '{' {
		return nil
	}
	return webhook.FieldError(webhook.EINVALID, "data", "must be a JSON object")
}

// MaxTenant bounds tenant names.
const MaxTenant = webhook.MaxTenant

// ValidTenant returns the tenant to use for t ("" means the default) or an
// error when it has characters outside [A-Za-z0-9_.:@-] or is too long.
func ValidTenant(t string) (string, error) {
	if t == "" {
		return webhook.DefaultTenant, nil
	}
	if len(t) > MaxTenant {
		return "", webhook.FieldError(webhook.EINVALID, "tenant", "must be at most %d characters", MaxTenant)
	}
	if err := webhook.CheckTenant(t); err != nil {
		return "", err
	}
	return t, nil
}

func (s *Service) eventType(ctx context.Context, slug string) (cachedType, error) {
	now := s.cfg.Now()
	s.mu.RLock()
	ct, ok := s.types[slug]
	s.mu.RUnlock()
	if ok && now.Before(ct.expires) {
		return ct, nil
	}
	et, err := s.cfg.Store.EventTypeGet(ctx, slug)
	if webhook.ErrorCode(err) == webhook.ENOTFOUND {
		return ct, webhook.FieldError(webhook.EUNPROCESSABLE, "type",
			"unknown event type %q: register it with POST /api/v1/event-types first", slug)
	}
	if err != nil {
		return ct, err
	}
	ct = cachedType{et: et, expires: now.Add(s.cfg.CatalogTTL)}
	if len(et.Schema) > 0 {
		if ct.schema, err = schema.Compile(et.Schema); err != nil {
			return ct, err
		}
	}
	s.mu.Lock()
	s.types[slug] = ct
	s.mu.Unlock()
	return ct, nil
}

// Forget drops a cached event type after a local change.
func (s *Service) Forget(slug string) {
	s.mu.Lock()
	delete(s.types, slug)
	s.mu.Unlock()
}
