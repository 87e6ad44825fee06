package sqlite_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// A full database (capped with max_page_count, which makes SQLite answer
// as it does on a full disk) makes Ping fail, as readiness must, even
// though an empty commit would pass; Ping passes again once a write that
// needs new pages commits.
func TestPingAfterRefusedWrite(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openStore(t, filepath.Join(t.TempDir(), "hookline.db"))
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping on a fresh store: %v", err)
	}
	pages, err := s.PageCount()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetMaxPageCount(pages); err != nil {
		t.Fatal(err)
	}
	big := json.RawMessage(`{"x":"` + strings.Repeat("a", 100<<10) + `"}`)
	_, err = s.EventCreate(ctx, store.EventCreateParams{Event: webhook.Event{
		ID: webhook.NewID(webhook.PrefixEvent), Tenant: webhook.DefaultTenant,
		Type: "order.created", Data: big, CreatedAt: t0}})
	if code := webhook.ErrorCode(err); code != webhook.EUNAVAILABLE {
		t.Fatalf("EventCreate on a full database: code %q (%v), want %q", code, err, webhook.EUNAVAILABLE)
	}
	for range 2 { // the probe must not clear the failure while it fails itself
		if code := webhook.ErrorCode(s.Ping(ctx)); code != webhook.EUNAVAILABLE {
			t.Fatalf("Ping while the database is full: code %q, want %q", code, webhook.EUNAVAILABLE)
		}
	}
	if err := s.SetMaxPageCount(1 << 30); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping once space is back: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("second Ping once space is back: %v", err)
	}
	if _, err := s.EventCreate(ctx, store.EventCreateParams{Event: webhook.Event{
		ID: webhook.NewID(webhook.PrefixEvent), Tenant: webhook.DefaultTenant,
		Type: "order.created", Data: big, CreatedAt: t0}}); err != nil {
		t.Fatalf("EventCreate once space is back: %v", err)
	}
}
