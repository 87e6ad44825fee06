package deliver

import (
	"context"
	"errors"
	"net/http"

	"github.com/hookline/hookline/internal/transform"
	"github.com/hookline/hookline/internal/webhook"
)

// TransformInput is what a webhook's transform receives for t: the
// request Hookline would send (its URL, custom headers, content type and
// body as JSON) and the event it carries.
func TransformInput(t Task) transform.Request {
	h := make(map[string]string, len(t.Webhook.Headers)+1)
	for k, v := range t.Webhook.Headers {
		h[k] = v
	}
	h["content-type"] = "application/json"
	return transform.Request{
		Method: "POST", URL: t.Webhook.URL, Headers: h, Payload: webhook.Body(t.Webhook.Format, t.Event),
		EventType: t.Event.Type, EventID: t.Event.ID, Tenant: t.Event.Tenant,
	}
}

// applyTransform runs t's transform. It returns the task to send (with
// its Shaped request), or done with the attempt and verdict that end
// this try without a request: the transform failed (retried on the
// schedule: the cause may be load, and a fixed transform picks up the
// waiting deliveries), or it cancelled the delivery (done, nothing sent).
func (s *Senders) applyTransform(ctx context.Context, t Task) (Task, webhook.Attempt, Verdict, bool) {
	in := TransformInput(t)
	res, err := s.transforms.Run(ctx, t.Webhook.Transform, in, s.limits)
	if err == nil && TypeOf(t.Webhook) != TypeHTTP && !res.Cancelled && (res.URL != in.URL || res.Method != in.Method) {
		err = &transform.Error{Kind: "result", Message: "a " + TypeOf(t.Webhook) + " destination has no url or method to change; a transform may change its payload and headers"}
	}
	switch {
	case err != nil:
		a := newAttempt(t, startTime(t, s.now()))
		a.URL = t.Webhook.URL
		a.ErrorClass, a.Answer = webhook.ErrClassTransform, webhook.ErrClassTransform.Answer()
		var te *transform.Error
		if errors.As(err, &te) {
			a.Error = "transform " + te.Kind + " error: " + te.Error()
		} else {
			a.Error = "transform error: " + err.Error()
		}
		a.DurationMS = ms(s.now().Sub(a.StartedAt))
		return t, a, Verdict{Kind: Retry, Reason: a.Error}, true
	case res.Cancelled:
		a := newAttempt(t, startTime(t, s.now()))
		a.URL, a.Outcome, a.Answer = t.Webhook.URL, webhook.OutcomeSkipped, "skipped by the transform"
		return t, a, Verdict{Kind: Delivered}, true
	}
	t.Shaped = &res
	return t, webhook.Attempt{}, Verdict{}, false
}

// shaped reads a transform's request: its body, URL, method and custom
// headers, with the content type apart (the transform may set it, as
// the only header of Hookline's own it may change).
func shaped(r *transform.Result) (body []byte, target, method string, custom map[string]string, contentType string) {
	contentType = "application/json"
	custom = make(map[string]string, len(r.Headers))
	for k, v := range r.Headers {
		if http.CanonicalHeaderKey(k) == "Content-Type" {
			contentType = v
			continue
		}
		custom[k] = v
	}
	return r.Body, r.URL, r.Method, custom, contentType
}
