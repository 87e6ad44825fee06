package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/ingest"
	"github.com/hookline/hookline/internal/jsonx"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func (a *API) decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	return jsonx.Decode(http.MaxBytesReader(w, r.Body, limit), v)
}

// decodeOptional decodes a body that may be absent entirely.
func (a *API) decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := jsonx.ReadBody(http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes))
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	return jsonx.DecodeBytes(b, v)
}

// list is the shape of every list response.
type list[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func queryLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, webhook.ParamError(webhook.EINVALID, "limit", "must be a whole number from 1 to 1000")
	}
	return n, nil
}

func queryTenant(r *http.Request) (string, error) {
	t := r.URL.Query().Get("tenant")
	if t == "" {
		return "", nil
	}
	t, err := ingest.ValidTenant(t)
	if e, ok := errors.AsType[*webhook.Error](err); ok && e.Field == "tenant" {
		// The same check as a body's tenant, reported as the parameter.
		return "", webhook.ParamError(e.Code, "tenant", "%s", e.Message)
	}
	return t, err
}

// --- event types ---

func (a *API) listEventTypes(w http.ResponseWriter, r *http.Request) error {
	types, err := a.cfg.Store.EventTypeList(r.Context())
	if err != nil {
		return err
	}
	if types == nil {
		types = []webhook.EventType{}
	}
	writeJSON(w, http.StatusOK, list[webhook.EventType]{Data: types})
	return nil
}

