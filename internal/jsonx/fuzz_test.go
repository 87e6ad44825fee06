package jsonx_test

import (
	"testing"

	"github.com/hookline/hookline/internal/jsonx"
	"github.com/hookline/hookline/internal/webhook"
)

// FuzzDecode checks that no input panics the decoder and that every
// failure is a *webhook.Error a handler can show the client as is.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		``,
		` `,
		`{}`,
		`[]`,
		`null`,
		`{"name":"a","items":[{"sku":"x","quantity":2}],"data":{"k":[1,2.5e3,null,true]}}`,
		`{"name":1}`,
		`{"colour":"red"}`,
		`{"items":[{"quantity":300}]}`,
		`{"when":"2025-06-01T14:32:10Z"}`,
		`{"when":"soon"}`,
		`{"name":"a"} {}`,
		`{"name":"\u00e9\"\\"}`,
		"{\"name\":\"\xff\"}",
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		`{"data":"[[[["}`,
		`{"name":`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var req request
		checkFuzzError(t, jsonx.DecodeBytes(b, &req))
		var v any
		checkFuzzError(t, jsonx.DecodeBytes(b, &v))
		if jsonx.CheckDepth(b, jsonx.DefaultMaxDepth) == nil && jsonx.Depth(b) > jsonx.DefaultMaxDepth {
			t.Fatalf("CheckDepth passed but Depth = %d", jsonx.Depth(b))
		}
	})
}

func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	appErr, ok := err.(*webhook.Error)
	if !ok {
		t.Fatalf("error %T %v is not a *webhook.Error", err, err)
	}
	if appErr.Code == webhook.EINTERNAL || appErr.Message == "" {
		t.Fatalf("error %#v blames the server or says nothing", appErr)
	}
}
