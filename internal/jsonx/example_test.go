package jsonx_test

import (
	"fmt"

	"github.com/hookline/hookline/internal/jsonx"
)

func ExampleDecodeBytes() {
	var req struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
	}
	err := jsonx.DecodeBytes([]byte(`{"url":"https://example.com","evnts":["*"]}`), &req)
	fmt.Println(err)
	// Output: invalid: evnts: unknown field "evnts"
}
