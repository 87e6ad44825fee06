package auth_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/fakeclock"
	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/store/sqlite"
	"github.com/hookline/hookline/internal/store/sqlite/sqlitetest"
	"github.com/hookline/hookline/internal/webhook"
)

const appOrigin = "https://app.example.com"

func portalsOn(st *sqlite.Store, clk *fakeclock.Clock) *auth.Portals {
	return auth.NewPortals(auth.PortalsConfig{Store: st, Audit: st, AllowedOrigins: []string{appOrigin}, Now: clk.Now})
}

func TestPortalMintChecks(t *testing.T) {
	t.Parallel()
	st := sqlitetest.Open(t)
	ps := portalsOn(st, fakeclock.New(t0))
	ctx := context.Background()
	tests := []struct {
		name      string
		mint      auth.PortalMint
		wantCode  webhook.Code
		wantField string
	}{
		{"return URL on another origin", auth.PortalMint{ReturnURL: "https://evil.example.net/x"}, webhook.EUNPROCESSABLE, "return_url"},
		{"return URL on the allowed host over http", auth.PortalMint{ReturnURL: "http://app.example.com/x"}, webhook.EUNPROCESSABLE, "return_url"},
		{"return URL not absolute", auth.PortalMint{ReturnURL: "/settings"}, webhook.EUNPROCESSABLE, "return_url"},
		{"return URL with credentials", auth.PortalMint{ReturnURL: "https://u:p@app.example.com/"}, webhook.EUNPROCESSABLE, "return_url"},
		{"session too long", auth.PortalMint{TTL: 13 * time.Hour}, webhook.EINVALID, "ttl"},
		{"session too short", auth.PortalMint{TTL: time.Second}, webhook.EINVALID, "ttl"},
		{"glob in the middle", auth.PortalMint{EventTypes: []string{"order.created", "pay*ment"}}, webhook.EINVALID, "event_types[1]"},
		{"bare star", auth.PortalMint{EventTypes: []string{"*"}}, webhook.EINVALID, "event_types[0]"},
	}
	for _, tt := range tests {
		tt.mint.Tenant = "acme"
		_, _, err := ps.Mint(ctx, auth.System(), tt.mint)
		e, ok := errors.AsType[*webhook.Error](err)
		if !ok || e.Code != tt.wantCode || e.Field != tt.wantField {
			t.Errorf("%s: %v; want %s at %s", tt.name, err, tt.wantCode, tt.wantField)
		}
	}
	l, token, err := ps.Mint(ctx, auth.System(), auth.PortalMint{Tenant: "acme",
		ReturnURL: appOrigin + "/settings", EventTypes: []string{"payment_*", "order.created"}})
	if err != nil {
		t.Fatalf("Mint of a good link: %v", err)
	}
	if len(token) < 22 || l.SessionTTL != auth.PortalDefaultSessionTTL || !l.ExpiresAt.Equal(t0.Add(auth.PortalOpenTTL)) {
		t.Errorf("Mint: token %q, link %+v; want ≥128 bits, the default session and 15 min to open", token, l)
	}
}

// A link opens once, into a session that ends after its TTL; a used,
// expired or forged token says which it was.
func TestPortalOpenOnce(t *testing.T) {
	t.Parallel()
	st := sqlitetest.Open(t)
	clk := fakeclock.New(t0)
	ps := portalsOn(st, clk)
	ctx := context.Background()
	_, token, err := ps.Mint(ctx, auth.System(), auth.PortalMint{Tenant: "acme", TTL: 2 * time.Hour, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	l, session, err := ps.Open(ctx, token)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if got, err := ps.Lookup(ctx, session); err != nil || got.ID != l.ID || got.Tenant != "acme" || !got.ReadOnly {
		t.Fatalf("Lookup: %+v, %v", got, err)
	}
	p := auth.PortalPrincipal(l)
	if p.Actor() != "portal:acme" || p.Tenant() != "acme" || !p.ReadOnly || p.Can(auth.ScopeAdmin) || !p.Can(auth.ScopeRead) {
		t.Errorf("PortalPrincipal of a read-only link: %+v (actor %s)", p, p.Actor())
	}

	_, _, err = ps.Open(ctx, token)
	inv, ok := errors.AsType[*auth.ErrPortalLinkInvalid](err)
	if !ok || inv.Link == nil || inv.Link.OpenedAt == nil || inv.Error() != "this portal link has been used already" {
		t.Errorf("Open of a used link: %v", err)
	}
	if _, err := ps.Lookup(ctx, token); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("Lookup with the link's token: %v, want ErrNoSession", err)
	}
	clk.Add(2 * time.Hour)
	if _, err := ps.Lookup(ctx, session); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("Lookup after the session's TTL: %v, want ErrNoSession", err)
	}

	_, late, err := ps.Mint(ctx, auth.System(), auth.PortalMint{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(auth.PortalOpenTTL)
	_, _, err = ps.Open(ctx, late)
	if inv, ok := errors.AsType[*auth.ErrPortalLinkInvalid](err); !ok || inv.Link == nil || inv.Error() != "this portal link has expired" {
		t.Errorf("Open after 15 min: %v", err)
	}
	_, _, err = ps.Open(ctx, "forged-"+late[7:])
	if inv, ok := errors.AsType[*auth.ErrPortalLinkInvalid](err); !ok || inv.Link != nil {
		t.Errorf("Open of a forged token: %v", err)
	}
}

// Neither a link's token nor its session's is in the database file.
func TestPortalTokensNotStored(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	box, err := secretbox.New(secretbox.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(filepath.Join(dir, "hookline.db"), sqlite.Options{Sealer: box})
	if err != nil {
		t.Fatal(err)
	}
	ps := portalsOn(st, fakeclock.New(t0))
	ctx := context.Background()
	_, used, err := ps.Mint(ctx, auth.System(), auth.PortalMint{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	_, session, err := ps.Open(ctx, used)
	if err != nil {
		t.Fatal(err)
	}
	_, unused, err := ps.Mint(ctx, auth.System(), auth.PortalMint{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if !bytes.Contains(all, []byte("acme")) {
		t.Fatal("the database files do not hold the links at all: the test reads the wrong files")
	}
	for name, tok := range map[string]string{"used link": used, "unused link": unused, "session": session} {
		if bytes.Contains(all, []byte(tok)) {
			t.Errorf("the %s's token is in the database file", name)
		}
	}
}
