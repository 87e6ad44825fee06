package api

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/fakeclock"
	"github.com/hookline/hookline/internal/store/sqlite/sqlitetest"
)

// TestUnknownKeysLimitedPerAddress: an address that keeps sending
// unknown keys is answered 429 with Retry-After after a burst, before its
// key is even looked up; another address is not affected, known keys do
// not spend from the limit, a loopback peer (a local proxy, a local tool)
// is not limited, and the limit refills with time (issue 17).
func TestUnknownKeysLimitedPerAddress(t *testing.T) {
	t.Parallel()
	st := sqlitetest.Open(t)
	clk := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	_, key, err := auth.Create(t.Context(), st, auth.CreateParams{Name: "ops"}, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	New(Config{Store: st, Auth: auth.NewAuthenticator(st, 0, clk.Now), Now: clk.Now}).Register(mux)
	get := func(remote, key string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/me", nil)
		r.RemoteAddr = net.JoinHostPort(remote, "40000")
		r.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		return w
	}
	const attacker = "2001:db8:1:2::66"
	for i := range 3 * auth.UnknownKeyBurst {
		if w := get(attacker, key); w.Code != http.StatusOK {
			t.Fatalf("known key, request %d: %d, want 200 (known keys spend nothing)", i, w.Code)
		}
	}
	for i := range auth.UnknownKeyBurst {
		if w := get(attacker, "hkl_unknown"+strconv.Itoa(i)); w.Code != http.StatusUnauthorized {
			t.Fatalf("unknown key %d: %d, want 401 within the burst", i, w.Code)
		}
	}
	// Another address in the same IPv6 /64 counts as the same client.
	w := get("2001:db8:1:2::77", "hkl_unknown-more")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("past the burst: %d, Retry-After %q; want 429 with Retry-After 1", w.Code, w.Header().Get("Retry-After"))
	}
	if w := get(attacker, key); w.Code != http.StatusTooManyRequests {
		t.Fatalf("the limited address with a known key: %d, want 429 (refused before any lookup)", w.Code)
	}
	if w := get("192.0.2.9", "hkl_unknown-elsewhere"); w.Code != http.StatusUnauthorized {
		t.Fatalf("another address: %d, want 401", w.Code)
	}
	for range 2 * auth.UnknownKeyBurst {
		if w := get("127.0.0.1", "hkl_unknown-local"); w.Code != http.StatusUnauthorized {
			t.Fatalf("a loopback peer: %d, want 401 (not limited)", w.Code)
		}
	}
	clk.Add(time.Duration(float64(time.Second) / auth.UnknownKeyRate))
	if w := get(attacker, key); w.Code != http.StatusOK {
		t.Fatalf("after a refill: %d, want 200", w.Code)
	}
}
