package webhook

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
)

// MaskedValue replaces the value of a secret header in a stored attempt.
const MaskedValue = "********"

// credentialHeaders always carry credentials, whatever a webhook says.
var credentialHeaders = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
}

// credentialWords in a header name mark it as carrying a credential
// (X-Api-Key, X-Auth-Token, X-Client-Secret, X-Password…).
var credentialWords = []string{"token", "secret", "password", "passwd", "api-key", "apikey", "api_key", "credential"}

// CredentialRule returns the names (lower case) and the words in names
// that SecretHeader treats as credentials whatever a webhook marks, for
// surfaces that show the rule (the dashboard applies it as one types).
func CredentialRule() (names, words []string) {
	for n := range credentialHeaders {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, slices.Clone(credentialWords)
}

// SecretHeader reports whether attempts store the values of header name
// masked: when the webhook marked it secret (marked, compared without
// regard to case) or its name says it carries a credential — Authorization,
// Proxy-Authorization, Cookie, Set-Cookie, or a name containing "token",
// "secret", "password", "passwd", "api-key", "apikey", "api_key" or
// "credential", in any case. Webhook-Signature is not secret: it is an
// HMAC of one request's id, time and body, useless for signing another,
// and receivers debugging verification need to see it.
func SecretHeader(name string, marked []string) bool {
	// Every attempt checks each of its headers: lower-case the name on the
	// stack rather than allocate.
	var buf [128]byte
	lower := buf[:0]
	if len(name) > len(buf) {
		lower = []byte(strings.ToLower(name))
	} else {
		for i := 0; i < len(name); i++ {
			c := name[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			lower = append(lower, c)
		}
	}
	if string(lower) == "webhook-signature" {
		return false
	}
	if credentialHeaders[string(lower)] {
		return true
	}
	for _, w := range credentialWords {
		if bytes.Contains(lower, []byte(w)) {
			return true
		}
	}
	for _, m := range marked {
		if strings.EqualFold(m, name) {
			return true
		}
	}
	return false
}

// MaskHeaders returns h with the values of secret headers (SecretHeader)
// replaced by MaskedValue, for storing in an attempt. h itself is never
// changed, as it may be the request being sent; it is returned as is when
// nothing needs masking. Authorization keeps its scheme ("Bearer
// ********"), which says how the request authenticated without giving the
// credential away.
func MaskHeaders(h http.Header, marked []string) http.Header {
	var out http.Header
	for name, values := range h {
		if !SecretHeader(name, marked) {
			continue
		}
		if out == nil {
			out = h.Clone()
		}
		masked := make([]string, len(values))
		for i, v := range values {
			masked[i] = maskValue(name, v)
		}
		out[name] = masked
	}
	if out == nil {
		return h
	}
	return out
}

func maskValue(name, v string) string {
	if v == "" {
		return ""
	}
	lower := strings.ToLower(name)
	if lower == "authorization" || lower == "proxy-authorization" {
		if scheme, _, ok := strings.Cut(strings.TrimSpace(v), " "); ok {
			return scheme + " " + MaskedValue
		}
	}
	return MaskedValue
}

// Masked returns w with the values of its secret headers (SecretHeader)
// replaced by MaskedValue: header values are write-only, like signing
// secrets, so API answers and forms show them masked. w is not changed.
func (w Webhook) Masked() Webhook {
	var out map[string]string
	for name, v := range w.Headers {
		if v == "" || !SecretHeader(name, w.SecretHeaders) {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(w.Headers))
			for k, v := range w.Headers {
				out[k] = v
			}
		}
		out[name] = MaskedValue
	}
	if out != nil {
		w.Headers = out
	}
	return w
}

// KeepMasked returns the headers in to store for a webhook that has old:
// a secret header of old sent back as MaskedValue (what Masked showed)
// keeps its stored value, so that saving a form or a fetched webhook does
// not overwrite a credential with asterisks. Names compare without regard
// to case; in itself is not changed.
func KeepMasked(in map[string]string, old Webhook) map[string]string {
	var out map[string]string
	for name, v := range in {
		if v != MaskedValue || !SecretHeader(name, old.SecretHeaders) {
			continue
		}
		for oldName, oldValue := range old.Headers {
			if !strings.EqualFold(oldName, name) {
				continue
			}
			if out == nil {
				out = make(map[string]string, len(in))
				for k, v := range in {
					out[k] = v
				}
			}
			out[name] = oldValue
		}
	}
	if out == nil {
		return in
	}
	return out
}
