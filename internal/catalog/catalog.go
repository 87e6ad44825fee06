// Package catalog holds Hookline's built-in event types: the SaaS events a
// WP Ultimo-style network emits, shipped inside the binary so a fresh
// install has a useful catalog without any setup.
package catalog

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/hookline/hookline/internal/webhook"
)

// saasEvents is a byte-for-byte copy of the shared spec file; a test keeps
// the two identical so the catalog cannot drift from the spec.
//
//go:embed saas-events.json
var saasEvents []byte

// MaxSlugLen is the longest slug ValidSlug accepts.
const MaxSlugLen = 100

// entry is one element of saas-events.json.
type entry struct {
	Slug        string          `json:"slug"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Payload     json.RawMessage `json:"payload"`
}

// Builtin returns the built-in event types in file order, with each
// payload as the type's compact Example. It parses the embedded file on
// every call and returns fresh values, so callers may modify the result.
// CreatedAt is left zero for the store to fill in.
//
// An error means the embedded file is broken, which is a build defect: the
// tests in this package fail first.
func Builtin() ([]webhook.EventType, error) {
	var entries []entry
	dec := json.NewDecoder(bytes.NewReader(saasEvents))
	// Unknown keys mean the spec grew a field the catalog ignores; fail
	// loudly rather than silently dropping it.
	dec.DisallowUnknownFields()
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("catalog: parse saas-events.json: %w", err)
	}

	types := make([]webhook.EventType, 0, len(entries))
	seen := make(map[string]bool, len(entries))
	for i, e := range entries {
		if !ValidSlug(e.Slug) {
			return nil, fmt.Errorf("catalog: entry %d: invalid slug %q", i, e.Slug)
		}
		if seen[e.Slug] {
			return nil, fmt.Errorf("catalog: entry %d: duplicate slug %q", i, e.Slug)
		}
		seen[e.Slug] = true
		if e.Name == "" || e.Description == "" {
			return nil, fmt.Errorf("catalog: %s: name and description are required", e.Slug)
		}
		if len(e.Payload) == 0 || e.Payload[0] != '{' {
			return nil, fmt.Errorf("catalog: %s: payload must be a JSON object", e.Slug)
		}
		var example bytes.Buffer
		if err := json.Compact(&example, e.Payload); err != nil {
			return nil, fmt.Errorf("catalog: %s: compact payload: %w", e.Slug, err)
		}
		types = append(types, webhook.EventType{
			Slug:        e.Slug,
			Name:        e.Name,
			Description: e.Description,
			Example:     json.RawMessage(example.Bytes()),
			Custom:      false,
		})
	}
	return types, nil
}

// MustBuiltin is Builtin for program start, where a broken embedded catalog
// is a build defect that should stop the process at once.
func MustBuiltin() []webhook.EventType {
	types, err := Builtin()
	if err != nil {
		panic(err)
	}
	return types
}

// ValidSlug reports whether s is an acceptable event type slug:
// ^[a-z0-9][a-z0-9_.-]{0,99}$. Slugs appear in URLs, subscriptions and the
// webhook-event header, so they are kept lowercase ASCII without spaces;
// the leading character cannot be punctuation so "*" and "." prefixes stay
// free for wildcards.
func ValidSlug(s string) bool {
	if len(s) == 0 || len(s) > MaxSlugLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '_' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}
