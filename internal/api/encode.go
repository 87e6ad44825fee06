package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/problem"
)

func encodeBase64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// bodyText shows a body as text, or as base64 with the encoding named when
// it is not UTF-8.
func bodyText(b []byte) (text, encoding string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return encodeBase64(b), "base64"
}

func nonNilHeader(h http.Header) http.Header {
	if h == nil {
		return http.Header{}
	}
	return h
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		problem.Write(w, problem.Problem{Status: http.StatusInternalServerError, Detail: "internal error"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
