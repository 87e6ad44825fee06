package bench

import (
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// receiverConfig shapes the bench receiver's answers.
type receiverConfig struct {
	Latency     time.Duration // added to every healthy answer
	SlowLatency time.Duration // for paths under /slow/
	FailRate    float64       // share of answers that fail
	FailStatus  int
}

// arrival is one request the receiver got.
type arrival struct {
	id     string // webhook-id: the event id
	at     time.Time
	slow   bool
	failed bool // answered with the failure status
}

// receiver is a loopback HTTP server that records when each delivery
// arrived, for ingest→receipt latency.
type receiver struct {
	cfg      receiverConfig
	ln       net.Listener
	srv      *http.Server
	mu       sync.Mutex
	arrivals []arrival
	count    atomic.Int64
	failed   atomic.Int64
	stop     chan struct{} // closed to release slow handlers at shutdown
}

func startReceiver(cfg receiverConfig) (*receiver, error) { return startReceiverAt(cfg, "127.0.0.1:0") }

// startReceiverAt listens on addr (loopback).
func startReceiverAt(cfg receiverConfig, addr string) (*receiver, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	r := &receiver{cfg: cfg, ln: ln, arrivals: make([]arrival, 0, 1<<16), stop: make(chan struct{})}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

func (r *receiver) URL() string { return "http://" + r.ln.Addr().String() }

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	_, _ = io.Copy(io.Discard, req.Body)
	slow := strings.HasPrefix(req.URL.Path, "/slow/")
	fail := r.cfg.FailRate > 0 && rand.Float64() < r.cfg.FailRate
	r.mu.Lock()
	r.arrivals = append(r.arrivals, arrival{id: req.Header.Get("webhook-id"), at: now, slow: slow, failed: fail})
	r.mu.Unlock()
	if !slow {
		r.count.Add(1) // the drain waits for healthy deliveries only
	}
	delay := r.cfg.Latency
	if slow {
		delay = r.cfg.SlowLatency
	}
	if delay > 0 {
		// The simulated endpoint's own response time.
		select {
		case <-time.After(delay):
		case <-r.stop:
		case <-req.Context().Done():
		}
	}
	if fail {
		r.failed.Add(1)
		w.WriteHeader(r.cfg.FailStatus)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// record notes a message consumed from a broker destination (webhook-id
// id) as an arrival, as ServeHTTP does for an HTTP delivery.
func (r *receiver) record(id string) {
	now := time.Now()
	r.mu.Lock()
	r.arrivals = append(r.arrivals, arrival{id: id, at: now})
	r.mu.Unlock()
	r.count.Add(1)
}

// delivered counts the healthy, successful arrivals of the events in ids.
func (r *receiver) delivered(ids map[string]time.Time) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n int64
	for _, a := range r.arrivals {
		if _, ok := ids[a.id]; ok && !a.slow && !a.failed {
			n++
		}
	}
	return n
}

func (r *receiver) snapshot() []arrival {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]arrival(nil), r.arrivals...)
}

func (r *receiver) close() {
	close(r.stop)
	r.srv.Close()
}
