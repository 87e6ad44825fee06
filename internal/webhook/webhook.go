// Package webhook holds Hookline's domain vocabulary: event types, tenants,
// webhooks, events, deliveries and attempts, and the application error type. It
// depends on the standard library only, so every other package can share it.
package webhook

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultTenant is the tenant of webhooks and events that name none.
const DefaultTenant = "default"

// AllEvents is the subscription wildcard: a webhook whose Events is
// []string{AllEvents} receives every event type of its tenant except
// Hookline's own operational events (OperatorEventPrefix).
const AllEvents = "*"

// OperatorEventPrefix starts the types of Hookline's own operational
// events (package notify). They name every tenant's webhooks and errors,
// so they go to the operator only: they are published to the default
// tenant, only the operator's webhooks may subscribe to them, and only by
// naming them ("*" does not include them).
const OperatorEventPrefix = "hookline."

// IsOperatorEvent reports whether slug is one of Hookline's operational
// event types.
func IsOperatorEvent(slug string) bool { return strings.HasPrefix(slug, OperatorEventPrefix) }

// Wildcard is the subscription that, besides slug itself, matches events
// of type slug: AllEvents, or slug again for an operational event, which
// only an explicit subscription matches.
func Wildcard(slug string) string {
	if IsOperatorEvent(slug) {
		return slug
	}
	return AllEvents
}

// EventType is one entry of the event catalog.
type EventType struct {
	Slug        string          `json:"slug"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Example     json.RawMessage `json:"example"`
	// Schema is an optional JSON Schema that published events' data must
	// satisfy; nil when the type has none.
	Schema json.RawMessage `json:"schema,omitempty"`
	Custom bool            `json:"custom"`
	// Deprecated types still deliver to their subscribers but are no
	// longer offered when choosing events.
	Deprecated bool      `json:"deprecated"`
	CreatedAt  time.Time `json:"created_at"`
}

// Format selects the body a webhook receives.
type Format string

// Payload formats.
const (
	// FormatEnvelope sends {"id","type","timestamp","data"}.
	FormatEnvelope Format = "envelope"
	// FormatRaw sends the event's data object alone (WP Ultimo compatible).
	FormatRaw Format = "raw"
)

// Valid reports whether f is a known format.
func (f Format) Valid() bool { return f == FormatEnvelope || f == FormatRaw }

// Webhook is an endpoint that receives the events it subscribes to.
type Webhook struct {
	ID          string   `json:"id"`
	Tenant      string   `json:"tenant"`
	Name        string   `json:"name"`
	URL         string   `json:"url"`
	Description string   `json:"description"`
	Events      []string `json:"events"`
	// Filter is the payload filter (package filter) an event of a
	// subscribed type must also pass to be delivered; nil for none.
	Filter json.RawMessage `json:"filter"`
	// Transform is JavaScript defining handler(webhook), which may reshape
	// each request or cancel it (package transform); empty for none.
	Transform string            `json:"transform"`
	Active    bool              `json:"active"`
	Headers   map[string]string `json:"headers"`
	// SecretHeaders names the custom headers whose values attempts store
	// masked (see SecretHeader); the real values are still sent.
	SecretHeaders []string `json:"secret_headers"`
	Format        Format   `json:"format"`
	Integration   string   `json:"integration"`
	// Signature is how deliveries are signed: SignatureHMAC (v1, the
	// default) or SignatureEd25519 (v1a: receivers verify with a public key,
	// which cannot sign).
	Signature string `json:"signature"`
	// Destination says where deliveries go; the zero value is HTTP POST
	// to URL.
	Destination Destination `json:"destination"`
	// Ordering is OrderingNone (deliveries in parallel, the default) or
	// OrderingFIFO: deliveries with the same ordering key leave one at a
	// time, in the order their events committed.
	Ordering string `json:"ordering"`
	// OrderingKey is the dotted path (in the event envelope, e.g.
	// data.customer_id) whose value splits a FIFO webhook's deliveries
	// into independent sequences; empty means one sequence.
	OrderingKey string `json:"ordering_key"`
	// RateLimit caps the requests the webhook receives; nil for none.
	RateLimit *RateLimit `json:"rate_limit"`
	// DisabledReason says why Hookline turned the webhook off (410 Gone,
	// failing too long); empty when a user did it or it is active.
	DisabledReason string       `json:"disabled_reason,omitempty"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
	Stats          WebhookStats `json:"stats"`
}

