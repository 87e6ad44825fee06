package dispatch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// reclaimStore plays a storage outage longer than a lease: the first
// result write fails; then a claim re-leases the delivery still held in
// memory (its lease ran out in the database) and takes its time returning.
// Result writes are fenced by the lease end, as in the real stores.
type reclaimStore struct {
	fakeStore
	task    store.Task
	due     atomic.Bool
	claimed atomic.Bool

	mu       sync.Mutex
	lease    time.Time // the lease end in the "database"
	writes   int
	applied  int
	refused  int
	inClaim  bool
	duringCl chan struct{} // a result write while a claim was in progress
	failed   chan struct{} // the first write failed
	stored   chan struct{} // a result applied
}

func (s *reclaimStore) DeliveryNextDue(context.Context) (time.Time, error) {
	if s.due.Load() && !s.claimed.Load() {
		return time.Now().Add(-time.Second), nil
	}
	return time.Time{}, nil
}

func (s *reclaimStore) DeliveryClaim(_ context.Context, p store.DeliveryClaimParams) ([]store.Task, error) {
	if !s.due.Load() || s.claimed.Swap(true) {
		return nil, nil
	}
	s.mu.Lock()
	s.lease, s.inClaim = p.Lease.Until, true
	s.mu.Unlock()
	// Committed; before the tasks reach the dispatcher, give a result
	// write the chance to slip in (it must not: it would be fenced with
	// the old lease end). Bounded, since a correct dispatcher makes none.
	select {
	case <-s.duringCl:
	case <-time.After(300 * time.Millisecond):
	}
	s.mu.Lock()
	s.inClaim = false
	s.mu.Unlock()
	t := s.task
	t.Lease = p.Lease
	return []store.Task{t}, nil
}

func (s *reclaimStore) AttemptRecord(_ context.Context, rs []store.AttemptResult) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.writes == 1 {
		close(s.failed)
		return errors.New("storage unavailable")
	}
	if s.inClaim {
		select {
		case s.duringCl <- struct{}{}:
		default:
		}
	}
	for _, r := range rs {
		if r.Lease.Until.Equal(s.lease) {
			s.applied++
			s.stored <- struct{}{}
		} else {
			s.refused++
		}
	}
	return nil
}

// TestReclaimWhileResultWaits: a claim that renews the lease of a delivery
// whose result is still waiting to be stored must not make the result
// miss the new lease (and the delivery go out twice).
func TestReclaimWhileResultWaits(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
	t.Cleanup(srv.Close)
	fs := &reclaimStore{
		fakeStore: *newFakeStore(),
		duringCl:  make(chan struct{}), failed: make(chan struct{}), stored: make(chan struct{}, 10),
	}
	fs.hooks["wh_1"] = webhook.Webhook{ID: "wh_1", URL: srv.URL, Active: true, Format: webhook.FormatEnvelope}
	fs.task = tasks("wh_1", 1)[0]
	first := time.Now().Add(time.Minute).Truncate(time.Microsecond)
	fs.lease = first
	d := New(Config{Store: fs, Owner: "test", Sender: deliver.New(deliver.Config{Client: http.DefaultClient, Version: "test"})})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	task := fs.task
	task.Lease = store.Lease{Owner: "test", Until: first}
	d.Submit([]store.Task{task})
	<-fs.failed // sent; its result waits for storage

	fs.due.Store(true) // the lease ran out in the database: claimable again
	d.Wake()
	select {
	case <-fs.stored:
	case <-time.After(20 * time.Second):
		t.Fatal("the result was never stored")
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.refused != 0 || fs.applied != 1 {
		t.Errorf("results applied %d, refused %d (fenced with the old lease end); want 1 applied, 0 refused", fs.applied, fs.refused)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}
