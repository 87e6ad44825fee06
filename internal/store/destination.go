package store

import "github.com/hookline/hookline/internal/webhook"

// DestinationType is the destination type a backend stores for w:
// webhook.DestinationHTTP when w names none, as a webhook without a
// destination has always been an HTTP endpoint.
func DestinationType(w webhook.Webhook) string {
	if w.Destination.Type == "" {
		return webhook.DestinationHTTP
	}
	return w.Destination.Type
}
