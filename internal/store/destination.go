package store

import (
	"encoding/json"
	"fmt"

	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/webhook"
)

// DestinationType is the destination type a backend stores for w:
// webhook.DestinationHTTP when w names none, as a webhook without a
// destination has always been an HTTP endpoint.
func DestinationType(w webhook.Webhook) string {
	if w.Destination.Type == "" {
		return webhook.DestinationHTTP
	}
	return w.Destination.Type
}

// BinTenant is the tenant a bin is stored with: its own, or the default
// tenant when it names none (bins made by operators).
func BinTenant(b bin.Bin) string {
	if b.Tenant == "" {
		return webhook.DefaultTenant
	}
	return b.Tenant
}

// SignatureScheme is the signature scheme a webhook is stored with: its
// own, or webhook.SignatureHMAC when it names none.
func SignatureScheme(w webhook.Webhook) string {
	if w.Signature == "" {
		return webhook.SignatureHMAC
	}
	return w.Signature
}

// destinationConfig is a destination as a backend stores it: its fields
// but the type (a column of its own), with the URL sealed.
type destinationConfig struct {
	URL        string `json:"url,omitempty"`
	Exchange   string `json:"exchange,omitempty"`
	RoutingKey string `json:"routing_key,omitempty"`
	Subject    string `json:"subject,omitempty"`
	Stream     string `json:"stream,omitempty"`
	MaxLen     int64  `json:"maxlen,omitempty"`
	Topic      string `json:"topic,omitempty"`
	QoS        int    `json:"qos,omitempty"`
	// Kafka's; the password sealed like the URL.
	Brokers       []string `json:"brokers,omitempty"`
	KeyPath       string   `json:"key_path,omitempty"`
	TLS           bool     `json:"tls,omitempty"`
	SASLMechanism string   `json:"sasl_mechanism,omitempty"`
	Username      string   `json:"username,omitempty"`
	Password      string   `json:"password,omitempty"`
}

// SealDestination is the stored text of d's configuration, its URL sealed
// and password sealed with s, as both backends keep it in their
// destination column; ok is false when d has nothing but a type (HTTP),
// stored as NULL.
func SealDestination(s Sealer, d webhook.Destination) (text string, ok bool) {
	if d.Equal(webhook.Destination{Type: d.Type}) {
		return "", false
	}
	c := destinationConfig{URL: d.URL, Exchange: d.Exchange, RoutingKey: d.RoutingKey, Subject: d.Subject,
		Stream: d.Stream, MaxLen: d.MaxLen, Topic: d.Topic, QoS: d.QoS, Brokers: d.Brokers, KeyPath: d.KeyPath,
		TLS: d.TLS, SASLMechanism: d.SASLMechanism, Username: d.Username, Password: d.Password}
	if c.URL != "" {
		c.URL = s.Seal(c.URL)
	}
	if c.Password != "" {
		c.Password = s.Seal(c.Password)
	}
	b, err := json.Marshal(c)
	if err != nil {
		panic("store: marshal destination: " + err.Error()) // strings and ints always marshal
	}
	return string(b), true
}

// OpenDestination fills d's configuration from text as SealDestination
// wrote it, opening the sealed URL and password with s.
func OpenDestination(s Sealer, text string, d *webhook.Destination) error {
	var c destinationConfig
	if err := json.Unmarshal([]byte(text), &c); err != nil {
		return fmt.Errorf("decode destination: %w", err)
	}
	if c.URL != "" {
		u, err := s.Open(c.URL)
		if err != nil {
			return fmt.Errorf("open destination url: %w", err)
		}
		c.URL = u
	}
	if c.Password != "" {
		pw, err := s.Open(c.Password)
		if err != nil {
			return fmt.Errorf("open destination password: %w", err)
		}
		c.Password = pw
	}
	d.Brokers, d.KeyPath, d.TLS = c.Brokers, c.KeyPath, c.TLS
	d.SASLMechanism, d.Username, d.Password = c.SASLMechanism, c.Username, c.Password
	d.URL, d.Exchange, d.RoutingKey, d.Subject = c.URL, c.Exchange, c.RoutingKey, c.Subject
	d.Stream, d.MaxLen, d.Topic, d.QoS = c.Stream, c.MaxLen, c.Topic, c.QoS
	return nil
}

// OrderingMode is the ordering a webhook is stored with: its own, or
// webhook.OrderingNone when it names none.
func OrderingMode(w webhook.Webhook) string {
	if w.Ordering == "" {
		return webhook.OrderingNone
	}
	return w.Ordering
}

// RateColumns are a webhook's rate limit as both backends store it: the
// per-second and per-minute counts, 0 when not set.
func RateColumns(w webhook.Webhook) (perSecond, perMinute int) {
	if w.RateLimit == nil {
		return 0, 0
	}
	return w.RateLimit.PerSecond, w.RateLimit.PerMinute
}

// RateLimitOf is the rate limit read back from RateColumns' values; nil
// when neither is set.
func RateLimitOf(perSecond, perMinute int) *webhook.RateLimit {
	if perSecond == 0 && perMinute == 0 {
		return nil
	}
	return &webhook.RateLimit{PerSecond: perSecond, PerMinute: perMinute}
}
