package registry

import (
	"slices"
	"strconv"
	"strings"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/webhook"
)

// checkDestinationType accepts the destination types that have a sender
// registered with package deliver.
func checkDestinationType(t string) error {
	types := deliver.Types()
	if !slices.Contains(types, t) {
		return webhook.FieldError(webhook.EINVALID, "destination.type", "must be one of %q", types)
	}
	return nil
}

// applyDestination sets w's destination from d when d names a type.
func applyDestination(w *webhook.Webhook, d *webhook.Destination) error {
	if d == nil || d.Type == "" {
		return nil
	}
	if err := checkDestinationType(d.Type); err != nil {
		return err
	}
	w.Destination = webhook.Destination{Type: d.Type}
	return nil
}

// applySecretHeaders sets w.SecretHeaders, sorted and spelled as the keys
// of w.Headers, from names, which must each name one of the webhook's
// headers (without regard to case). With names nil the current marks stay,
// less those whose header is gone: replacing the headers alone must not
// fail on marks the caller did not send.
func applySecretHeaders(w *webhook.Webhook, names []string) error {
	given := names != nil
	if !given {
		names = w.SecretHeaders
	}
	out := make([]string, 0, len(names))
	for i, name := range names {
		key, ok := headerKey(w.Headers, name)
		if !ok {
			if given {
				return webhook.FieldError(webhook.EINVALID, "secret_headers["+strconv.Itoa(i)+"]",
					"%q is not one of the webhook's headers", name)
			}
			continue
		}
		if !slices.Contains(out, key) {
			out = append(out, key)
		}
	}
	slices.Sort(out)
	w.SecretHeaders = out
	return nil
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
