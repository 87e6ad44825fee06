package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/transform"
	"github.com/hookline/hookline/internal/webhook"
)

// checkTransform returns the transform to store: "" (none) for blank
// source. It compiles the source and runs its top level once, in a
// sandbox worker, so a syntax error, a missing handler or a top level
// that throws, loops or exhausts memory is reported at /transform with
// its line and column. An error is a failure of the sandbox itself.
func (r *Registry) checkTransform(ctx context.Context, src string, v *webhook.Validation) (string, error) {
	if strings.TrimSpace(src) == "" {
		return "", nil
	}
	if !utf8.ValidString(src) {
		v.Add(webhook.EINVALID, webhook.At("transform"), "is not valid UTF-8 text")
		return "", nil
	}
	if bad, err := r.compileProblem(ctx, src); err != nil || bad != "" {
		if bad != "" {
			v.Add(webhook.EUNPROCESSABLE, webhook.At("transform"), "%s", bad)
		}
		return "", err
	}
	return src, nil
}

// compileProblem checks src: what is wrong with it ("" when nothing),
// or an error when the sandbox could not tell.
func (r *Registry) compileProblem(ctx context.Context, src string) (string, error) {
	err := r.cfg.Transforms.Check(ctx, src)
	var te *transform.Error
	switch {
	case err == nil:
		return "", nil
	case errors.As(err, &te):
		return te.Error(), nil
	}
	return "", fmt.Errorf("checking the transform: %w", err)
}

// TransformTest asks what a transform makes of an event: a given event,
// or the example payload of an event type, sent as a webhook with URL
// (default https://example.com/webhook) and format would send it.
type TransformTest struct {
	Transform string       `json:"transform"`
	Event     *FilterEvent `json:"event,omitempty"`
	EventType string       `json:"event_type,omitempty"`
	URL       string       `json:"url,omitempty"`
	Format    string       `json:"format,omitempty"`
}

// TransformResult is what the transform made of the request: the request
// to send (Result), a cancelled delivery, or the error that would fail
// the attempt.
type TransformResult struct {
	Result    *TransformRequest `json:"result"`
	Cancelled bool              `json:"cancelled"`
	Error     *TransformError   `json:"error"`
	// DurationMS is how long the run took (compile excluded).
	DurationMS float64 `json:"duration_ms"`
}

// TransformRequest is the request a delivery would send. Payload is the
// body as JSON when it is JSON, else the body as a string.
type TransformRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Payload json.RawMessage   `json:"payload"`
}

// TransformError is a failed run: its kind (syntax, handler, runtime,
// timeout, memory, stack, result), message and place in the source.
type TransformError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

// TestTransform runs in.Transform on the event as a delivery would,
// under the server's limits. A transform that does not compile, or a bad
// event, is a validation error; one that fails when run is a result with
// Error set, as the attempt log would show it.
func (r *Registry) TestTransform(ctx context.Context, in TransformTest) (TransformResult, error) {
	var v webhook.Validation
	if strings.TrimSpace(in.Transform) == "" {
		v.Add(webhook.EINVALID, webhook.At("transform"), "is required")
	} else if bad, err := r.compileProblem(ctx, in.Transform); err != nil {
		return TransformResult{}, err
	} else if bad != "" {
		v.Add(webhook.EUNPROCESSABLE, webhook.At("transform"), "%s", bad)
	}
	ev, err := r.testEvent(ctx, in.Event, in.EventType, "evt_transform_test", &v)
	if err != nil {
		return TransformResult{}, err
	}
	format := webhook.Format(in.Format)
	if in.Format == "" {
		format = webhook.FormatEnvelope
	} else if !format.Valid() {
		v.Add(webhook.EINVALID, webhook.At("format"), `must be "envelope" or "raw"`)
	}
	hook := webhook.Webhook{ID: "wh_transform_test", URL: in.URL, Format: format}
	if hook.URL == "" {
		hook.URL = "https://example.com/webhook"
	} else if err := v.Merge(r.cfg.Guard.CheckURL(hook.URL)); err != nil {
		return TransformResult{}, err
	}
	if err := v.Err(); err != nil {
		return TransformResult{}, err
	}
	start := time.Now()
	res, err := r.cfg.Transforms.Run(ctx, in.Transform, deliver.TransformInput(deliver.Task{Webhook: hook, Event: ev}), r.cfg.Transform)
	out := TransformResult{DurationMS: float64(time.Since(start).Microseconds()) / 1000}
	var te *transform.Error
	switch {
	case errors.As(err, &te):
		out.Error = &TransformError{Kind: te.Kind, Message: te.Message, Line: te.Line, Column: te.Column}
	case err != nil:
		return TransformResult{}, err
	case res.Cancelled:
		out.Cancelled = true
	default:
		payload := json.RawMessage(res.Body)
		if !json.Valid(res.Body) {
			payload, _ = json.Marshal(string(res.Body))
		}
		out.Result = &TransformRequest{Method: res.Method, URL: res.URL, Headers: res.Headers, Payload: payload}
	}
	return out, nil
}

// testEvent is the event a filter or transform test runs on: the given
// one, or an event type's example payload, in the caller's tenant.
func (r *Registry) testEvent(ctx context.Context, given *FilterEvent, eventType, id string, v *webhook.Validation) (webhook.Event, error) {
	ev := webhook.Event{ID: id, Tenant: auth.ScopeFrom(ctx).Tenant(), CreatedAt: r.cfg.Now().UTC().Truncate(time.Millisecond)}
	switch {
	case (given == nil) == (eventType == ""):
		v.Add(webhook.EINVALID, webhook.At("event"), `give either "event" ({"type", "data"}) or "event_type" (to try its example payload)`)
	case given != nil:
		ev.Type, ev.Data = given.Type, given.Data
		if given.Tenant != "" && ev.Tenant == "" {
			ev.Tenant = given.Tenant
		}
		if len(ev.Data) == 0 || !json.Valid(ev.Data) {
			v.Add(webhook.EINVALID, webhook.At("event").Key("data"), "must be JSON")
		}
	default:
		et, err := r.cfg.Store.EventTypeGet(ctx, eventType)
		switch {
		case webhook.ErrorCode(err) == webhook.ENOTFOUND:
			v.Add(webhook.EUNPROCESSABLE, webhook.At("event_type"), "unknown event type %q", eventType)
		case err != nil:
			return ev, err
		default:
			ev.Type, ev.Data = et.Slug, et.Example
		}
	}
	if ev.Tenant == "" {
		ev.Tenant = webhook.DefaultTenant
	}
	return ev, nil
}