// Ordering modes of a webhook's deliveries.
const (
	OrderingNone = "none"
	OrderingFIFO = "fifo"
)

// RateLimit caps the requests sent to a webhook: at most PerSecond in
// any second, or PerMinute in any minute (exactly one is set). It is a
// sliding window: any interval of that length holds at most that many
// request starts.
type RateLimit struct {
	PerSecond int `json:"per_second,omitempty"`
	PerMinute int `json:"per_minute,omitempty"`
}

// Window returns how many requests the limit allows per period; 0 when
// r is nil or sets neither.
func (r *RateLimit) Window() (n int, period time.Duration) {
	switch {
	case r == nil:
		return 0, 0
	case r.PerSecond > 0:
		return r.PerSecond, time.Second
	case r.PerMinute > 0:
		return r.PerMinute, time.Minute
	}
	return 0, 0
}

// String is the limit as the CLI writes it: "50/s", "600/min"; "" for none.
func (r *RateLimit) String() string {
	n, per := r.Window()
	switch {
	case n == 0:
		return ""
	case per == time.Second:
		return strconv.Itoa(n) + "/s"
	}
	return strconv.Itoa(n) + "/min"
}

// Signature schemes of webhooks (Standard Webhooks v1 and v1a).
const (
	SignatureHMAC    = "hmac-sha256"
	SignatureEd25519 = "ed25519"
)

// DestinationHTTP is the destination type of webhooks that receive a
// signed HTTP POST at their URL: the default.
const DestinationHTTP = "http"

// Destination is the kind of target a webhook delivers to. Type names a
// sender registered with package deliver ("http"; "" means "http"); the
// other fields configure the broker types, each using the ones its sender
// documents (package deliver's per-type files), and are empty for HTTP.
//
// URL may hold credentials (amqp://user:password@host/vhost): stores keep
// it sealed, and its JSON form (what the API, dashboard and audit show)
// has the password masked as DestinationMask. Sending the masked URL back
// keeps the stored password (see KeepPassword).
type Destination struct {
	Type string `json:"type"`
	// URL is the broker's address: amqp(s)://, nats://, redis(s)://,
	// mqtt:// (tcp://) or mqtts://.
	URL string `json:"url,omitempty"`
	// Exchange and RoutingKey say where a RabbitMQ message is published
	// ("" is the default exchange, which routes by queue name).
	Exchange   string `json:"exchange,omitempty"`
	RoutingKey string `json:"routing_key,omitempty"`
	// Subject is the NATS JetStream subject; a stream must capture it.
	Subject string `json:"subject,omitempty"`
	// Stream and MaxLen are the Redis stream key and its approximate
	// length cap (XADD MAXLEN ~); 0 means no cap.
	Stream string `json:"stream,omitempty"`
	MaxLen int64  `json:"maxlen,omitempty"`
	// Topic is the MQTT or Kafka topic; QoS is MQTT's quality of
	// service (1).
	Topic string `json:"topic,omitempty"`
	QoS   int    `json:"qos,omitempty"`
	// Brokers are a Kafka cluster's bootstrap brokers (host:port); KeyPath
	// is the dotted path in the published body whose value is each
	// record's key (the event id when empty or not found).
	Brokers []string `json:"brokers,omitempty"`
	KeyPath string   `json:"key_path,omitempty"`
	// TLS connects to the Kafka brokers over TLS (the system's roots).
	TLS bool `json:"tls,omitempty"`
	// SASLMechanism ("plain", "scram-sha-256", "scram-sha-512"), Username
	// and Password authenticate to Kafka. Password is sealed at rest like
	// the URL and masked as DestinationMask in JSON; sending the mask (or
	// nothing) back for the same user keeps it (see KeepSecret).
	SASLMechanism string `json:"sasl_mechanism,omitempty"`
	Username      string `json:"username,omitempty"`
	Password      string `json:"password,omitempty"`
}

