package deliver_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/webhook"
)

// releasing is a destination type that records the webhooks released.
type releasing struct {
	mu       sync.Mutex
	released []string
}

func (r *releasing) Send(context.Context, deliver.Task) (webhook.Attempt, deliver.Verdict) {
	return webhook.Attempt{}, deliver.Verdict{Kind: deliver.Delivered}
}

func (r *releasing) Release(webhookID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.released = append(r.released, webhookID)
}

var theReleasing = &releasing{}

func init() {
	deliver.Register("test-releasing", func(deliver.Config) (deliver.Sender, error) { return theReleasing, nil })
}

// TestSendersInvalidate: a webhook change (the registry's Invalidate)
// reaches every sender that keeps connections; "everything changed" (an
// empty id) releases nothing.
func TestSendersInvalidate(t *testing.T) {
	s, err := deliver.Open(deliver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s.Invalidate("wh_1")
	s.Invalidate("")
	theReleasing.mu.Lock()
	defer theReleasing.mu.Unlock()
	if !slices.Equal(theReleasing.released, []string{"wh_1"}) {
		t.Errorf("released %q, want [wh_1]", theReleasing.released)
	}
}
