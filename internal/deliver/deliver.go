// Package deliver makes one delivery attempt: it builds the body, signs it
// (Standard Webhooks), POSTs it through the guarded egress client and
// classifies what happened. It decides nothing about retries; the
// dispatcher does, from the Attempt it returns.
package deliver

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/hookline/hookline/internal/egress"
	"github.com/hookline/hookline/internal/signing"
	"github.com/hookline/hookline/internal/webhook"
)

// Config configures a Deliverer.
type Config struct {
	// Client is the egress client; it must not follow redirects.
	Client *http.Client
	// Version goes into the User-Agent header.
	Version string
	// Timeout bounds one attempt from dial to the last body byte read.
	Timeout time.Duration
	// MaxResponseBody is how many response body bytes are kept.
	MaxResponseBody int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Deliverer makes attempts. It is safe for concurrent use.
type Deliverer struct {
	cfg Config
	ua  string
}

// New returns a Deliverer.
func New(cfg Config) *Deliverer {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.MaxResponseBody <= 0 {
		cfg.MaxResponseBody = 64 << 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Deliverer{cfg: cfg, ua: "Hookline/" + cfg.Version}
}

// Request is what one attempt sends.
type Request struct {
	Webhook    webhook.Webhook
	Signer     *signing.Signer
	Event      webhook.Event
	DeliveryID string
	Number     int
	Test       bool
}

// Body returns the bytes a webhook receives for an event: the envelope
// {"id","type","timestamp","data"} or, for raw webhooks, data alone. The
// data bytes are sent exactly as they were accepted.
func Body(format webhook.Format, ev webhook.Event) []byte {
	if format == webhook.FormatRaw {
		return ev.Data
	}
	b := make([]byte, 0, len(ev.Data)+len(ev.ID)+len(ev.Type)+80)
	b = append(b, `{"id":`...)
	b = appendString(b, ev.ID)
	b = append(b, `,"type":`...)
	b = appendString(b, ev.Type)
	b = append(b, `,"timestamp":"`...)
	b = ev.CreatedAt.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","data":`...)
	b = append(b, ev.Data...)
	return append(b, '}')
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// Attempt makes one HTTP request and reports it. It never returns an error:
// every failure is an Attempt with an ErrorClass.
func (d *Deliverer) Attempt(ctx context.Context, r Request) webhook.Attempt {
	body := Body(r.Webhook.Format, r.Event)
	start := d.cfg.Now()
	a := webhook.Attempt{
		ID:          webhook.NewID(webhook.PrefixAttempt),
		DeliveryID:  r.DeliveryID,
		WebhookID:   r.Webhook.ID,
		EventID:     r.Event.ID,
		EventType:   r.Event.Type,
		Number:      r.Number,
		Test:        r.Test,
		StartedAt:   start,
		URL:         r.Webhook.URL,
		RequestBody: body,
	}
	h := make(http.Header, 8+len(r.Webhook.Headers))
	// Custom headers first, so the protocol headers below always win.
	for k, v := range r.Webhook.Headers {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", d.ua)
	h.Set("Webhook-Id", r.Event.ID)
	h.Set("Webhook-Timestamp", strconv.FormatInt(start.Unix(), 10))
	h.Set("Webhook-Event", r.Event.Type)
	if r.Signer != nil {
		h.Set("Webhook-Signature", r.Signer.Sign(r.Event.ID, start, body))
	}
	a.RequestHeaders = h

	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		a.ErrorClass, a.Error = webhook.ErrClassInternal, "invalid request: "+err.Error()
		return a
	}
	req.Header = h.Clone()
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		a.DurationMS = ms(d.cfg.Now().Sub(start))
		a.ErrorClass, a.Error = Classify(err)
		return a
	}
	a.StatusCode = resp.StatusCode
	a.ResponseHeaders = resp.Header
	// Read one byte past the cap to know whether the body was cut; the rest
	// is never read, so a huge body costs nothing but the closed connection.
	data, err := io.ReadAll(io.LimitReader(resp.Body, d.cfg.MaxResponseBody+1))
	resp.Body.Close()
	a.DurationMS = ms(d.cfg.Now().Sub(start))
	if int64(len(data)) > d.cfg.MaxResponseBody {
		data, a.ResponseTruncated = data[:d.cfg.MaxResponseBody], true
	}
	a.ResponseBody = data
	if err != nil {
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

// blockedMessage is the one message for every refused destination, so that
// attempts cannot be used to map the internal network.
const blockedMessage = "destination not allowed"

// Classify names the class of a transport error and a message safe to
// store and show.
func Classify(err error) (webhook.ErrorClass, string) {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	var alert tls.AlertError
	var netErr net.Error
	switch {
	case errors.Is(err, egress.ErrBlocked):
		return webhook.ErrClassBlocked, blockedMessage
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return webhook.ErrClassTimeout, "timed out: " + err.Error()
	case errors.As(err, &dnsErr):
		return webhook.ErrClassDNS, "DNS lookup failed: " + dnsErr.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return webhook.ErrClassConnectionRefused, "connection refused"
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr),
		errors.As(err, &recErr), errors.As(err, &alert):
		return webhook.ErrClassTLS, "TLS error: " + err.Error()
	case errors.Is(err, context.Canceled):
		return webhook.ErrClassInternal, "attempt cancelled (shutting down)"
	}
	return webhook.ErrClassConnection, "connection error: " + err.Error()
}
