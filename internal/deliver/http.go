package deliver

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/webhook"
)

// TypeHTTP is the destination type of webhooks that receive a signed
// HTTP POST (Standard Webhooks): the default.
const TypeHTTP = webhook.DestinationHTTP

func init() {
	Register(TypeHTTP, func(cfg Config) (Sender, error) { return New(cfg), nil })
}

// HTTP delivers by signed HTTP POST through the guarded egress client. It
// is safe for concurrent use.
type HTTP struct {
	cfg Config
	ua  string
}

var _ Sender = (*HTTP)(nil)

// New returns the HTTP sender.
func New(cfg Config) *HTTP {
	cfg.defaults()
	return &HTTP{cfg: cfg, ua: "Hookline/" + cfg.Version}
}

// Send makes one HTTP request, records it and judges the answer.
func (d *HTTP) Send(ctx context.Context, t Task) (webhook.Attempt, Verdict) {
	a := d.post(ctx, t)
	return a, Judge(&a, d.cfg.Now())
}

// post makes the request. Every failure is an Attempt with an ErrorClass.
func (d *HTTP) post(ctx context.Context, t Task) webhook.Attempt {
	body, target, method, custom := webhook.Body(t.Webhook.Format, t.Event), t.Webhook.URL, http.MethodPost, t.Webhook.Headers
	contentType := "application/json"
	if t.Shaped != nil {
		body, target, method, custom, contentType = shaped(t.Shaped)
	}
	// The attempt starts on the dispatcher's clock (t.Start); its
	// duration is measured from when the request is made.
	begin := d.cfg.Now()
	a := newAttempt(t, startTime(t, begin))
	start := a.StartedAt
	a.URL, a.RequestBody, a.RequestBodyOf = target, body, bodyOf(t)
	h := make(http.Header, 8+len(custom))
	// Custom headers first, so the protocol headers below always win.
	for k, v := range custom {
		h.Set(k, v)
	}
	h.Set("Content-Type", contentType)
	h.Set("User-Agent", d.ua)
	h.Set("Webhook-Id", t.Event.ID)
	h.Set("Webhook-Timestamp", strconv.FormatInt(start.Unix(), 10))
	h.Set("Webhook-Event", t.Event.Type)
	// A Hookline that this request publishes into counts the hop and
	// refuses the event past its --max-hops: servers that post into each
	// other stop instead of multiplying events.
	h.Set(webhook.HopsHeader, strconv.Itoa(t.Event.Hops+1))
	if t.Signer != nil {
		h.Set("Webhook-Signature", t.Signer.Sign(t.Event.ID, start, body))
	}
	// The attempt keeps secret values masked; the request carries them.
	a.RequestHeaders = webhook.MaskHeaders(h, t.Webhook.SecretHeaders)

	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		a.ErrorClass, a.Error = webhook.ErrClassInternal, "invalid request: "+redactURL(err).Error()
		a.Answer = a.ErrorClass.Answer()
		return a
	}
	req.Header = h.Clone()
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		a.DurationMS = ms(d.cfg.Now().Sub(begin))
		a.ErrorClass, a.Error = Classify(err)
		a.Answer = a.ErrorClass.Answer()
		return a
	}
	a.StatusCode, a.Answer = resp.StatusCode, statusAnswer(resp)
	a.ResponseHeaders = webhook.MaskHeaders(resp.Header, t.Webhook.SecretHeaders)
	// Read one byte past the cap to know whether the body was cut; the rest
	// is never read, so a huge body costs nothing but the closed connection.
	data, err := io.ReadAll(io.LimitReader(resp.Body, d.cfg.MaxResponseBody+1))
	resp.Body.Close()
	a.DurationMS = ms(d.cfg.Now().Sub(begin))
	if int64(len(data)) > d.cfg.MaxResponseBody {
		data, a.ResponseTruncated = data[:d.cfg.MaxResponseBody], true
	}
	a.ResponseBody = data
	if err != nil {
		if class, _ := Classify(err); class == webhook.ErrClassTimeout {
			// The body trickled past the attempt's time budget, which
			// covers the headers and the body: a receiver that answers
			// 200 and then drip-feeds its body holds a worker as long as
			// one that never answers, so it fails the same way (a timeout,
			// which the breaker counts).
			a.Error = "timed out: the response body did not arrive within the attempt timeout after " + a.Answer
			a.ErrorClass, a.Answer = webhook.ErrClassTimeout, webhook.ErrClassTimeout.Answer()
			return a
		}
		// The status line arrived; the body broke off. The status decides.
		a.Error = "reading response body: " + err.Error()
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		// The status decides: a 2xx whose body broke off still counts as
		// delivered, with the note kept in Error.
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		a.ErrorClass = webhook.ErrClassRedirect
		a.Error = "redirects are not followed (" + resp.Status + ", Location: " + resp.Header.Get("Location") + ")"
	default:
		a.ErrorClass = webhook.ErrClassHTTPStatus
		a.Error = "endpoint answered " + resp.Status
	}
	return a
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// maxAnswer bounds the status line an attempt keeps as its answer: the
// reason phrase is free text of the receiver's choosing.
const maxAnswer = 200

