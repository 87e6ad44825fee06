package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"
)

// fifoReceiver is a real receiver for FIFO webhooks: it fails a fifth of
// the requests at random (500) and records, per ordering key, the events
// it accepted in the order it accepted them, and the most requests of one
// key it had in hand at once.
type fifoReceiver struct {
	URL      string
	mu       sync.Mutex
	rnd      *rand.Rand
	accepted map[string][]int // key -> n of each accepted event, in order
	inFlight map[string]int
	maxIn    int
	requests int
	distinct map[string]bool // path and event id of each event accepted
	want     int
	done     chan struct{}
}

func startFIFOReceiver(t *testing.T, want int) *fifoReceiver {
	t.Helper()
	f := &fifoReceiver{rnd: rand.New(rand.NewPCG(18, 2026)), accepted: map[string][]int{}, inFlight: map[string]int{},
		distinct: map[string]bool{}, want: want, done: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	f.URL = "http://" + ln.Addr().String()
	return f
}

func (f *fifoReceiver) serve(w http.ResponseWriter, r *http.Request) {
	var env struct {
		ID   string `json:"id"`
		Data struct {
			Key string `json:"customer_id"`
			N   int    `json:"n"`
		} `json:"data"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &env); err != nil {
		http.Error(w, "bad body", 400)
		return
	}
	// Each webhook has its own path: its keys are its own.
	k := r.URL.Path + " " + env.Data.Key
	f.mu.Lock()
	f.requests++
	f.inFlight[k]++
	f.maxIn = max(f.maxIn, f.inFlight[k])
	fail := f.rnd.IntN(5) == 0
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight[k]--
		f.mu.Unlock()
	}()
	if fail {
		http.Error(w, "try again", 500)
		return
	}
	f.mu.Lock()
	f.accepted[k] = append(f.accepted[k], env.Data.N)
	if id := r.URL.Path + " " + env.ID; !f.distinct[id] {
		f.distinct[id] = true
		if len(f.distinct) == f.want {
			close(f.done)
		}
	}
	f.mu.Unlock()
	w.WriteHeader(200)
}

// wait blocks until every event was accepted once, or bound passes.
func (f *fifoReceiver) wait(t *testing.T, bound time.Duration) {
	t.Helper()
	select {
	case <-f.done:
	case <-time.After(bound):
		f.mu.Lock()
		defer f.mu.Unlock()
		t.Fatalf("receiver accepted %d distinct events of %d in %s (%d requests)", len(f.distinct), f.want, bound, f.requests)
	}
}

// check reports every key of the webhook at path whose accepted events
// (a repeat right after itself is an at-least-once resend, not a
// reordering) are not its published order, and a key with two requests
// in hand at once.
func (f *fifoReceiver) check(t *testing.T, path string, published map[string][]int) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, want := range published {
		got := slices.Compact(slices.Clone(f.accepted[path+" "+k]))
		if !slices.Equal(got, want) {
			t.Errorf("webhook %s, key %s: accepted %v, published %v", path, k, f.accepted[path+" "+k], want)
		}
	}
	if f.maxIn > 1 {
		t.Errorf("%d requests of one key in hand at once, want 1", f.maxIn)
	}
}

// fifoLoad is the FIFO test's size: 1,000 events over 50 keys, 5,000
// with HOOKLINE_LONG=1.
func fifoLoad() (events, keys int) {
	if os.Getenv("HOOKLINE_LONG") == "1" {
		return 5000, 50
	}
	return 1000, 50
}

// publishFIFO publishes events spread over keys from a few publishers,
// each owning some keys and publishing each key's events in order, so
// each key's publish (commit) order is known; it returns it.
func publishFIFO(t *testing.T, events, keys, publishers int, publish func(key string, n int) error) map[string][]int {
	t.Helper()
	published := map[string][]int{}
	byPublisher := make([][][2]any, publishers)
	for n := range events {
		k := fmt.Sprintf("cus_%02d", n%keys)
		p := (n % keys) % publishers
		byPublisher[p] = append(byPublisher[p], [2]any{k, n})
		published[k] = append(published[k], n)
	}
	var wg sync.WaitGroup
	errs := make(chan error, publishers)
	for _, list := range byPublisher {
		wg.Go(func() {
			for _, e := range list {
				if err := publish(e[0].(string), e[1].(int)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return published
}

// TestFIFOUnderRetries: a FIFO webhook keyed by data.customer_id whose
// receiver fails a fifth of the requests: every key's events are accepted
// in publish order, one request of a key at a time, none missing, while
// the keys go in parallel.
func TestFIFOUnderRetries(t *testing.T) {
	t.Parallel()
	events, keys := fifoLoad()
	sched := make([]time.Duration, 12)
	for i := range sched {
		sched[i] = 20 * time.Millisecond
	}
	s := startServer(t, withRetrySchedule(sched...))
	f := startFIFOReceiver(t, events)
	var w webhookResp
	s.mustDo(201, "POST", "/api/v1/webhooks", map[string]any{
		"name": "ledger", "url": f.URL, "events": []string{"payment_received"},
		"ordering": "fifo", "ordering_key": "data.customer_id",
	}, &w)
	published := publishFIFO(t, events, keys, 5, func(key string, n int) error {
		var r struct {
			ID string `json:"id"`
		}
		if code := s.do("POST", "/api/v1/events", map[string]any{"type": "payment_received",
			"data": map[string]any{"customer_id": key, "n": n}}, &r); code != 202 {
			return fmt.Errorf("publish %d: status %d", n, code)
		}
		return nil
	})
	f.wait(t, 120*time.Second)
	f.check(t, "/", published)

	// The API numbers each key's deliveries in publish order.
	var page struct {
		Data []struct {
			Sequence    int64  `json:"sequence"`
			OrderingKey string `json:"ordering_key"`
			EventID     string `json:"event_id"`
		} `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/deliveries?webhook_id="+w.ID+"&limit=100", nil, &page)
	last := map[string]int64{}
	for i := len(page.Data) - 1; i >= 0; i-- { // oldest first
		d := page.Data[i]
		if d.Sequence <= last[d.OrderingKey] || d.OrderingKey == "" {
			t.Errorf("delivery of event %s: sequence %d key %q after %d", d.EventID, d.Sequence, d.OrderingKey, last[d.OrderingKey])
		}
		last[d.OrderingKey] = d.Sequence
	}
	f.mu.Lock()
	t.Logf("%d events over %d keys: %d requests (a fifth failed), max %d in hand per key", events, keys, f.requests, f.maxIn)
	f.mu.Unlock()
}
