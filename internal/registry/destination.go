package registry

import (
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/webhook"
)

// applyDestination sets w's destination from d when d names a type; the
// types accepted are those with a sender registered with package deliver,
// and each type's configuration is checked by the check its package
// registered (deliver.RegisterCheck), every problem at its place under
// /destination. A broker URL sent back with its password masked keeps the
// stored password. The broker's host gets the egress guard's early check
// (the dial-time guard is the real one). A broker destination's webhook
// URL is its broker URL, password masked, for lists and searches.
func (r *Registry) applyDestination(w *webhook.Webhook, d *webhook.Destination, v *webhook.Validation) {
	if d == nil || d.Type == "" {
		return
	}
	at := webhook.At("destination")
	if types := deliver.Types(); !slices.Contains(types, d.Type) {
		v.Add(webhook.EINVALID, at.Key("type"), "must be one of %q", types)
		return
	}
	if d.Type == webhook.DestinationHTTP {
		// HTTP sends to the webhook's url: a broker setting is a mistake
		// (a type left out), not something to drop silently.
		if !d.Equal(webhook.Destination{Type: d.Type}) {
			v.Add(webhook.EINVALID, at, "an http destination takes no other field than type; the broker types are %q", deliver.Types())
			return
		}
		w.Destination = webhook.Destination{Type: webhook.DestinationHTTP}
		return
	}
	next := *d
	next.URL = webhook.KeepPassword(strings.TrimSpace(next.URL), w.Destination.URL)
	if w.Destination.Type == next.Type {
		next = webhook.KeepSecret(next, w.Destination)
	} else {
		next = webhook.KeepSecret(next, webhook.Destination{})
	}
	next.Brokers = slices.Clone(next.Brokers)
	for i, b := range next.Brokers {
		next.Brokers[i] = strings.TrimSpace(b)
	}
	n := v.Len()
	deliver.CheckDestination(next, at, v)
	if v.Len() == n {
		const private = "points to a private or reserved address, which Hookline does not send to"
		if next.URL != "" {
			if u, err := url.Parse(next.URL); err == nil && !r.hostAllowed(u.Hostname()) {
				v.Add(webhook.EUNPROCESSABLE, at.Key("url"), private)
			}
		}
		// Every Kafka broker listed: each is dialled.
		for i, b := range next.Brokers {
			if host, _, err := net.SplitHostPort(b); err == nil && !r.hostAllowed(host) {
				v.Add(webhook.EUNPROCESSABLE, at.Key("brokers").Index(i), private)
			}
		}
	}
	w.Destination = next
	w.URL = webhook.MaskURLPassword(next.URL)
	if len(next.Brokers) > 0 {
		// Kafka has no URL: lists and searches show its brokers and topic.
		w.URL = "kafka://" + strings.Join(next.Brokers, ",") + "/" + next.Topic
	}
}

// hostAllowed is the egress guard's early check of a broker host: an IP
// literal in a range the guard refuses, or localhost when loopback is
// refused, is certain to be blocked at dial time. Names are not resolved.
func (r *Registry) hostAllowed(host string) bool {
	if a, err := netip.ParseAddr(host); err == nil {
		return r.cfg.Guard.Allowed(a)
	}
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return r.cfg.Guard.Allowed(netip.AddrFrom4([4]byte{127, 0, 0, 1})) || r.cfg.Guard.Allowed(netip.IPv6Loopback())
	}
	return true
}

// broker reports whether the webhook, once in is applied, delivers to a
// broker rather than by HTTP: its URL is then the broker's, not checked
// as an HTTP URL.
func broker(w *webhook.Webhook, in WebhookInput) bool {
	typ := w.Destination.Type
	if in.Destination != nil && in.Destination.Type != "" {
		typ = in.Destination.Type
	}
	return typ != "" && typ != webhook.DestinationHTTP && slices.Contains(deliver.Types(), typ)
}

// applySecretHeaders sets w.SecretHeaders, sorted and spelled as the keys
// of w.Headers, from names, which must each name one of the webhook's
// headers (without regard to case). With names nil the current marks stay,
// less those whose header is gone: replacing the headers alone must not
// fail on marks the caller did not send. Each name that is no header is
// a problem recorded in v.
func applySecretHeaders(w *webhook.Webhook, names []string, v *webhook.Validation) {
	given := names != nil
	if !given {
		names = w.SecretHeaders
	}
	out := make([]string, 0, len(names))
	for i, name := range names {
		key, ok := headerKey(w.Headers, name)
		if !ok {
			if given {
				v.Add(webhook.EINVALID, webhook.At("secret_headers").Index(i), "%q is not one of the webhook's headers", name)
			}
			continue
		}
		if !slices.Contains(out, key) {
			out = append(out, key)
		}
	}
	slices.Sort(out)
	w.SecretHeaders = out
}

// headerKey finds name among the keys of h, without regard to case.
func headerKey(h map[string]string, name string) (string, bool) {
	for k := range h {
		if strings.EqualFold(k, name) {
			return k, true
		}
	}
	return "", false
}
