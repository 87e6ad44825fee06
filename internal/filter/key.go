package filter

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// MaxKeyPath bounds an ordering key path; MaxKey bounds a key value as
// stored (longer values are stored as their SHA-256, which keeps them
// apart as well).
const (
	MaxKeyPath = 200
	MaxKey     = 200
)

// CheckKeyPath says what is wrong with an ordering key path ("" when
// nothing): a dotted path into the event envelope, as filters use, but
// naming one value, so without "*".
func CheckKeyPath(path string) string {
	parts, ok := splitPath(path)
	switch {
	case len(path) > MaxKeyPath:
		return fmt.Sprintf("must be at most %d characters", MaxKeyPath)
	case !ok:
		return "must be a dotted path such as data.customer_id (no empty parts)"
	case parts[0] != "data" && parts[0] != "type" && parts[0] != "tenant":
		return `must start with "data", "type" or "tenant" (for example data.customer_id)`
	}
	for _, p := range parts {
		if p == "*" {
			return `must name one value: "*" is for filters`
		}
	}
	return ""
}

// Key returns the ordering key of the event at path (checked with
// CheckKeyPath): the value there, strings as they are and other values
// as compact JSON; "" when the path is empty, missing in the event, or
// the event's data is not JSON. Events with the same key are one
// sequence.
func (j *Judge) Key(path string) string {
	if path == "" {
		return ""
	}
	if !j.built {
		j.doc, j.err = Envelope(j.ev)
		j.built = true
	}
	if j.err != nil {
		return ""
	}
	parts, _ := splitPath(path)
	vals := resolve(j.doc, parts)
	if len(vals) == 0 || vals[0] == nil {
		return ""
	}
	var key string
	if s, ok := vals[0].(string); ok {
		key = s
	} else {
		b, err := json.Marshal(vals[0])
		if err != nil {
			return ""
		}
		key = string(b)
	}
	if len(key) > MaxKey || strings.HasPrefix(key, "sha256:") {
		sum := sha256.Sum256([]byte(key))
		key = "sha256:" + hex.EncodeToString(sum[:])
	}
	return key
}
