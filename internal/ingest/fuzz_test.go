package ingest

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/webhook"
)

// FuzzCheckData: event data is accepted exactly when it is a JSON object
// in valid UTF-8 within the depth bound; every refusal is a field error
// on "data"; nothing panics.
func FuzzCheckData(f *testing.F) {
	for _, seed := range []string{`{}`, `{"a":1}`, ` {"a":[1,{"b":null}]}`, `[]`, `"x"`, `{"a":1`, `{"a":"\xff"}`,
		`{"a":1}{"b":2}`, `{{}}`, `{"a":` + string(make([]byte, 0)) + `{}}`, "", `null`, `{"\u00e9":"\ud83d\ude00"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckData(data, 64)
		if err == nil {
			var m map[string]any
			if !utf8.Valid(data) || json.Unmarshal(data, &m) != nil || m == nil {
				t.Fatalf("accepted %q, which is not a JSON object in UTF-8", data)
			}
			return
		}
		var e *webhook.Error
		if !errors.As(err, &e) || e.Field != "data" || e.Code != webhook.EINVALID {
			t.Fatalf("refusal of %q is %#v, want an EINVALID error on data", data, err)
		}
	})
}
