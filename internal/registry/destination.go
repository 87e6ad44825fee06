package registry

import (
	"slices"
	"strings"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/webhook"
)

// applyDestination sets w's destination from d when d names a type; the
// types accepted are those with a sender registered with package deliver.
func applyDestination(w *webhook.Webhook, d *webhook.Destination, v *webhook.Validation) {
	if d == nil || d.Type == "" {
		return
	}
	if types := deliver.Types(); !slices.Contains(types, d.Type) {
		v.Add(webhook.EINVALID, webhook.At("destination").Key("type"), "must be one of %q", types)
		return
	}
	w.Destination = webhook.Destination{Type: d.Type}
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