func (a *API) getEventType(w http.ResponseWriter, r *http.Request) error {
	et, err := a.cfg.Store.EventTypeGet(r.Context(), r.PathValue("slug"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, et)
	return nil
}

type eventTypePatch struct {
	Name        *string         `json:"name"`
	Description *string         `json:"description"`
	Example     json.RawMessage `json:"example"`
	Schema      json.RawMessage `json:"schema"`
	Deprecated  *bool           `json:"deprecated"`
}

func (a *API) updateEventType(w http.ResponseWriter, r *http.Request) error {
	var req eventTypePatch
	if err := a.decode(w, r, a.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	et, err := a.cfg.Registry.UpdateEventType(r.Context(), r.PathValue("slug"), registry.EventTypePatch(req))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, et)
	return nil
}

type eventTypeRequest struct {
	Slug        string          `json:"slug"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Example     json.RawMessage `json:"example"`
	Schema      json.RawMessage `json:"schema"`
}

func (a *API) createEventType(w http.ResponseWriter, r *http.Request) error {
	var req eventTypeRequest
	if err := a.decode(w, r, a.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	et, err := a.cfg.Registry.CreateEventType(r.Context(), registry.EventTypeInput(req))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/event-types/"+et.Slug)
	writeJSON(w, http.StatusCreated, et)
	return nil
}

// --- webhooks ---

type webhookRequest struct {
	Tenant        *string              `json:"tenant"`
	Name          *string              `json:"name"`
	URL           *string              `json:"url"`
	Description   *string              `json:"description"`
	Events        []string             `json:"events"`
	Filter        json.RawMessage      `json:"filter"`
	Active        *bool                `json:"active"`
	Headers       map[string]string    `json:"headers"`
	Format        *string              `json:"format"`
	Integration   *string              `json:"integration"`
	SecretHeaders []string             `json:"secret_headers"`
	Destination   *webhook.Destination `json:"destination"`
	Signature     *string              `json:"signature"`
	Ordering      *string              `json:"ordering"`
	OrderingKey   *string              `json:"ordering_key"`
	RateLimit     json.RawMessage      `json:"rate_limit"`
	Transform     *string              `json:"transform"`
}

type webhookView struct {
	webhook.Webhook
	Secret string `json:"secret,omitempty"`
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var req webhookRequest
	if err := a.decode(w, r, a.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	wh, secret, err := a.cfg.Registry.CreateWebhook(r.Context(), registry.WebhookInput(req))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+wh.ID)
	writeJSON(w, http.StatusCreated, webhookView{Webhook: wh.Masked(), Secret: secret})
	return nil
}

func (a *API) getWebhook(w http.ResponseWriter, r *http.Request) error {
	wh, err := a.cfg.Store.WebhookGet(r.Context(), auth.ScopeFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wh.Masked())
	return nil
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := queryLimit(r)
	if err != nil {
		return err
	}
	tenant, err := queryTenant(r)
	if err != nil {
		return err
	}
	p := store.WebhookListParams{
		Scope: auth.ScopeFrom(r.Context()), Tenant: tenant, EventType: q.Get("event_type"), Search: q.Get("search"),
		Cursor: q.Get("cursor"), Limit: limit,
	}
	if v := q.Get("active"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return webhook.ParamError(webhook.EINVALID, "active", "must be true or false")
		}
		p.Active = &b
	}
	page, err := a.cfg.Store.WebhookList(r.Context(), p)
	if err != nil {
		return err
	}
	if page.Webhooks == nil {
		page.Webhooks = []webhook.Webhook{}
	}
	for i := range page.Webhooks {
		page.Webhooks[i] = page.Webhooks[i].Masked()
	}
	writeJSON(w, http.StatusOK, list[webhook.Webhook]{Data: page.Webhooks, NextCursor: page.Next})
	return nil
}

func (a *API) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	var req webhookRequest
	if err := a.decode(w, r, a.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	wh, err := a.cfg.Registry.UpdateWebhook(r.Context(), r.PathValue("id"), registry.WebhookInput(req))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wh.Masked())
	return nil
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := a.cfg.Registry.DeleteWebhook(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type secretView struct {
	Secret   string           `json:"secret"`
	Previous []webhook.Secret `json:"previous,omitempty"`
}

func (a *API) getSecret(w http.ResponseWriter, r *http.Request) error {
	secrets, err := a.cfg.Registry.Secrets(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, secretView{Secret: secrets[0].Value, Previous: secrets[1:]})
	return nil
}

func (a *API) rotateSecret(w http.ResponseWriter, r *http.Request) error {
	secret, until, err := a.cfg.Registry.RotateSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rotateResponse{Secret: secret, PreviousExpiresAt: until})
	return nil
}

type rotateResponse struct {
	Secret            string    `json:"secret"`
	PreviousExpiresAt time.Time `json:"previous_expires_at"`
}

type testRequest struct {
	EventType string `json:"event_type"`
}

type testResponse struct {
	Success              bool                   `json:"success"`
	StatusCode           int                    `json:"status_code"`
	Destination          string                 `json:"destination"`
	Outcome              webhook.AttemptOutcome `json:"outcome"`
	Answer               string                 `json:"answer"`
	DurationMS           float64                `json:"duration_ms"`
	ResponseHeaders      http.Header            `json:"response_headers"`
	ResponseBody         string                 `json:"response_body"`
	ResponseBodyEncoding string                 `json:"response_body_encoding,omitempty"`
	Error                string                 `json:"error,omitempty"`
	ErrorClass           string                 `json:"error_class,omitempty"`
	AttemptID            string                 `json:"attempt_id"`
	EventType            string                 `json:"event_type"`
	RequestHeaders       http.Header            `json:"request_headers"`
	RequestBody          string                 `json:"request_body"`
}

func (a *API) testWebhook(w http.ResponseWriter, r *http.Request) error {
	var req testRequest
	if err := a.decodeOptional(w, r, &req); err != nil {
		return err
	}
	at, err := a.cfg.Registry.SendTest(r.Context(), r.PathValue("id"), req.EventType)
	if err != nil {
		return err
	}
	body, enc := bodyText(at.ResponseBody)
	writeJSON(w, http.StatusOK, testResponse{
		Success: at.Success(), StatusCode: at.StatusCode, DurationMS: at.DurationMS,
		Destination: at.Destination, Outcome: at.Outcome, Answer: at.Answer,
		ResponseHeaders: nonNilHeader(at.ResponseHeaders), ResponseBody: body, ResponseBodyEncoding: enc,
		Error: at.Error, ErrorClass: string(at.ErrorClass), AttemptID: at.ID, EventType: at.EventType,
		RequestHeaders: nonNilHeader(at.RequestHeaders), RequestBody: string(at.RequestBody),
	})
	return nil
}

type replayResponse struct {
	Deliveries int `json:"deliveries"`
}

type replayRequest struct {
	Since *time.Time `json:"since"`
}

func (a *API) replayWebhook(w http.ResponseWriter, r *http.Request) error {
	var req replayRequest
	if err := a.decode(w, r, a.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	if req.Since == nil {
		return webhook.FieldError(webhook.EINVALID, "since", "is required (an RFC 3339 time)")
	}
	n, err := a.cfg.Registry.Replay(r.Context(), r.PathValue("id"), *req.Since)
	if err != nil {
		return err
	}
	a.cfg.Wake()
	writeJSON(w, http.StatusAccepted, replayResponse{Deliveries: n})
	return nil
}

type recoverRequest struct {
	Since      *time.Time `json:"since"`
	Until      *time.Time `json:"until"`
	Status     []string   `json:"status"`
	EventTypes []string   `json:"event_types"`
	DryRun     bool       `json:"dry_run"`
}

type recoverResponse struct {
	DryRun bool `json:"dry_run"`
	// Count is how many failed deliveries match; Requeued how many were
	// re-queued (absent on a dry run).
	Count    int       `json:"count"`
	Requeued *int      `json:"requeued,omitempty"`
	Since    time.Time `json:"since"`
	Until    time.Time `json:"until"`
}

func (a *API) recoverWebhook(w http.ResponseWriter, r *http.Request) error {
	var req recoverRequest
	if err := a.decode(w, r, a.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	res, err := a.cfg.Registry.Recover(r.Context(), r.PathValue("id"), registry.RecoverInput{
		Since: req.Since, Until: req.Until, Statuses: req.Status, EventTypes: req.EventTypes, DryRun: req.DryRun,
	})
	if err != nil {
		return err
	}
	out := recoverResponse{DryRun: res.DryRun, Count: res.Count, Since: res.Since, Until: res.Until}
	status := http.StatusOK
	if !res.DryRun {
		out.Requeued = &res.Count
		status = http.StatusAccepted
		a.cfg.Wake()
	}
	writeJSON(w, status, out)
	return nil
}

func (a *API) listWebhookAttempts(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryLimit(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := a.cfg.Store.WebhookGet(r.Context(), auth.ScopeFrom(r.Context()), id); err != nil {
		return err
	}
	atts, err := a.cfg.Store.AttemptListByWebhook(r.Context(), auth.ScopeFrom(r.Context()), id, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[attemptView]{Data: attemptViews(atts)})
	return nil
}

// --- events ---

type publishRequest struct {
	Type           string          `json:"type"`
	Data           json.RawMessage `json:"data"`
	IdempotencyKey string          `json:"idempotency_key"`
	Tenant         string          `json:"tenant"`
}

type publishResponse struct {
	ID         string `json:"id"`
	Deliveries int    `json:"deliveries"`
	Duplicate  bool   `json:"duplicate,omitempty"`
}

func (a *API) publishEvent(w http.ResponseWriter, r *http.Request) error {
	var req publishRequest
	if err := a.decode(w, r, a.cfg.MaxEventBytes, &req); err != nil {
		return err
	}
	if req.IdempotencyKey == "" {
		req.IdempotencyKey = r.Header.Get("Idempotency-Key")
	}
	// A tenant's key publishes to its own tenant, and only there.
	tenant, err := auth.ScopeFrom(r.Context()).Assign(req.Tenant)
	if err != nil {
		return err
	}
	hops, err := requestHops(r)
	if err != nil {
		return err
	}
	res, err := a.cfg.Ingest.Publish(r.Context(), ingest.Input{
		Hops:   hops,
		Tenant: tenant, Type: req.Type, Data: req.Data, IdempotencyKey: req.IdempotencyKey,
		// The default tenant (no tenant named) is always known.
		TenantMustExist: a.cfg.TenantsStrict && tenant != "" && tenant != webhook.DefaultTenant,
	})
	if err != nil {
		return err
	}
	// A repeat with the same idempotency key gets the original answer
	// (202, the original id), marked as a duplicate.
	w.Header().Set("Location", "/api/v1/events/"+res.Event.ID)
	writeJSON(w, http.StatusAccepted, publishResponse{ID: res.Event.ID, Deliveries: len(res.Deliveries), Duplicate: res.Duplicate})
	return nil
}

func (a *API) listEvents(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryLimit(r)
	if err != nil {
		return err
	}
	tenant, err := queryTenant(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	page, err := a.cfg.Store.EventList(r.Context(), store.EventListParams{
		Scope: auth.ScopeFrom(r.Context()), Tenant: tenant, Type: q.Get("type"), Cursor: q.Get("cursor"), Limit: limit,
	})
	if err != nil {
		return err
	}
	if page.Events == nil {
		page.Events = []store.EventSummary{}
	}
	writeJSON(w, http.StatusOK, list[store.EventSummary]{Data: page.Events, NextCursor: page.Next})
	return nil
}

type eventView struct {
	webhook.Event
	Deliveries []webhook.Delivery `json:"deliveries"`
	// SkippedByFilter is set with ?explain=true: the webhooks whose
	// payload filter kept the event from them.
	SkippedByFilter []registry.FilterSkip `json:"skipped_by_filter,omitempty"`
}

func (a *API) getEvent(w http.ResponseWriter, r *http.Request) error {
	ev, err := a.cfg.Store.EventGet(r.Context(), auth.ScopeFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	page, err := a.cfg.Store.DeliveryList(r.Context(), store.DeliveryListParams{
		Scope: auth.ScopeFrom(r.Context()), EventID: ev.ID, Limit: 1000})
	if err != nil {
		return err
	}
	if page.Deliveries == nil {
		page.Deliveries = []webhook.Delivery{}
	}
	v := eventView{Event: ev, Deliveries: page.Deliveries}
	switch r.URL.Query().Get("explain") {
	case "", "false":
	case "true":
		if v.SkippedByFilter, err = a.cfg.Registry.SkippedByFilter(r.Context(), ev); err != nil {
			return err
		}
	default:
		return webhook.ParamError(webhook.EINVALID, "explain", "must be true or false")
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// --- deliveries ---

func (a *API) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryLimit(r)
	if err != nil {
		return err
	}
	tenant, err := queryTenant(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	p := store.DeliveryListParams{
		Scope: auth.ScopeFrom(r.Context()), Tenant: tenant, WebhookID: q.Get("webhook_id"), EventID: q.Get("event_id"),
		EventType: q.Get("event_type"), Cursor: q.Get("cursor"), Limit: limit,
	}
	if err := deliveryFilters(q, &p); err != nil {
		return err
	}
	page, err := a.cfg.Store.DeliveryList(r.Context(), p)
	if err != nil {
		return err
	}
	if page.Deliveries == nil {
		page.Deliveries = []webhook.Delivery{}
	}
	writeJSON(w, http.StatusOK, list[webhook.Delivery]{Data: page.Deliveries, NextCursor: page.Next})
	return nil
}

// deliveryFilters reads the delivery log's filters (status, repeated or
// comma-separated; since and until; q) into p, reporting every bad one
// at once.
func deliveryFilters(q url.Values, p *store.DeliveryListParams) error {
	var v webhook.Validation
	for _, raw := range q["status"] {
		for st := range strings.SplitSeq(raw, ",") {
			s := webhook.DeliveryStatus(strings.TrimSpace(st))
			if !s.Valid() {
				v.Add(webhook.EUNPROCESSABLE, webhook.Param("status"), "%q is not a state: use pending, succeeded or failed", st)
				continue
			}
			if !slices.Contains(p.Statuses, s) {
				p.Statuses = append(p.Statuses, s)
			}
		}
	}
	for _, b := range []struct {
		name string
		t    *time.Time
	}{{"since", &p.Since}, {"until", &p.Until}} {
		raw := q.Get(b.name)
		if raw == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, raw)
		if err != nil {
			v.Add(webhook.EUNPROCESSABLE, webhook.Param(b.name), "must be an RFC 3339 time such as 2026-01-31T09:00:00Z")
			continue
		}
		*b.t = t
	}
	if !p.Since.IsZero() && !p.Until.IsZero() && !p.Since.Before(p.Until) {
		v.Add(webhook.EUNPROCESSABLE, webhook.Param("until"), "must be after since")
	}
	if raw := q.Get("q"); raw != "" {
		id, ok := registry.DeliveryQuery(raw)
		if !ok {
			v.Add(webhook.EUNPROCESSABLE, webhook.Param("q"), "must be a delivery or event ID, or the start of one (letters, digits and _)")
		}
		p.Query = id
	}
	return v.Err()
}

type deliveryView struct {
	webhook.Delivery
	Attempts []attemptView `json:"attempt_log"`
}

// attemptView shows bodies as text when they are UTF-8 (JSON nearly always
// is) and base64 otherwise.
type attemptView struct {
	webhook.Attempt
	RequestBody          string `json:"request_body"`
	ResponseBody         string `json:"response_body"`
	ResponseBodyEncoding string `json:"response_body_encoding,omitempty"`
}

func attemptViews(atts []webhook.Attempt) []attemptView {
	out := make([]attemptView, len(atts))
	for i, at := range atts {
		// Request bodies are what Hookline built from accepted (UTF-8
		// validated) JSON, so they are always text.
		out[i] = attemptView{Attempt: at, RequestBody: string(at.RequestBody)}
		out[i].RequestHeaders = nonNilHeader(at.RequestHeaders)
		out[i].ResponseHeaders = nonNilHeader(at.ResponseHeaders)
		out[i].ResponseBody, out[i].ResponseBodyEncoding = bodyText(at.ResponseBody)
	}
	return out
}

func (a *API) getDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := a.cfg.Store.DeliveryGet(r.Context(), auth.ScopeFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	atts, err := a.cfg.Store.AttemptList(r.Context(), auth.ScopeFrom(r.Context()), d.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, deliveryView{Delivery: d, Attempts: attemptViews(atts)})
	return nil
}

func (a *API) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := a.cfg.Registry.Retry(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	a.cfg.Wake()
	writeJSON(w, http.StatusAccepted, d)
	return nil
}

// requestHops reads the webhook.HopsHeader of a publish request: how many
// Hookline deliveries the event came through (absent: none).
func requestHops(r *http.Request) (int, error) {
	v := r.Header.Get(webhook.HopsHeader)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 || n > webhook.MaxHopsLimit {
		return 0, webhook.Errorf(webhook.EINVALID, "the %s header must be a whole number from 0 to %d",
			webhook.HopsHeader, webhook.MaxHopsLimit)
	}
	return n, nil
}
