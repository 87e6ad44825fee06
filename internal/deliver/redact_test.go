package deliver

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://crm.example.com/hooks/s3cr3t?token=abc": "https://crm.example.com/…",
		"http://127.0.0.1:8080":                          "http://127.0.0.1:8080",
		"http://127.0.0.1:8080/":                         "http://127.0.0.1:8080",
		"https://u:p@host.example/x":                     "https://host.example/…",
		"::not a url":                                    "(url)",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
	_, msg := Classify(&url.Error{Op: "Post", URL: "https://crm.example.com/hooks/s3cr3t?token=abc", Err: errors.New("EOF")})
	if strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "abc") || !strings.Contains(msg, "crm.example.com") {
		t.Errorf("Classify kept the URL's path or query: %q", msg)
	}
}
