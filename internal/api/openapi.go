package api

import (
	_ "embed"
	"net/http"
)

//go:embed openapi.json
var openAPIDoc []byte

// OpenAPIDoc returns the OpenAPI 3.1 document describing the API.
func OpenAPIDoc() []byte { return openAPIDoc }

// OpenAPIHandler serves the OpenAPI document.
func OpenAPIHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openAPIDoc)
	})
}
