package jsonx

import (
	"encoding/json"
	"slices"

	"github.com/hookline/hookline/internal/webhook"
)

// CheckDuplicateKeys returns an EINVALID *webhook.Error when an object in
// b names a key twice. encoding/json keeps the last one while the bytes
// Hookline stores and delivers keep both, and a receiver whose parser
// keeps the first would read another value than the one validated:
// {"amount": 1000000, "amount": 1} would pass a schema's maximum. Keys
// are compared as decoded, so "a" and "\u0061" are the same key.
//
// It scans bytes once without recursion, on input CheckDepth has bounded;
// b need not be valid JSON (the decoder reports that).
func CheckDuplicateKeys(b []byte) error {
	type level struct {
		object    bool
		expectKey bool
		keys      []string
	}
	var stack []level
	start := -1
	escaped, hasEscape := false, false
	for i, c := range b {
		if start >= 0 {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped, hasEscape = true, true
			case c == '"':
				top := len(stack) - 1
				if top >= 0 && stack[top].object && stack[top].expectKey {
					key := string(b[start+1 : i])
					if hasEscape {
						var k string
						if json.Unmarshal(b[start:i+1], &k) == nil {
							key = k
						}
					}
					if slices.Contains(stack[top].keys, key) {
						return webhook.Errorf(webhook.EINVALID,
							"invalid JSON at byte %d: the key %q appears twice in one object", start, key)
					}
					stack[top].keys = append(stack[top].keys, key)
					stack[top].expectKey = false
				}
				start = -1
			}
			continue
		}
		switch c {
		case '"':
			start, hasEscape = i, false
		case '{':
			stack = append(stack, level{object: true, expectKey: true})
		case '[':
			stack = append(stack, level{})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if top := len(stack) - 1; top >= 0 && stack[top].object {
				stack[top].expectKey = true
			}
		}
	}
	return nil
}
