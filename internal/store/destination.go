package store

import (
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
