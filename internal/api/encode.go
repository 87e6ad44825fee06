package api

import (
	"encoding/base64"
	"net/http"
	"unicode/utf8"
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
