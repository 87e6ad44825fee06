package server

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestHSTSOnlyOverTLS: Strict-Transport-Security goes with answers served
// over TLS, never over plain HTTP (where browsers ignore it and a
// local-development host would be pinned to HTTPS for nothing).
func TestHSTSOnlyOverTLS(t *testing.T) {
	t.Parallel()
	h := Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), slog.New(slog.DiscardHandler), nil, nil)
	for _, tt := range []struct {
		srv  *httptest.Server
		want string
	}{{httptest.NewTLSServer(h), "max-age=31536000"}, {httptest.NewServer(h), ""}} {
		defer tt.srv.Close()
		resp, err := tt.srv.Client().Get(tt.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); got != tt.want {
			t.Errorf("%s: Strict-Transport-Security %q, want %q", tt.srv.URL, got, tt.want)
		}
	}
}

func TestLogPathCutsBinTokens(t *testing.T) {
	for in, want := range map[string]string{
		"/bins/4clvwkxdal7jkze2ggi6l6gq": "/bins/…",
		"/bins/":                         "/bins/",
		"/api/v1/bins/bin_1":             "/api/v1/bins/bin_1",
		"/portal/open":                   "/portal/open",
	} {
		if got := logPath(in); got != want {
			t.Errorf("logPath(%q) = %q, want %q", in, got, want)
		}
	}
}
