// Package alert is the vocabulary of operational alerts: the channels they
// go to (a Slack-compatible incoming webhook, e-mail), the kinds of alert a
// channel asks for, and the state of an alert (open, closed, what message
// is due). The alerting service decides and sends; the stores keep it.
package alert

import (
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/webhook"
)

// Kind is what an alert is about.
type Kind string

// Alert kinds.
const (
	// KindDisabled: Hookline turned a webhook off (410 Gone, or failing
	// for longer than --auto-disable-after).
	KindDisabled Kind = "webhook.disabled"
	// KindFailing: a webhook's attempts fail at or above the threshold
	// rate in the window (with at least the minimum of attempts).
	KindFailing Kind = "webhook.failing"
	// KindBacklog: more deliveries are pending than --backlog-alert.
	KindBacklog Kind = "backlog"
)

// Kinds are every kind, in the order they are shown.
var Kinds = []Kind{KindFailing, KindDisabled, KindBacklog}

// Channel types.
const (
	TypeSlack = "slack"
	TypeEmail = "email"
)

// PrefixChannel starts alert channel IDs.
const PrefixChannel = "ach_"

// Limits on a channel.
const (
	MaxRecipients = 20
	MaxURL        = 2048
	maxEmail      = 254
)

// Channel is where alerts go. URL (a Slack-compatible incoming webhook) is
// a secret: the stores keep it encrypted and the API shows it masked.
type Channel struct {
	ID    string   `json:"id"`
	Type  string   `json:"type"`
	URL   string   `json:"url,omitempty"`
	To    []string `json:"to,omitempty"`
	Kinds []Kind   `json:"kinds"`
	// Tenant, when set, limits the channel to alerts about that tenant's
	// webhooks; "" gets every alert.
	Tenant    string    `json:"tenant,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Wants reports whether c takes alerts of kind k about tenant's webhooks
// ("" for alerts about no webhook: the backlog).
func (c Channel) Wants(k Kind, tenant string) bool {
	if c.Tenant != "" && c.Tenant != tenant {
		return false
	}
	return slices.Contains(c.Kinds, k)
}

// Masked returns c with its URL masked: its scheme, host and first path
// segment, then "…" and the last four characters, enough to tell two
// channels apart and too little to post to either.
func (c Channel) Masked() Channel {
	c.URL = MaskURL(c.URL)
	return c
}

// MaskURL masks a secret URL (see Channel.Masked).
func MaskURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "****"
	}
	out := u.Scheme + "://" + u.Host + "/"
	if seg, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/"); seg != "" && len(u.Path) > len(seg)+8 {
		out += seg + "/"
	}
	tail := u.Path + u.RawQuery
	if len(tail) > 12 {
		return out + "…" + tail[len(tail)-4:]
	}
	return out + "…"
}

// Input is a channel as a client asks for it.
type Input struct {
	Type   string   `json:"type"`
	URL    string   `json:"url"`
	To     []string `json:"to"`
	Kinds  []Kind   `json:"kinds"`
	Tenant string   `json:"tenant"`
}

// Check validates in and returns the channel to store (without ID and
// time); every problem is reported at once, each naming its field. The
// URL's destination is checked by the caller (egress guard).
func Check(in Input) (Channel, error) {
	var v webhook.Validation
	c := Channel{Type: in.Type, Tenant: strings.TrimSpace(in.Tenant)}
	switch in.Type {
	case TypeSlack:
		u, err := url.Parse(in.URL)
		switch {
		case in.URL == "":
			v.Add(webhook.EINVALID, webhook.At("url"), "is required for a slack channel (its incoming-webhook URL)")
		case len(in.URL) > MaxURL:
			v.Add(webhook.EINVALID, webhook.At("url"), "is longer than %d characters", MaxURL)
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			v.Add(webhook.EINVALID, webhook.At("url"), "must be an http(s) URL like https://hooks.slack.com/services/…")
		case u.User != nil:
			v.Add(webhook.EINVALID, webhook.At("url"), "must not hold a user name or password")
		default:
			c.URL = in.URL
		}
		if len(in.To) > 0 {
			v.Add(webhook.EINVALID, webhook.At("to"), "is for email channels; a slack channel has a url")
		}
	case TypeEmail:
		if len(in.To) == 0 {
			v.Add(webhook.EINVALID, webhook.At("to"), "is required for an email channel: one or more addresses")
		}
		if len(in.To) > MaxRecipients {
			v.Add(webhook.EINVALID, webhook.At("to"), "lists %d addresses; at most %d", len(in.To), MaxRecipients)
		}
		for i, addr := range in.To {
			addr = strings.TrimSpace(addr)
			if !ValidEmail(addr) {
				v.Add(webhook.EINVALID, webhook.At("to").Index(i), "%q is not an e-mail address like ops@example.com", addr)
				continue
			}
			if !slices.Contains(c.To, addr) {
				c.To = append(c.To, addr)
			}
		}
		if in.URL != "" {
			v.Add(webhook.EINVALID, webhook.At("url"), "is for slack channels; an email channel has to")
		}
	case "":
		v.Add(webhook.EINVALID, webhook.At("type"), "is required: slack or email")
	default:
		v.Add(webhook.EINVALID, webhook.At("type"), "%q: use slack or email", in.Type)
	}
	if len(in.Kinds) == 0 {
		v.Add(webhook.EINVALID, webhook.At("kinds"), "is required: one or more of %s", kindList())
	}
	for i, k := range in.Kinds {
		if !slices.Contains(Kinds, k) {
			v.Add(webhook.EINVALID, webhook.At("kinds").Index(i), "%q: use %s", k, kindList())
			continue
		}
		if !slices.Contains(c.Kinds, k) {
			c.Kinds = append(c.Kinds, k)
		}
	}
	if c.Tenant != "" && slices.Contains(c.Kinds, KindBacklog) {
		v.Add(webhook.EINVALID, webhook.At("kinds"), "backlog is about the whole server: a tenant's channel cannot have it")
	}
	return c, v.Err()
}

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// ValidEmail reports whether s is a bare e-mail address.
func ValidEmail(s string) bool {
	if s == "" || len(s) > maxEmail {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// Notice is the message an alert has due.
type Notice string

// Notices.
const (
	NoticeNone     Notice = ""
	NoticeOpen     Notice = "open"
	NoticeRecovery Notice = "recovery"
)

// State is an alert about one webhook (or about none: the backlog, with
// WebhookID "") and one kind, kept in the database so that a new leader
// carries on where the last one stopped and two instances never send the
// same message.
type State struct {
	WebhookID string
	Kind      Kind
	Tenant    string
	// Detail says why it opened ("12 of 15 attempts failed in 15m").
	Detail   string
	OpenedAt time.Time
	// ClosedAt is nil while the alert is open.
	ClosedAt *time.Time
	// Notice is the message due, claimed (and cleared) by whoever sends it.
	Notice Notice
	// Notified says the opening message went out (so its recovery will).
	Notified bool
	// LastSentAt is when an opening message of this webhook and kind last
	// went out: the next waits for the repeat interval.
	LastSentAt *time.Time
}

// Open reports whether the alert is open.
func (s State) Open() bool { return s.ClosedAt == nil }
