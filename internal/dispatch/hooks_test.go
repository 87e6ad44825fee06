package dispatch

import (
	"context"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

// slowGetStore serves one webhook whose name is the version it holds; the
// first WebhookGet waits, after reading, until release is closed: a read
// that began before a change and finishes after it.
type slowGetStore struct {
	Store
	version string
	read    chan struct{}
	release chan struct{}
	calls   int
}

func (s *slowGetStore) WebhookGet(ctx context.Context, _ auth.Scope, id string) (webhook.Webhook, error) {
	w := webhook.Webhook{ID: id, Name: s.version, Active: true}
	s.calls++
	if s.calls == 1 {
		close(s.read)
		<-s.release
	}
	return w, nil
}

func (s *slowGetStore) WebhookSecrets(context.Context, auth.Scope, string, time.Time) ([]webhook.Secret, error) {
	return []webhook.Secret{{Value: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}, nil
}

// A read that began before an invalidation must not be cached: it would
// serve the settings from before the change until the TTL ends.
func TestHookCacheKeepsNoReadFromBeforeAChange(t *testing.T) {
	st := &slowGetStore{version: "old", read: make(chan struct{}), release: make(chan struct{})}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newHookCache(st, time.Hour, func() time.Time { return now })
	done := make(chan *cachedHook)
	go func() {
		h, err := c.get(context.Background(), "wh_1")
		if err != nil {
			t.Error(err)
		}
		done <- h
	}()
	<-st.read
	st.version = "new" // the change commits, then its invalidation runs
	c.invalidate("wh_1")
	close(st.release)
	if h := <-done; h.webhook.Name != "old" {
		t.Fatalf("the slow read returned %q; the test's set-up is wrong", h.webhook.Name)
	}
	h, err := c.get(context.Background(), "wh_1")
	if err != nil {
		t.Fatal(err)
	}
	if h.webhook.Name != "new" {
		t.Errorf("after the change the cache serves %q, want the new settings", h.webhook.Name)
	}
}
