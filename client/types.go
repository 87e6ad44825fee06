package client

import (
	"encoding/json"
	"net/http"
	"time"
)

// Page is one page of a list answer. NextCursor, passed as the Cursor
// parameter of the same call, fetches the next page; it is empty on the
// last page.
type Page[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// AllEvents is the subscription wildcard: a webhook whose Events is
// []string{AllEvents} receives every event type of its tenant.
const AllEvents = "*"

// Webhook payload formats.
const (
	// FormatEnvelope sends {"id","type","timestamp","data"} (the default).
	FormatEnvelope = "envelope"
	// FormatRaw sends the event's data object alone.
	FormatRaw = "raw"
)

// Delivery states.
const (
	// DeliveryPending waits for an attempt, now or at NextAttemptAt.
	DeliveryPending = "pending"
	// DeliverySucceeded got a 2xx answer.
	DeliverySucceeded = "succeeded"
	// DeliveryFailed exhausted its retries or was cancelled.
	DeliveryFailed = "failed"
)

// Scopes of API keys.
const (
	// ScopeOwner allows every route, managing dashboard users included.
	ScopeOwner = "owner"
	// ScopeAdmin allows every route but managing dashboard users.
	ScopeAdmin = "admin"
	// ScopePublish allows only EventPublish (and Me).
	ScopePublish = "publish"
	// ScopeRead allows every read (GET) except a webhook's signing
	// secret.
	ScopeRead = "read"
)

// EventType is an entry of the event catalog.
type EventType struct {
	// Slug names the type in events and subscriptions, e.g.
	// "payment_received".
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Example is example data; test sends deliver it.
	Example json.RawMessage `json:"example"`
	// Schema is the JSON Schema published data must satisfy; nil when the
	// type has none.
	Schema json.RawMessage `json:"schema,omitempty"`
	// Custom is false for the built-in catalog and true for registered
	// types.
	Custom bool `json:"custom"`
	// Deprecated types still deliver to their subscribers but are no
	// longer offered when choosing events.
	Deprecated bool      `json:"deprecated"`
	CreatedAt  time.Time `json:"created_at"`
}

// EventTypeCreateParams registers a custom event type.
type EventTypeCreateParams struct {
	// Slug: lower-case letters, digits, "_", "." and "-", starting with a
	// letter or digit; at most 100 characters. Required.
	Slug string `json:"slug"`
	// Name: 1 to 200 characters. Required.
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Example is example data (a JSON object); {} when absent.
	Example json.RawMessage `json:"example,omitempty"`
	// Schema is an optional JSON Schema for the data of published events.
	// The server answers 422 when it does not compile or Example does not
	// satisfy it.
	Schema json.RawMessage `json:"schema,omitempty"`
}

// WebhookStats are a webhook's delivery counters (test sends excluded).
type WebhookStats struct {
	// Deliveries counts deliveries created.
	Deliveries int64 `json:"deliveries"`
	// Attempts counts HTTP requests made, retries included.
	Attempts  int64 `json:"attempts"`
	Succeeded int64 `json:"succeeded"`
	// Failed counts deliveries that exhausted their retries or were
	// cancelled.
	Failed        int64      `json:"failed"`
	LastSuccessAt *time.Time `json:"last_success_at"`
	LastFailureAt *time.Time `json:"last_failure_at"`
	// FailingSince is the first failed attempt after the last success; it
	// drives auto-disable.
	FailingSince *time.Time `json:"failing_since"`
	// Throttled counts attempts that waited for the webhook's rate limit
	// before they started.
	Throttled int64 `json:"throttled"`
}

// RateLimit caps the requests a webhook receives: at most PerSecond in
// any second or PerMinute in any minute (a sliding window; set one).
type RateLimit struct {
	PerSecond int `json:"per_second,omitempty"`
	PerMinute int `json:"per_minute,omitempty"`
}

// NoRateLimit, as WebhookUpdateParams.RateLimit, removes a webhook's rate
// limit.
var NoRateLimit = &RateLimit{}

// Webhook is an endpoint receiving the events it subscribes to.
type Webhook struct {
	ID     string `json:"id"`
	Tenant string `json:"tenant"`
	Name   string `json:"name"`
	URL    string `json:"url"`
	// Description is free text for people.
	Description string `json:"description"`
	// Events are the subscribed slugs, or []string{AllEvents}.
	Events []string `json:"events"`
	// Filter is the payload filter events must also match; nil for none.
	Filter json.RawMessage `json:"filter"`
	// Transform is the JavaScript that reshapes each request (see
	// WebhookTransformTest); empty for none.
	Transform string `json:"transform"`
	Active    bool   `json:"active"`
	// Headers are added to every request sent to the webhook.
	Headers map[string]string `json:"headers"`
	// SecretHeaders names the custom headers whose values attempts show
	// masked ("********"); the real values are sent.
	SecretHeaders []string `json:"secret_headers"`
	// Format is FormatEnvelope or FormatRaw.
	Format string `json:"format"`
	// Integration records who created the webhook: "manual", "zapier", …
	Integration string `json:"integration"`
	// Destination says how deliveries are sent: DestinationHTTP (to URL)
	// or a broker type with its fields, the URL's password masked.
	Destination Destination `json:"destination"`
	// Signature is how deliveries are signed: SignatureHMAC (Standard
	// Webhooks v1) or SignatureEd25519 (v1a).
	Signature string `json:"signature"`
	// Ordering is OrderingNone (in parallel) or OrderingFIFO: deliveries
	// with the same ordering key leave one at a time, in the order their
	// events committed.
	Ordering string `json:"ordering"`
	// OrderingKey is the path of the ordering key in the event envelope
	// (data.customer_id); empty for one sequence.
	OrderingKey string `json:"ordering_key"`
	// RateLimit caps the requests sent to the webhook; nil for none.
	RateLimit *RateLimit `json:"rate_limit"`
	// DisabledReason says why Hookline turned the webhook off (410 Gone,
	// failing too long); empty otherwise.
	DisabledReason string       `json:"disabled_reason,omitempty"`
	CreatedAt      time.Time    `json:"created_at"`
	UpdatedAt      time.Time    `json:"updated_at"`
	Stats          WebhookStats `json:"stats"`
}

// CreatedWebhook is a new webhook with its signing secret.
type CreatedWebhook struct {
	Webhook
	// Secret is the Standard Webhooks signing secret ("whsec_…") receivers
	// verify requests with, or for an ed25519 webhook its public key
	// ("whpk_…"). WebhookSecret shows it again later.
	Secret string `json:"secret"`
}

// WebhookCreateParams creates a webhook.
type WebhookCreateParams struct {
	// Tenant: only events of the same tenant reach the webhook; empty
	// means "default".
	Tenant string `json:"tenant,omitempty"`
	// Name: 2 to 200 characters. Required.
	Name string `json:"name"`
	// URL: an absolute http or https URL. Required for HTTP; a broker
	// destination (Destination) takes its URL instead. Private and
	// reserved addresses are refused unless the server allows them.
	URL         string `json:"url,omitempty"`
	Description string `json:"description,omitempty"`
	// Events: slugs from the catalog, or []string{AllEvents}. Required.
	Events []string `json:"events"`
	// Filter, when set, is a payload filter events must also match, e.g.
	// map[string]any{"data.amount": map[string]any{"$gte": 100}}; try one
	// with WebhookFilterTest.
	Filter any `json:"filter,omitempty"`
	// Transform, when set, is JavaScript defining handler(webhook), run
	// on each request before it is sent; try one with
	// WebhookTransformTest.
	Transform string `json:"transform,omitempty"`
	// Active defaults to true when nil.
	Active *bool `json:"active,omitempty"`
	// Headers are added to every request (at most 20; reserved headers
	// and webhook-* are refused).
	Headers map[string]string `json:"headers,omitempty"`
	// SecretHeaders names headers of Headers whose values attempts store
	// masked. Authorization, Cookie and headers named like credentials
	// (token, secret, password, api-key…) are masked anyway.
	SecretHeaders []string `json:"secret_headers,omitempty"`
	// Destination, when set, says how deliveries are sent; the default is
	// DestinationHTTP.
	Destination *Destination `json:"destination,omitempty"`
	// Format is FormatEnvelope (default when empty) or FormatRaw.
	Format string `json:"format,omitempty"`
	// Integration records who creates the webhook; default "manual".
	Integration string `json:"integration,omitempty"`
	// Signature is SignatureHMAC (default when empty) or SignatureEd25519:
	// then Secret of the answer is the public key (whpk_…) receivers
	// verify with, and the private key never leaves the server.
	Signature string `json:"signature,omitempty"`
	// RateLimit, when set, caps the requests sent to the webhook, e.g.
	// &client.RateLimit{PerSecond: 50}; deliveries wait for it without
	// spending retries.
	RateLimit *RateLimit `json:"rate_limit,omitempty"`
	// Ordering is OrderingNone (default when empty) or OrderingFIFO.
	Ordering string `json:"ordering,omitempty"`
	// OrderingKey, with OrderingFIFO, is a path such as
	// "data.customer_id": each key's deliveries are one sequence, other
	// keys go in parallel. Empty: one sequence.
	OrderingKey string `json:"ordering_key,omitempty"`
}

// WebhookUpdateParams changes a webhook: nil fields keep their value
// (PATCH semantics). Use Ptr for the pointer fields:
//
//	client.WebhookUpdateParams{Name: client.Ptr("billing"), Active: client.Ptr(false)}
type WebhookUpdateParams struct {
	// Tenant is accepted only when it equals the stored tenant.
	Tenant      *string `json:"tenant,omitempty"`
	Name        *string `json:"name,omitempty"`
	URL         *string `json:"url,omitempty"`
	Description *string `json:"description,omitempty"`
	// Events replaces the subscription when non-nil.
	Events []string `json:"events,omitzero"`
	// Filter replaces the payload filter when non-nil; NoFilter removes it.
	Filter any `json:"filter,omitempty"`
	// Transform replaces the transform when non-nil; a pointer to ""
	// removes it.
	Transform *string `json:"transform,omitempty"`
	Active    *bool   `json:"active,omitempty"`
	// Headers replaces the whole header map when non-nil; an empty
	// non-nil map removes every custom header.
	Headers     map[string]string `json:"headers,omitzero"`
	Format      *string           `json:"format,omitempty"`
	Integration *string           `json:"integration,omitempty"`
	// SecretHeaders replaces the list of secret headers when non-nil; an
	// empty non-nil slice clears it. When only Headers changes, names no
	// longer among the headers are dropped.
	SecretHeaders []string `json:"secret_headers,omitzero"`
	// Destination changes how deliveries are sent when non-nil.
	Destination *Destination `json:"destination,omitempty"`
	// Signature changes the signature scheme when non-nil; the webhook gets
	// a new key of the new scheme, and the previous one keeps signing for
	// the rotation overlap.
	Signature *string `json:"signature,omitempty"`
	// RateLimit replaces the rate limit when non-nil; NoRateLimit removes
	// it.
	RateLimit *RateLimit `json:"rate_limit,omitempty"`
	// Ordering changes the ordering when non-nil; switching to
	// OrderingNone lets waiting deliveries go in parallel (and drops the
	// ordering key unless OrderingKey is given).
	Ordering *string `json:"ordering,omitempty"`
	// OrderingKey changes the ordering key path when non-nil.
	OrderingKey *string `json:"ordering_key,omitempty"`
}

// Orderings of a webhook's deliveries.
const (
	OrderingNone = "none"
	OrderingFIFO = "fifo"
)

// Signature schemes of webhooks.
const (
	SignatureHMAC    = "hmac-sha256"
	SignatureEd25519 = "ed25519"
)

// NoFilter, as WebhookUpdateParams.Filter, removes a webhook's filter.
var NoFilter = json.RawMessage("null")

// Destination types. DestinationHTTP (the default) POSTs to the webhook's
// URL; the others publish to a message broker (see the README's
// Destinations section for what each message carries).
const (
	DestinationHTTP     = "http"
	DestinationRabbitMQ = "rabbitmq"
	DestinationNATS     = "nats"
	DestinationRedis    = "redis"
	DestinationMQTT     = "mqtt"
	DestinationKafka    = "kafka"
)

// Kafka SASL mechanisms (Destination.SASLMechanism).
const (
	SASLPlain       = "plain"
	SASLScramSHA256 = "scram-sha-256"
	SASLScramSHA512 = "scram-sha-512"
)

// Destination says how a webhook's deliveries are sent. Broker types use
// URL and their own fields: rabbitmq Exchange and RoutingKey, nats
// Subject, redis Stream and MaxLen, mqtt Topic and QoS. The server shows
// URL with its password masked as "xxxxx"; sending it back unchanged keeps
// the stored password. Kafka has no URL: Brokers (host:port), Topic,
// KeyPath (the dotted path in the body whose value keys each record; the
// event id when empty or absent), TLS and optional SASL credentials,
// whose Password is shown as "xxxxx" and kept when sent back so or
// empty for the same mechanism and username.
type Destination struct {
	Type       string `json:"type"`
	URL        string `json:"url,omitempty"`
	Exchange   string `json:"exchange,omitempty"`
	RoutingKey string `json:"routing_key,omitempty"`
	Subject    string `json:"subject,omitempty"`
	Stream     string `json:"stream,omitempty"`
	MaxLen     int64  `json:"maxlen,omitempty"`
	Topic      string `json:"topic,omitempty"`
	QoS        int    `json:"qos,omitempty"`

	Brokers       []string `json:"brokers,omitempty"`
	KeyPath       string   `json:"key_path,omitempty"`
	TLS           bool     `json:"tls,omitempty"`
	SASLMechanism string   `json:"sasl_mechanism,omitempty"`
	Username      string   `json:"username,omitempty"`
	Password      string   `json:"password,omitempty"`
}

// WebhookListParams filters and pages WebhookList.
type WebhookListParams struct {
	// Tenant limits the list to one tenant; all tenants when empty.
	Tenant string
	// EventType keeps webhooks subscribed to this slug (or to every type).
	EventType string
	// Active, when non-nil, keeps only active (true) or inactive (false)
	// webhooks.
	Active *bool
	// Search matches name and URL.
	Search string
	// Limit is the page size, 1 to 1000; the server's default (50) when 0.
	Limit int
	// Cursor is the NextCursor of the previous page.
	Cursor string
}

// Secrets are the secrets signing a webhook's requests now.
type Secrets struct {
	// Secret is the current signing secret.
	Secret string `json:"secret"`
	// Previous holds the secret replaced by the last rotation while it
	// still signs (receivers should accept both until it expires).
	Previous []PreviousSecret `json:"previous,omitempty"`
}

// PreviousSecret is a rotated-out secret that still signs until ExpiresAt.
type PreviousSecret struct {
	Secret    string    `json:"secret"`
	ExpiresAt time.Time `json:"expires_at"`
}

// RotatedSecret is the answer to a rotation.
type RotatedSecret struct {
	// Secret is the new signing secret.
	Secret string `json:"secret"`
	// PreviousExpiresAt is when the old secret stops signing.
	PreviousExpiresAt time.Time `json:"previous_expires_at"`
}

// WebhookTestParams selects what a test send delivers.
type WebhookTestParams struct {
	// EventType is the slug whose example to send; the webhook's first
	// subscribed type when empty.
	EventType string `json:"event_type,omitempty"`
}

// TestResult is the outcome of a synchronous test send.
type TestResult struct {
	// Success reports a 2xx answer.
	Success bool `json:"success"`
	// StatusCode is the receiver's status; 0 when no response came.
	StatusCode int `json:"status_code"`
	// Destination is the destination type the test went to ("http").
	Destination string `json:"destination"`
	// Outcome is OutcomeDelivered or OutcomeFailed.
	Outcome string `json:"outcome"`
	// Answer is a short text of what the destination said: the status
	// line ("200 OK") or what kept it from answering ("timed out").
	Answer          string      `json:"answer"`
	DurationMS      float64     `json:"duration_ms"`
	ResponseHeaders http.Header `json:"response_headers"`
	// ResponseBody is the (capped) body: text when UTF-8, else base64 with
	// ResponseBodyEncoding "base64".
	ResponseBody         string `json:"response_body"`
	ResponseBodyEncoding string `json:"response_body_encoding,omitempty"`
	// Error says what went wrong; empty on success.
	Error string `json:"error,omitempty"`
	// ErrorClass classifies the failure: "timeout", "connection_refused",
	// "http_status", …
	ErrorClass     string      `json:"error_class,omitempty"`
	AttemptID      string      `json:"attempt_id"`
	EventType      string      `json:"event_type"`
	RequestHeaders http.Header `json:"request_headers"`
	RequestBody    string      `json:"request_body"`
}

// WebhookReplayParams selects what a replay delivers again.
type WebhookReplayParams struct {
	// Since: events of the webhook's tenant and types published at or
	// after it are delivered again. Required; not in the future.
	Since time.Time `json:"since"`
}

// ReplayResult is the answer to a replay.
type ReplayResult struct {
	// Deliveries is the number of new pending deliveries.
	Deliveries int `json:"deliveries"`
}

// WebhookRecoverParams selects the failed deliveries WebhookRecover
// re-queues.
type WebhookRecoverParams struct {
	// Since starts the window (inclusive) by the deliveries' creation
	// time. Required; not in the future.
	Since time.Time `json:"since"`
	// Until ends it (exclusive); the server's now when nil. At most 31
	// days after Since.
	Until *time.Time `json:"until,omitempty"`
	// Status lists the states to re-queue; the server's default,
	// ["failed"], when nil (the only one it takes).
	Status []string `json:"status,omitempty"`
	// EventTypes keeps deliveries of these types; every type when nil.
	EventTypes []string `json:"event_types,omitempty"`
	// DryRun only counts them.
	DryRun bool `json:"dry_run,omitempty"`
}

// RecoverResult is the answer to a recovery.
type RecoverResult struct {
	DryRun bool `json:"dry_run"`
	// Count is how many failed deliveries matched (a dry run) or were
	// re-queued.
	Count int `json:"count"`
	// Requeued is how many were re-queued; nil on a dry run.
	Requeued *int      `json:"requeued,omitempty"`
	Since    time.Time `json:"since"`
	Until    time.Time `json:"until"`
}

// WebhookAttemptsParams bounds WebhookAttempts.
type WebhookAttemptsParams struct {
	// Limit is how many recent attempts to return, 1 to 1000; the
	// server's default (50) when 0.
	Limit int
}

// Event is a published event.
type Event struct {
	// ID is the event id; receivers see it as the webhook-id header.
	ID     string `json:"id"`
	Tenant string `json:"tenant"`
	Type   string `json:"type"`
	// Data is the payload exactly as published.
	Data json.RawMessage `json:"data"`
	// IdempotencyKey is empty when none was given.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Timestamp is when the event was accepted.
	Timestamp time.Time `json:"timestamp"`
}

// EventSummary is an event with the number of its deliveries in each
// state (DeliveryPending, DeliverySucceeded, DeliveryFailed); states
// without deliveries are absent.
type EventSummary struct {
	Event
	Deliveries map[string]int `json:"deliveries"`
}

// EventWithDeliveries is an event with its deliveries.
type EventWithDeliveries struct {
	Event
	Deliveries []Delivery `json:"deliveries"`
	// SkippedByFilter is set by EventExplain: the webhooks subscribed to
	// the event's type whose payload filter kept it from them.
	SkippedByFilter []FilterSkip `json:"skipped_by_filter,omitempty"`
}

// FilterSkip is a webhook whose payload filter excluded an event.
type FilterSkip struct {
	WebhookID string `json:"webhook_id"`
	Name      string `json:"name"`
	// Explanation is the clause of the filter that failed.
	Explanation string `json:"explanation"`
}

// EventPublishParams publishes an event.
type EventPublishParams struct {
	// Type is a slug from the catalog. Required.
	Type string `json:"type"`
	// Data is the payload: anything that marshals to a JSON object, such
	// as a struct, a map or a json.RawMessage. Required.
	Data any `json:"data"`
	// IdempotencyKey makes a repeat within the server's idempotency window
	// (24 h by default) store nothing and return the original event's id
	// with Duplicate set. At most 255 bytes.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Tenant: only webhooks of the same tenant receive the event; empty
	// means "default".
	Tenant string `json:"tenant,omitempty"`
}

// PublishResult is the answer to a publish: the event and its deliveries
// are stored durably.
type PublishResult struct {
	// ID is the event id (the original event's for a duplicate).
	ID string `json:"id"`
	// Deliveries is the number of deliveries created.
	Deliveries int `json:"deliveries"`
	// Duplicate is set when the idempotency key matched an earlier event.
	Duplicate bool `json:"duplicate,omitempty"`
}

// EventListParams filters and pages EventList.
type EventListParams struct {
	// Tenant limits the list to one tenant; all tenants when empty.
	Tenant string
	// Type keeps events of this slug.
	Type string
	// Limit is the page size, 1 to 1000; the server's default (50) when 0.
	Limit int
	// Cursor is the NextCursor of the previous page.
	Cursor string
}

// Delivery is one event going to one webhook.
type Delivery struct {
	ID        string `json:"id"`
	Tenant    string `json:"tenant"`
	EventID   string `json:"event_id"`
	EventType string `json:"event_type"`
	WebhookID string `json:"webhook_id"`
	// Status is DeliveryPending, DeliverySucceeded or DeliveryFailed.
	Status string `json:"status"`
	// Attempts counts the attempts made so far.
	Attempts int `json:"attempts"`
	// NextAttemptAt is when the next attempt is due; nil when final.
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	// LastStatusCode is the status of the last attempt; 0 when none came.
	LastStatusCode int    `json:"last_status_code,omitempty"`
	LastError      string `json:"last_error,omitempty"`
	// Sequence is the delivery's place in its FIFO webhook's order; 0
	// without ordering.
	Sequence int64 `json:"sequence,omitempty"`
	// OrderingKey is the event's value of the webhook's ordering key.
	OrderingKey string `json:"ordering_key,omitempty"`
	// BlockedBy names the earlier delivery of its key this one waits for.
	BlockedBy string    `json:"blocked_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// DeliveryWithAttempts is a delivery with every attempt, oldest first.
type DeliveryWithAttempts struct {
	Delivery
	AttemptLog []Attempt `json:"attempt_log"`
}

// DeliveryListParams filters and pages DeliveryList.
type DeliveryListParams struct {
	// Tenant limits the list to one tenant; all tenants when empty.
	Tenant    string
	WebhookID string
	EventID   string
	// Status keeps deliveries in one state: DeliveryPending,
	// DeliverySucceeded or DeliveryFailed; several separated by commas
	// ("failed,pending") keep any of them.
	Status string
	// EventType keeps deliveries of one event type.
	EventType string
	// Since and Until bound the deliveries' creation time (Since
	// inclusive, Until exclusive); the zero time leaves a side open.
	Since, Until time.Time
	// Query keeps deliveries whose ID or event ID is, or starts with, it.
	Query string
	// Limit is the page size, 1 to 1000; the server's default (50) when 0.
	Limit int
	// Cursor is the NextCursor of the previous page.
	Cursor string
}

// Attempt outcomes: what a delivery did after an attempt.
const (
	OutcomeDelivered = "delivered"
	OutcomeRetry     = "retry"
	OutcomeFailed    = "failed"
	// OutcomeDisabled: the answer (410 Gone) turned the webhook off.
	OutcomeDisabled = "disabled"
	// OutcomeSkipped: the webhook's transform cancelled the delivery;
	// nothing was sent and the delivery succeeded.
	OutcomeSkipped = "skipped"
)

// Attempt is one try at sending a delivery (or a test send) and its
// answer. Secret header values show as "********".
type Attempt struct {
	ID string `json:"id"`
	// DeliveryID is empty for test sends.
	DeliveryID string `json:"delivery_id,omitempty"`
	WebhookID  string `json:"webhook_id"`
	EventID    string `json:"event_id"`
	EventType  string `json:"event_type"`
	// Number is 1 for a delivery's first attempt.
	Number int  `json:"number"`
	Test   bool `json:"test"`
	// Destination is the destination type the attempt went to ("http").
	Destination string `json:"destination"`
	// Outcome is what the delivery did after the attempt: OutcomeDelivered,
	// OutcomeRetry, OutcomeFailed or OutcomeDisabled; empty for some
	// attempts stored by earlier server releases.
	Outcome string `json:"outcome"`
	// Answer is a short text of what the destination said: the status
	// line ("503 Service Unavailable") or what kept it from answering
	// ("connection refused").
	Answer         string      `json:"answer"`
	StartedAt      time.Time   `json:"started_at"`
	DurationMS     float64     `json:"duration_ms"`
	URL            string      `json:"url"`
	RequestHeaders http.Header `json:"request_headers"`
	RequestBody    string      `json:"request_body"`
	// StatusCode is 0 when no response came.
	StatusCode      int         `json:"status_code"`
	ResponseHeaders http.Header `json:"response_headers"`
	// ResponseBody is the stored (capped) body; base64 when
	// ResponseBodyEncoding is "base64".
	ResponseBody         string `json:"response_body"`
	ResponseBodyEncoding string `json:"response_body_encoding,omitempty"`
	// ResponseTruncated reports that the stored body was cut at the cap.
	ResponseTruncated bool   `json:"response_truncated"`
	ErrorClass        string `json:"error_class,omitempty"`
	Error             string `json:"error,omitempty"`
}

// Success reports whether the attempt counts as delivered: a 2xx answer.
func (a Attempt) Success() bool {
	return a.ErrorClass == "" && a.StatusCode >= 200 && a.StatusCode < 300
}

// APIKey is an API key's metadata; the key itself is never stored.
type APIKey struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Prefix is the first characters of the key, to recognise it.
	Prefix string   `json:"prefix"`
	Scopes []string `json:"scopes"`
	// Tenant is the one tenant the key acts on; empty for a key of every
	// tenant.
	Tenant     string     `json:"tenant,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// CreatedKey is a new API key with the key itself, shown only this once.
type CreatedKey struct {
	APIKey
	Key string `json:"key"`
}

// KeyCreateParams creates an API key.
type KeyCreateParams struct {
	// Name says who uses the key: 1 to 200 characters. Required.
	Name string `json:"name"`
	// Scopes: ScopeAdmin, ScopePublish and/or ScopeRead; [admin] when
	// empty. Only scopes the calling key holds.
	Scopes []string `json:"scopes,omitempty"`
	// ExpiresAt, when non-nil, is when the key stops working.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// Tenant binds the key to one tenant: it reaches only that tenant's
	// data. Empty: a key of every tenant, or of the calling key's tenant
	// when that is a tenant's key.
	Tenant string `json:"tenant,omitempty"`
}

// AuditEntry records who changed what.
type AuditEntry struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
	// Actor is "key:<id> (<name>)", "user:<name>" or "system".
	Actor string `json:"actor"`
	// Tenant is the tenant of the key that acted, when it is a tenant's
	// key; empty for the operator.
	Tenant string `json:"tenant,omitempty"`
	// Action is e.g. "webhook.create", "delivery.retry", "key.revoke".
	Action string `json:"action"`
	// Target is the ID acted on.
	Target string `json:"target"`
	Detail string `json:"detail,omitempty"`
}

// AuditListParams filters and pages AuditList.
type AuditListParams struct {
	// Target keeps entries about one ID.
	Target string
	// Limit is the page size, 1 to 1000; the server's default (50) when 0.
	Limit int
	// Cursor is the NextCursor of the previous page.
	Cursor string
}

// HookSubscribeParams is a REST Hooks subscription (Zapier, Make, n8n…).
type HookSubscribeParams struct {
	// TargetURL is the platform's URL for the trigger. Required.
	TargetURL string `json:"target_url"`
	// Event is the event type slug. Required.
	Event string `json:"event"`
	// Integration names the platform: "zapier" (default), "make", "n8n", …
	Integration string `json:"integration,omitempty"`
	// Tenant whose events the subscription receives; "default" when empty.
	Tenant string `json:"tenant,omitempty"`
}

// Hook is a REST Hooks subscription: an ordinary webhook in raw format.
type Hook struct {
	// ID is the webhook's id; unsubscribe with it.
	ID          string `json:"id"`
	TargetURL   string `json:"target_url"`
	Event       string `json:"event"`
	Integration string `json:"integration"`
	Name        string `json:"name"`
	Tenant      string `json:"tenant"`
	Format      string `json:"format"`
}

// HookSamplesParams selects whose samples HookSamples returns.
type HookSamplesParams struct {
	// Tenant whose recent events to sample; "default" when empty.
	Tenant string
}

// Me describes the key a client uses and the server it talks to.
type Me struct {
	Key     APIKey `json:"key"`
	Server  string `json:"server"`
	Version string `json:"version"`
}