// statusAnswer is the answer of an attempt that got a response: its status
// line as sent ("503 Service Unavailable", "200 Done"), or the standard
// one when the receiver sent no reason phrase.
func statusAnswer(resp *http.Response) string {
	s := strings.ToValidUTF8(strings.TrimSpace(resp.Status), "\uFFFD")
	if s == "" || s == strconv.Itoa(resp.StatusCode) {
		return webhook.StatusLine(resp.StatusCode)
	}
	if len(s) > maxAnswer {
		s = strings.ToValidUTF8(s[:maxAnswer], "")
	}
	return s
}

// Judge reads an HTTP attempt as a Verdict. It holds the HTTP rules: 2xx
// is delivered; 410 Gone turns the webhook off; 429 and 503 may ask for a
// wait with Retry-After; anything else is retried on the schedule.
// Timeouts, refused and broken connections, DNS and TLS failures, 5xx and
// 429 say the endpoint is down or overloaded (the breaker counts them); a
// 4xx or a redirect refuses only this request.
func Judge(a *webhook.Attempt, now time.Time) Verdict {
	if a.Success() {
		return Verdict{Kind: Delivered}
	}
	if a.StatusCode == http.StatusGone {
		return Verdict{Kind: Disable, Reason: "endpoint answered 410 Gone"}
	}
	if a.StatusCode == http.StatusLoopDetected {
		// A Hookline (or any server) that saw this request come round in
		// a loop: a retry would come round again.
		return Verdict{Kind: Permanent, Reason: "endpoint answered 508 Loop Detected"}
	}
	v := Verdict{Kind: Retry, Reason: a.Error, Down: down(a)}
	if a.StatusCode == http.StatusTooManyRequests || a.StatusCode == http.StatusServiceUnavailable {
		if wait, ok := RetryAfterHeader(a.ResponseHeaders, now); ok {
			v.Kind, v.After = RetryAfter, wait
		}
	}
	return v
}

// down reports whether an attempt's failure says the endpoint is down or
// overloaded.
func down(a *webhook.Attempt) bool {
	switch a.ErrorClass {
	case webhook.ErrClassTimeout, webhook.ErrClassConnectionRefused, webhook.ErrClassConnection,
		webhook.ErrClassDNS, webhook.ErrClassTLS:
		return true
	case webhook.ErrClassHTTPStatus:
		return a.StatusCode >= 500 || a.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// RetryAfterHeader reads a Retry-After header (seconds or an HTTP date)
// relative to now; ok is false when there is none or it is unreadable.
// The dispatcher bounds the wait (see retry.ClampAfter).
func RetryAfterHeader(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		// Cap before multiplying: a huge number must not overflow.
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now), true
	}
	return 0, false
}
