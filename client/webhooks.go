package client

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
)

// WebhookList returns one page of webhooks, newest first. WebhookListAll
// follows the cursors.
//
// GET /api/v1/webhooks (admin).
func (c *Client) WebhookList(ctx context.Context, p WebhookListParams) (*Page[Webhook], error) {
	q := url.Values{}
	setQuery(q, "tenant", p.Tenant)
	setQuery(q, "event_type", p.EventType)
	if p.Active != nil {
		q.Set("active", strconv.FormatBool(*p.Active))
	}
	setQuery(q, "search", p.Search)
	setLimit(q, p.Limit)
	setQuery(q, "cursor", p.Cursor)
	var page Page[Webhook]
	if err := c.do(ctx, request{method: "GET", path: "/api/v1/webhooks", query: q}, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// WebhookGet returns one webhook with its delivery counters.
//
// GET /api/v1/webhooks/{id} (admin); IsNotFound for an unknown id.
func (c *Client) WebhookGet(ctx context.Context, id string) (*Webhook, error) {
	var w Webhook
	if err := c.do(ctx, request{method: "GET", path: pathf("/api/v1/webhooks/%s", id)}, &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// WebhookCreate creates a webhook and returns it with its signing secret.
//
// POST /api/v1/webhooks (admin). A bad field is IsInvalid with the
// *Error's Field set, e.g. "events[1]" for an unknown event type.
func (c *Client) WebhookCreate(ctx context.Context, p WebhookCreateParams) (*CreatedWebhook, error) {
	var w CreatedWebhook
	if err := c.do(ctx, request{method: "POST", path: "/api/v1/webhooks", body: p}, &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// WebhookUpdate changes the non-nil fields of p and returns the webhook as
// stored. Deactivating a webhook cancels its pending deliveries.
//
// PATCH /api/v1/webhooks/{id} (admin).
func (c *Client) WebhookUpdate(ctx context.Context, id string, p WebhookUpdateParams) (*Webhook, error) {
	var w Webhook
	if err := c.do(ctx, request{method: "PATCH", path: pathf("/api/v1/webhooks/%s", id), body: p}, &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// WebhookDelete deletes a webhook; its pending deliveries are cancelled.
//
// DELETE /api/v1/webhooks/{id} (admin); IsNotFound for an unknown id.
func (c *Client) WebhookDelete(ctx context.Context, id string) error {
	return c.do(ctx, request{method: "DELETE", path: pathf("/api/v1/webhooks/%s", id)}, nil)
}

// WebhookSecret returns the secrets signing the webhook's requests now:
// the current one and, during a rotation overlap, the previous one.
//
// GET /api/v1/webhooks/{id}/secret (admin).
func (c *Client) WebhookSecret(ctx context.Context, id string) (*Secrets, error) {
	var s Secrets
	if err := c.do(ctx, request{method: "GET", path: pathf("/api/v1/webhooks/%s/secret", id)}, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// WebhookRotateSecret replaces the webhook's signing secret. Requests are
// signed with both the new and the old secret until PreviousExpiresAt, so
// receivers can switch without dropping any.
//
// POST /api/v1/webhooks/{id}/rotate-secret (admin).
func (c *Client) WebhookRotateSecret(ctx context.Context, id string) (*RotatedSecret, error) {
	var r RotatedSecret
	if err := c.do(ctx, request{method: "POST", path: pathf("/api/v1/webhooks/%s/rotate-secret", id)}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// WebhookTest sends the example payload of an event type to the webhook
// now, waits for the answer and returns it. A receiver that fails is not an
// error: see TestResult.Success.
//
// POST /api/v1/webhooks/{id}/test (admin).
func (c *Client) WebhookTest(ctx context.Context, id string, p WebhookTestParams) (*TestResult, error) {
	var r TestResult
	if err := c.do(ctx, request{method: "POST", path: pathf("/api/v1/webhooks/%s/test", id), body: p}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// WebhookReplay delivers again, to this webhook, the events it subscribes
// to that were published since p.Since.
//
// POST /api/v1/webhooks/{id}/replay (admin).
func (c *Client) WebhookReplay(ctx context.Context, id string, p WebhookReplayParams) (*ReplayResult, error) {
	var r ReplayResult
	if err := c.do(ctx, request{method: "POST", path: pathf("/api/v1/webhooks/%s/replay", id), body: p}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// WebhookRecover re-queues the webhook's failed deliveries created in a
// window, each with the whole retry schedule again, or with DryRun only
// counts them. Running it again re-queues nothing twice: a re-queued
// delivery is no longer failed.
//
// POST /api/v1/webhooks/{id}/recover (admin); IsConflict when the webhook
// is disabled, a validation error (422) for a bad window or state.
func (c *Client) WebhookRecover(ctx context.Context, id string, p WebhookRecoverParams) (*RecoverResult, error) {
	var r RecoverResult
	if err := c.do(ctx, request{method: "POST", path: pathf("/api/v1/webhooks/%s/recover", id), body: p}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// WebhookAttempts returns the webhook's most recent attempts (test sends
// included), newest first.
//
// GET /api/v1/webhooks/{id}/attempts (admin).
func (c *Client) WebhookAttempts(ctx context.Context, id string, p WebhookAttemptsParams) ([]Attempt, error) {
	q := url.Values{}
	setLimit(q, p.Limit)
	var page Page[Attempt]
	if err := c.do(ctx, request{method: "GET", path: pathf("/api/v1/webhooks/%s/attempts", id), query: q}, &page); err != nil {
		return nil, err
	}
	return page.Data, nil
}

func setQuery(q url.Values, name, value string) {
	if value != "" {
		q.Set(name, value)
	}
}

func setLimit(q url.Values, limit int) {
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
}

// FilterTestParams tries a payload filter on Event, or on EventType's
// example payload (give one of them).
type FilterTestParams struct {
	// Filter is the filter document, e.g.
	// map[string]any{"data.amount": map[string]any{"$gte": 100}}.
	Filter    any              `json:"filter"`
	Event     *FilterTestEvent `json:"event,omitempty"`
	EventType string           `json:"event_type,omitempty"`
}

// FilterTestEvent is the event a filter is tried on.
type FilterTestEvent struct {
	Type   string `json:"type"`
	Tenant string `json:"tenant,omitempty"`
	Data   any    `json:"data"`
}

// FilterTestResult says whether the filter lets the event through, and
// if not, which clause failed.
type FilterTestResult struct {
	Matches     bool   `json:"matches"`
	Explanation string `json:"explanation"`
}

// WebhookFilterTest checks a payload filter as saving a webhook would
// (a bad one is an *Error whose Errors name each bad part) and tries it.
//
// POST /api/v1/webhooks/filter-test (read).
func (c *Client) WebhookFilterTest(ctx context.Context, p FilterTestParams) (*FilterTestResult, error) {
	var r FilterTestResult
	if err := c.do(ctx, request{method: "POST", path: "/api/v1/webhooks/filter-test", body: p}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// TransformTestParams runs a transform on Event, or on EventType's
// example payload (give one of them), as a delivery to URL (default
// https://example.com/webhook) in Format ("envelope", the default, or
// "raw") would.
type TransformTestParams struct {
	Transform string           `json:"transform"`
	Event     *FilterTestEvent `json:"event,omitempty"`
	EventType string           `json:"event_type,omitempty"`
	URL       string           `json:"url,omitempty"`
	Format    string           `json:"format,omitempty"`
}

// TransformTestResult is what a transform made of the request: Result,
// Cancelled, or the Error that would fail the attempt.
type TransformTestResult struct {
	Result     *TransformRequest `json:"result"`
	Cancelled  bool              `json:"cancelled"`
	Error      *TransformError   `json:"error"`
	DurationMS float64           `json:"duration_ms"`
}

// TransformRequest is the request a delivery would send; Payload is the
// body as JSON, or a JSON string when the body is not JSON.
type TransformRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Payload json.RawMessage   `json:"payload"`
}

// TransformError is why a transform run failed: Kind is syntax, handler,
// runtime, timeout, memory, stack or result.
type TransformError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

// WebhookTransformTest compiles a transform as saving a webhook would (a
// bad one is an *Error with an entry at /transform) and runs it under the
// server's limits. Nothing is stored or sent.
//
// POST /api/v1/webhooks/transform-test (read).
func (c *Client) WebhookTransformTest(ctx context.Context, p TransformTestParams) (*TransformTestResult, error) {
	var r TransformTestResult
	if err := c.do(ctx, request{method: "POST", path: "/api/v1/webhooks/transform-test", body: p}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
