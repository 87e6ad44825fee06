package store

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SealHeaders is the stored text of a webhook's custom headers: their JSON
// object, sealed as signing secrets are, since a header often carries the
// receiver's credential (Authorization, X-Api-Key). No headers are stored
// as "{}", which has nothing to hide.
func SealHeaders(s Sealer, h map[string]string) string {
	if len(h) == 0 {
		return "{}"
	}
	b, err := json.Marshal(h)
	if err != nil {
		panic(fmt.Sprintf("store: marshal headers: %v", err)) // a map of strings always marshals
	}
	return s.Seal(string(b))
}

// OpenHeaders reads headers stored by SealHeaders, or the plain JSON
// object of rows written before headers were sealed.
func OpenHeaders(s Sealer, stored string) (map[string]string, error) {
	text := stored
	if !strings.HasPrefix(strings.TrimSpace(stored), "{") {
		var err error
		if text, err = s.Open(stored); err != nil {
			return nil, fmt.Errorf("open sealed headers: %w", err)
		}
	}
	h := map[string]string{}
	if err := json.Unmarshal([]byte(text), &h); err != nil {
		return nil, fmt.Errorf("decode headers: %w", err)
	}
	return h, nil
}