// Equal reports whether d and o are the same destination.
func (d Destination) Equal(o Destination) bool {
	return d.Type == o.Type && d.URL == o.URL && d.Exchange == o.Exchange && d.RoutingKey == o.RoutingKey &&
		d.Subject == o.Subject && d.Stream == o.Stream && d.MaxLen == o.MaxLen && d.Topic == o.Topic &&
		d.QoS == o.QoS && slices.Equal(d.Brokers, o.Brokers) && d.KeyPath == o.KeyPath && d.TLS == o.TLS &&
		d.SASLMechanism == o.SASLMechanism && d.Username == o.Username && d.Password == o.Password
}

// DestinationMask stands for a destination URL's password wherever the
// destination is shown.
const DestinationMask = "xxxxx" // as url.URL.Redacted writes it

// MarshalJSON writes d with the password of its URL masked: every JSON
// answer, page and audit record shows the destination this way. Stores
// write the real URL themselves, sealed.
func (d Destination) MarshalJSON() ([]byte, error) {
	type plain Destination
	p := plain(d)
	p.URL = MaskURLPassword(d.URL)
	if p.Password != "" {
		p.Password = DestinationMask
	}
	return json.Marshal(p)
}

// KeepSecret returns d with prev's password when d's is DestinationMask
// or empty while it still authenticates as prev's user (same mechanism
// and username): a form or client that sends a shown destination back
// unchanged, or leaves the write-only password out, keeps the secret.
func KeepSecret(d, prev Destination) Destination {
	if d.Password != "" && d.Password != DestinationMask {
		return d
	}
	if d.SASLMechanism != "" && d.SASLMechanism == prev.SASLMechanism && d.Username == prev.Username {
		d.Password = prev.Password
	} else if d.Password == DestinationMask {
		d.Password = "" // a mask with nothing to keep: the check asks for one
	}
	return d
}

// MaskURLPassword replaces the password of raw, if any, with
// DestinationMask. A URL that does not parse is returned as its scheme
// alone, since its credentials cannot be found in it.
func MaskURLPassword(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.Index(raw, "://"); i > 0 {
			return raw[:i+3] + DestinationMask
		}
		return DestinationMask
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), DestinationMask)
	}
	return u.String()
}

// KeepPassword returns next with the password of prev when next carries
// DestinationMask as its password and otherwise names the same user and
// host as prev: a form or client that sends a shown destination back
// unchanged keeps its secret.
func KeepPassword(next, prev string) string {
	n, err := url.Parse(next)
	if err != nil || n.User == nil {
		return next
	}
	if pw, _ := n.User.Password(); pw != DestinationMask {
		return next
	}
	p, err := url.Parse(prev)
	if err != nil || p.User == nil || p.Host != n.Host || p.User.Username() != n.User.Username() {
		return next
	}
	if pw, ok := p.User.Password(); ok {
		n.User = url.UserPassword(n.User.Username(), pw)
	}
	return n.String()
}

// Subscribes reports whether the webhook wants events of type slug.
func (w *Webhook) Subscribes(slug string) bool {
	for _, e := range w.Events {
		if e == slug || e == Wildcard(slug) {
			return true
		}
	}
	return false
}

// WebhookStats are a webhook's delivery counters.
type WebhookStats struct {
	// Deliveries counts deliveries created for the webhook (tests excluded).
	Deliveries int64 `json:"deliveries"`
	// Attempts counts every HTTP request made, retries included.
	Attempts  int64 `json:"attempts"`
	Succeeded int64 `json:"succeeded"`
	// Failed counts deliveries that exhausted their retries or were cancelled.
	Failed        int64      `json:"failed"`
	LastSuccessAt *time.Time `json:"last_success_at"`
	LastFailureAt *time.Time `json:"last_failure_at"`
	// FailingSince is the time of the first failed attempt after the last
	// success; it drives auto-disable.
	FailingSince *time.Time `json:"failing_since"`
	// Throttled counts attempts that waited for the webhook's rate limit
	// before they started.
	Throttled int64 `json:"throttled"`
}

