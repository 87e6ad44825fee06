package registry

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/hookline/hookline/internal/filter"

	"github.com/hookline/hookline/internal/webhook"
)

// Bounds of a rate limit. The limiter remembers the start of each request
// in the window, so the bound is also its memory: at most MaxPerMinute
// times 8 bytes for one webhook.
const (
	MaxPerSecond = 1000
	MaxPerMinute = 60000
)

// applyRouting checks and applies the ordering and rate limit fields.
func applyRouting(w *webhook.Webhook, in WebhookInput, v *webhook.Validation) {
	badOrdering := false
	if in.Ordering != nil {
		switch o := strings.ToLower(strings.TrimSpace(*in.Ordering)); o {
		case webhook.OrderingNone, "":
			w.Ordering = webhook.OrderingNone
			if in.OrderingKey == nil {
				w.OrderingKey = "" // a key means nothing without ordering
			}
		case webhook.OrderingFIFO:
			w.Ordering = o
		default:
			badOrdering = true
			v.Add(webhook.EINVALID, webhook.At("ordering"),
				`must be %q (deliveries in parallel, the default) or %q (in order, one at a time per ordering key)`,
				webhook.OrderingNone, webhook.OrderingFIFO)
		}
	}
	if in.OrderingKey != nil {
		key := strings.TrimSpace(*in.OrderingKey)
		if key != "" {
			if msg := filter.CheckKeyPath(key); msg != "" {
				v.Add(webhook.EINVALID, webhook.At("ordering_key"), "%s", msg)
			} else if w.Ordering != webhook.OrderingFIFO && !badOrdering {
				v.Add(webhook.EINVALID, webhook.At("ordering_key"), `applies only with "ordering": %q`, webhook.OrderingFIFO)
			}
		}
		w.OrderingKey = key
	}
	if in.RateLimit != nil {
		w.RateLimit = checkRateLimit(in.RateLimit, v)
	}
}

// checkRateLimit reads a rate limit's JSON: null (or neither set) is none.
func checkRateLimit(raw json.RawMessage, v *webhook.Validation) *webhook.RateLimit {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil
	}
	var rl webhook.RateLimit
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rl); err != nil {
		v.Add(webhook.EINVALID, webhook.At("rate_limit"),
			`must be an object {"per_second": n} or {"per_minute": n} with a whole number n`)
		return nil
	}
	at := webhook.At("rate_limit")
	switch {
	case rl.PerSecond < 0 || rl.PerSecond > MaxPerSecond:
		v.Add(webhook.EINVALID, at.Key("per_second"), "must be from 1 to %d requests a second", MaxPerSecond)
	case rl.PerMinute < 0 || rl.PerMinute > MaxPerMinute:
		v.Add(webhook.EINVALID, at.Key("per_minute"), "must be from 1 to %d requests a minute", MaxPerMinute)
	case rl.PerSecond > 0 && rl.PerMinute > 0:
		v.Add(webhook.EINVALID, at, "set per_second or per_minute, not both")
	case rl.PerSecond == 0 && rl.PerMinute == 0:
		return nil
	}
	return &rl
}
