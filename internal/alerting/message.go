package alerting

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/alert"
	"github.com/hookline/hookline/internal/auth"
)

// Message is one alert as told to people.
type Message struct {
	Kind alert.Kind
	// Recovered lists the kinds of the alerts that closed; set for a
	// recovery message.
	Recovered []alert.Kind
	// Test marks a message sent with "Send test alert".
	Test      bool
	WebhookID string
	Tenant    string
	// Name and Host describe the webhook (the host only: a URL's path or
	// query may hold a token).
	Name, Host string
	Detail     string
	At         time.Time
	// Link is the webhook's page in the dashboard, when the public URL is
	// known.
	Link string
}

// wanted reports whether channel c takes m.
func (m Message) wanted(c alert.Channel) bool {
	if m.Test {
		return true
	}
	if len(m.Recovered) > 0 {
		return slices.ContainsFunc(m.Recovered, func(k alert.Kind) bool { return c.Wants(k, m.Tenant) })
	}
	return c.Wants(m.Kind, m.Tenant)
}

// message describes alert a (recovered: the kinds that closed, for a
// recovery message).
func (s *Service) message(ctx context.Context, a alert.State, recovered []alert.Kind) Message {
	m := Message{Kind: a.Kind, Recovered: recovered, WebhookID: a.WebhookID, Tenant: a.Tenant, Detail: a.Detail,
		At: a.OpenedAt}
	if a.WebhookID == "" {
		return m
	}
	m.Name = a.WebhookID
	if w, err := s.cfg.Store.WebhookGet(ctx, auth.AllTenants(), a.WebhookID); err == nil {
		m.Name, m.Tenant = w.Name, w.Tenant
		if u, err := url.Parse(w.URL); err == nil {
			m.Host = u.Host
		}
	}
	if s.cfg.PublicURL != "" {
		m.Link = strings.TrimSuffix(s.cfg.PublicURL, "/") + "/webhooks/" + url.PathEscape(a.WebhookID)
	}
	return m
}

// Subject is the message's first line (an e-mail's subject).
func (m Message) Subject() string {
	name := fmt.Sprintf("%q", m.Name)
	switch {
	case m.Test:
		return "[Hookline] Test alert"
	case len(m.Recovered) > 0 && m.WebhookID == "":
		return "[Hookline] Delivery backlog back to normal"
	case len(m.Recovered) > 0:
		return "[Hookline] Webhook " + name + " recovered"
	case m.Kind == alert.KindFailing:
		return "[Hookline] Webhook " + name + " is failing"
	case m.Kind == alert.KindDisabled:
		return "[Hookline] Webhook " + name + " was disabled"
	case m.Kind == alert.KindBacklog:
		return "[Hookline] Delivery backlog high"
	}
	return "[Hookline] Alert"
}

// Text is the whole message: the subject, then what happened and where
// to look.
func (m Message) Text() string {
	var b strings.Builder
	b.WriteString(m.Subject() + "\n")
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	switch {
	case m.Test:
		line("This channel is set up: Hookline will post alerts here.")
		return b.String()
	case len(m.Recovered) > 0 && m.WebhookID == "":
		line("The backlog is under its alert threshold again.")
	case len(m.Recovered) > 0:
		kinds := make([]string, len(m.Recovered))
		for i, k := range m.Recovered {
			kinds[i] = string(k)
		}
		line("A delivery succeeded at %s; closed: %s.", m.At.UTC().Format(time.RFC3339), strings.Join(kinds, ", "))
	case m.Kind == alert.KindDisabled:
		line("Hookline turned it off: %s. Its events are not delivered until it is enabled again.", m.Detail)
	default:
		line("%s (since %s).", upperFirst(m.Detail), m.At.UTC().Format(time.RFC3339))
	}
	if m.WebhookID != "" {
		line("Webhook: %s (%s), endpoint host %s, tenant %s.", m.Name, m.WebhookID, orNone(m.Host), orNone(m.Tenant))
	}
	if m.Link != "" {
		line("%s", m.Link)
	}
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