// Secret is a webhook signing secret ("whsec_" + base64). A webhook has one
// current secret and, during a rotation overlap, the previous one.
type Secret struct {
	Value string `json:"secret"`
	// ExpiresAt is nil for the current secret and the end of the overlap
	// for a previous one.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Event is one published occurrence of an event type.
type Event struct {
	ID             string          `json:"id"`
	Tenant         string          `json:"tenant"`
	Type           string          `json:"type"`
	Data           json.RawMessage `json:"data"`
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	CreatedAt      time.Time       `json:"timestamp"`
	// TraceParent is the W3C traceparent of the span that published the
	// event, when tracing is on: attempts, however late, join its trace.
	TraceParent string `json:"-"`
	// Hops counts the Hookline deliveries that led to this event: 0 when
	// a producer published it, n when a Hookline delivery carrying
	// "Hookline-Hops: n" did. Deliveries of the event carry n+1, so
	// Hookline servers that post into each other stop a loop (see
	// MaxHops).
	Hops int `json:"-"`
}

// HopsHeader is the request header by which Hookline marks its deliveries
// with the event's Hops plus one, and reads an incoming publish's Hops.
const HopsHeader = "Hookline-Hops"

// MaxHopsLimit bounds the --max-hops setting and the HopsHeader values
// read.
const MaxHopsLimit = 100

// DeliveryStatus is the state of a delivery.
type DeliveryStatus string

// Delivery states. Pending deliveries are waiting for an attempt (now or at
// NextAttemptAt); the others are final.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed"
)

// Valid reports whether s is a known status.
func (s DeliveryStatus) Valid() bool {
	return s == DeliveryPending || s == DeliverySucceeded || s == DeliveryFailed
}

