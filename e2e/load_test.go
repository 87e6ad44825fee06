package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/config"
)

// publishConcurrently publishes bodies from several goroutines and returns
// the replies' ids in body order. It uses its own client and closes its
// connections before the server stops: concurrent requests can leave a
// dialed connection that never carried a request, which http.Server's
// Shutdown waits 5 seconds for (see TestShutdownGraceExpiry).
func publishConcurrently(t *testing.T, s *server, bodies []string, workers int) []string {
	t.Helper()
	tr := &http.Transport{}
	client := &http.Client{Transport: tr}
	t.Cleanup(tr.CloseIdleConnections)
	out := make([]string, len(bodies))
	errs := make(chan error, len(bodies))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := s.rawNoFatal(client, "POST", "/api/v1/events", bodies[i])
				if r.err != nil || r.Status/100 != 2 {
					errs <- fmt.Errorf("publish %d: %v %d %s", i, r.err, r.Status, r.Body)
					continue
				}
				var rep struct {
					ID string `json:"id"`
				}
				json.Unmarshal(r.Body, &rep)
				out[i] = rep.ID
			}
		}()
	}
	for i := range bodies {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	return out
}

type rawResult struct {
	httpResult
	err error
}

// rawNoFatal is an admin POST usable from goroutines other than the test's.
func (s *server) rawNoFatal(client *http.Client, method, path, body string) rawResult {
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		return rawResult{err: err}
	}
	req.Header.Set("Authorization", "Bearer "+s.Key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return rawResult{err: err}
	}
	defer resp.Body.Close()
	buf, err := io.ReadAll(resp.Body)
	return rawResult{httpResult: httpResult{Status: resp.StatusCode, Header: resp.Header, Body: buf}, err: err}
}

func TestConcurrentIdempotentPublish(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	s.createWebhook(rc.URL, "payment_received")
	bodies := make([]string, 40)
	for i := range bodies {
		bodies[i] = fmt.Sprintf(`{"type":"payment_received","data":{"try":%d},"idempotency_key":"same-key"}`, i)
	}
	got := publishConcurrently(t, s, bodies, 20)
	for i, id := range got {
		if id != got[0] {
			t.Fatalf("publish %d returned %q, publish 0 %q: one idempotency key must map to one event", i, id, got[0])
		}
	}
	marker := s.publish("payment_received", map[string]any{"marker": true})
	reqs := rc.waitID(t, marker)
	if n := count(ids(reqs), got[0]); n != 1 {
		t.Errorf("the event was delivered %d times, want once", n)
	}
}

// More deliveries than the in-memory queue holds: the overflow waits in the
// database and every event still arrives exactly once.
func TestQueueOverflowDeliversEachOnce(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *config.Config) {
		c.QueueCapacity = 100
		c.PerWebhook = 2
		c.Workers = 4
	})
	rc := startReceiver(t, nil)
	s.createWebhook(rc.URL, "payment_received")
	s.createWebhook(rc.URL+"/second", "payment_received")
	bodies := make([]string, 150)
	for i := range bodies {
		bodies[i] = fmt.Sprintf(`{"type":"payment_received","data":{"n":%d}}`, i)
	}
	evs := publishConcurrently(t, s, bodies, 16)
	rc.wait(t, 2*len(evs))
	marker := s.publish("payment_received", map[string]any{"marker": true})
	reqs := rc.waitIDs(t, marker, 2)
	perPath := map[string]map[string]int{}
	for _, r := range reqs {
		if perPath[r.Path] == nil {
			perPath[r.Path] = map[string]int{}
		}
		perPath[r.Path][r.Header.Get("webhook-id")]++
	}
	for _, path := range []string{"/", "/second"} {
		for _, id := range evs {
			if n := perPath[path][id]; n != 1 {
				t.Errorf("%s got event %s %d times, want once", path, id, n)
			}
		}
	}
}

// An attempt cut short by shutdown is not lost: the next start sends it
// again at once.
func TestShutdownInterruptedAttemptResumes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	opts := func(c *config.Config) {
		c.DataDir = dir
		c.ShutdownTimeout = time.Second
		c.RetrySchedule = []time.Duration{time.Hour}
	}
	g := newGate(t)
	rc := startReceiver(t, func(r *http.Request, n int) (int, http.Header, string) {
		if n == 0 {
			g.hold(r)
		}
		return 200, nil, "ok"
	})
	s1 := startServer(t, opts)
	s1.createWebhook(rc.URL, "payment_received")
	id := s1.publish("payment_received", map[string]any{})
	g.waitHeld(t)
	s1.stop() // waits ShutdownTimeout for the held attempt, then cuts it

	s2 := startServer(t, opts)
	got := rc.wait(t, 2)
	if got[1].Header.Get("webhook-id") != id {
		t.Errorf("after restart the receiver got %q, want %s again", got[1].Header.Get("webhook-id"), id)
	}
	d := s2.waitDelivery(s2.onlyDelivery(id).ID, "delivery succeeded", func(d deliveryResp) bool { return d.Status == "succeeded" })
	if d.Attempts != 1 {
		t.Logf("attempts after resume: %d (the cut attempt may or may not be logged)", d.Attempts)
	}
}

// Deliveries waiting in memory behind a slow endpoint must not be handed out
// a second time when their lease, taken at publish time, runs out before
// their turn comes: each event still arrives exactly once.
func TestSlowEndpointBacklogDeliveredOnce(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *config.Config) {
		c.DeliveryTimeout = time.Second
		c.LeaseDuration = 1500 * time.Millisecond
		c.PerWebhook = 1
	})
	rc := startReceiver(t, func(r *http.Request, _ int) (int, http.Header, string) {
		select { // a slow but healthy endpoint: 300ms per request
		case <-time.After(300 * time.Millisecond):
		case <-r.Context().Done():
		}
		return 200, nil, "ok"
	})
	s.createWebhook(rc.URL, "payment_received")
	var evs []string
	for i := range 12 {
		evs = append(evs, s.publish("payment_received", map[string]any{"n": i}))
	}
	for _, id := range evs {
		rc.waitID(t, id)
	}
	// Anything handed out twice is queued before a marker published now.
	marker := s.publish("payment_received", map[string]any{"marker": true})
	reqs := rc.waitID(t, marker)
	for _, id := range evs {
		if n := count(ids(reqs), id); n != 1 {
			t.Errorf("event %s delivered %d times, want once", id, n)
		}
	}
	if len(reqs) != len(evs)+1 {
		t.Errorf("receiver got %d requests for %d events", len(reqs), len(evs)+1)
	}
}