// Delivery is one event going to one webhook.
type Delivery struct {
	ID             string         `json:"id"`
	Tenant         string         `json:"tenant"`
	EventID        string         `json:"event_id"`
	EventType      string         `json:"event_type"`
	WebhookID      string         `json:"webhook_id"`
	Status         DeliveryStatus `json:"status"`
	Attempts       int            `json:"attempts"`
	NextAttemptAt  *time.Time     `json:"next_attempt_at"`
	LastStatusCode int            `json:"last_status_code,omitempty"`
	LastError      string         `json:"last_error,omitempty"`
	// Sequence is the delivery's place in its FIFO webhook's order (the
	// order its event committed in); 0 for a webhook without ordering.
	Sequence int64 `json:"sequence,omitempty"`
	// OrderingKey is the value of the webhook's ordering key in the
	// event: deliveries with the same key leave in Sequence order.
	OrderingKey string `json:"ordering_key,omitempty"`
	// BlockedBy names the delivery at the head of this one's ordering key
	// while this one waits behind it (pending FIFO deliveries only).
	BlockedBy string `json:"blocked_by,omitempty"`
	// RetryBase is the number of attempts made before the delivery was
	// last recovered (store.DeliveryStore.DeliveryRecover): the retry
	// schedule counts its attempts from there, so a recovered delivery
	// has the whole schedule again while its attempt numbers go on.
	RetryBase int       `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ErrorClass names why an attempt failed, for filtering and metrics.
type ErrorClass string

// Attempt error classes.
const (
	ErrClassNone              ErrorClass = ""
	ErrClassTimeout           ErrorClass = "timeout"
	ErrClassConnectionRefused ErrorClass = "connection_refused"
	ErrClassConnection        ErrorClass = "connection"
	ErrClassDNS               ErrorClass = "dns"
	ErrClassTLS               ErrorClass = "tls"
	ErrClassHTTPStatus        ErrorClass = "http_status"
	ErrClassRedirect          ErrorClass = "redirect"
	ErrClassBlocked           ErrorClass = "blocked"
	ErrClassResponseTooLarge  ErrorClass = "response_too_large"
	ErrClassInternal          ErrorClass = "internal"
	// ErrClassAuth: a broker refused the destination's credentials.
	ErrClassAuth ErrorClass = "auth"
	// ErrClassBroker: a broker refused the message (a negative
	// acknowledgement, an unknown exchange or stream, a full queue).
	ErrClassBroker ErrorClass = "broker"
	// ErrClassCancelled marks a delivery ended without a request because
	// its webhook was disabled or deleted.
	ErrClassCancelled ErrorClass = "cancelled"
	// ErrClassTransform: the webhook's transform failed (an exception,
	// its time or memory limit, a result that cannot be sent); no
	// request was made.
	ErrClassTransform ErrorClass = "transform"
)

// Answer is the Attempt.Answer of an HTTP attempt that got no response
// and failed with class c: a few words on what went wrong ("timed out").
// The full message stays in Attempt.Error.
func (c ErrorClass) Answer() string {
	switch c {
	case ErrClassTimeout:
		return "timed out"
	case ErrClassConnectionRefused:
		return "connection refused"
	case ErrClassConnection:
		return "connection failed"
	case ErrClassDNS:
		return "DNS lookup failed"
	case ErrClassTLS:
		return "TLS handshake failed"
	case ErrClassBlocked:
		return "destination not allowed"
	case ErrClassResponseTooLarge:
		return "response too large"
	case ErrClassInternal, ErrClassCancelled:
		return "not sent"
	case ErrClassAuth:
		return "credentials refused"
	case ErrClassBroker:
		return "refused by the broker"
	case ErrClassTransform:
		return "transform failed"
	}
	return ""
}

// StatusLine is the Answer of an HTTP attempt whose response had status
// code (and no reason phrase of its own): "503 Service Unavailable".
func StatusLine(code int) string {
	return strings.TrimSpace(strconv.Itoa(code) + " " + http.StatusText(code))
}

// AttemptOutcome is what a delivery did after an attempt.
type AttemptOutcome string

// Attempt outcomes. A test send is delivered or failed.
const (
	// OutcomeDelivered: the destination took the event; the delivery is done.
	OutcomeDelivered AttemptOutcome = "delivered"
	// OutcomeRetry: another attempt is scheduled.
	OutcomeRetry AttemptOutcome = "retry"
	// OutcomeFailed: no more attempts; the delivery failed.
	OutcomeFailed AttemptOutcome = "failed"
	// OutcomeDisabled: the destination's answer (410 Gone) turned the
	// webhook off, and the delivery failed with it.
	OutcomeDisabled AttemptOutcome = "disabled"
	// OutcomeSkipped: the webhook's transform cancelled the delivery;
	// nothing was sent and the delivery is done (it counts as succeeded,
	// not failed).
	OutcomeSkipped AttemptOutcome = "skipped"
)

// Attempt is one try at sending a delivery (or a test send) to its
// destination and what came back. The HTTP fields (URL, headers, bodies,
// status code) are zero for other destination types.
type Attempt struct {
	ID         string `json:"id"`
	DeliveryID string `json:"delivery_id,omitempty"`
	WebhookID  string `json:"webhook_id"`
	EventID    string `json:"event_id"`
	EventType  string `json:"event_type"`
	Number     int    `json:"number"`
	Test       bool   `json:"test"`
	// Destination is the webhook's destination type when the attempt was
	// made ("http").
	Destination string `json:"destination"`
	// Outcome is what the delivery did after this attempt; empty for
	// attempts stored by releases that did not record it (see
	// store.FillOlderAttempt).
	Outcome AttemptOutcome `json:"outcome"`
	// Answer is a short text of what the destination said: an HTTP status
	// line ("200 OK"), or what kept it from answering ("timed out").
	Answer         string      `json:"answer"`
	StartedAt      time.Time   `json:"started_at"`
	DurationMS     float64     `json:"duration_ms"`
	URL            string      `json:"url"`
	RequestHeaders http.Header `json:"request_headers"`
	RequestBody    []byte      `json:"-"`
	// RequestBodyOf, when set, says that RequestBody is Body(RequestBodyOf,
	// the attempt's event), so a store may keep a reference to the event
	// rather than a copy of the body (one per webhook and attempt); it
	// gives the body back when the attempt is read.
	RequestBodyOf   Format      `json:"-"`
	StatusCode      int         `json:"status_code"`
	ResponseHeaders http.Header `json:"response_headers"`
	ResponseBody    []byte      `json:"-"`
	// ResponseTruncated is set when the stored body was cut at the cap.
	ResponseTruncated bool       `json:"response_truncated"`
	ErrorClass        ErrorClass `json:"error_class,omitempty"`
	Error             string     `json:"error,omitempty"`
}

// Success reports whether the attempt counts as delivered: a 2xx answer,
// or for a broker destination its acknowledgement (no error class).
func (a *Attempt) Success() bool {
	if a.ErrorClass != ErrClassNone {
		return false
	}
	if a.Outcome == OutcomeSkipped {
		return true
	}
	if a.Destination != "" && a.Destination != DestinationHTTP {
		// A broker has no status code: no error class means it took the
		// message (acknowledged it).
		return true
	}
	return a.StatusCode >= 200 && a.StatusCode < 300
}
