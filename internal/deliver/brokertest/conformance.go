package brokertest

import (
	"context"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/webhook"
)

// Proxy is a TCP proxy in front of a broker that a test can take down and
// bring back: the broker stays up for the other test packages sharing it,
// while this test's sender sees its connections cut and new ones closed
// at once.
type Proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

// StartProxy listens on a free loopback port and forwards to target until
// the end of t.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.Down()
	})
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Down cuts every connection through the proxy and closes new ones at
// once, as a broker that went away does.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Up forwards new connections again.
func (p *Proxy) Up() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *Proxy) forward(c net.Conn) {
	p.mu.Lock()
	down := p.down
	p.mu.Unlock()
	if down {
		c.Close()
		return
	}
	b, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		b.Close()
		return
	}
	p.conns[c], p.conns[b] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(b, c)
	go pipe(c, b)
	<-done
	c.Close()
	b.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, b)
	p.mu.Unlock()
}

// Suite is a sender and its broker as the conformance suite runs them.
type Suite struct {
	// Target is the broker's host:port.
	Target string
	// Sender is the destination type's sender, made with Config.
	Sender deliver.Sender
	// Dest is the destination that publishes to the broker at addr
	// (host:port: the suite's proxy).
	Dest func(addr string) webhook.Destination
	// Consume starts consuming what Dest publishes, before anything is
	// sent, and returns the webhook-id of every message consumed.
	Consume func(t *testing.T) <-chan string
}

// Conformance is the sender conformance suite every broker destination
// runs against its real server: 1,000 events (10,000 with
// HOOKLINE_LONG=1) are sent one after another, each retried until
// delivered, as dispatch would; halfway the broker becomes unreachable
// (the proxy cuts every connection and refuses new ones) for a few
// attempts, which must each be a Retry; then every event must be consumed
// at least once with its id, none missing.
func Conformance(t *testing.T, s Suite) {
	t.Helper()
	n := 1000
	if os.Getenv("HOOKLINE_LONG") == "1" {
		n = 10000
	}
	proxy := StartProxy(t, s.Target)
	ids := s.Consume(t)
	d := s.Dest(proxy.Addr())
	want := make(map[string]bool, n)
	ctx := context.Background()
	for i := range n {
		if i == n/2 {
			proxy.Down()
			for range 3 {
				a, v := s.Sender.Send(ctx, Task(t, d))
				if v.Kind != deliver.Retry || a.ErrorClass == "" || a.Answer == "" {
					t.Fatalf("broker unreachable: verdict %v, class %q, answer %q; want a retry with its answer",
						v.Kind, a.ErrorClass, a.Answer)
				}
			}
			proxy.Up()
		}
		task := Task(t, d)
		want[task.Event.ID] = true
		// Bounded, as the retry schedule is: after the broker is back, the
		// pool dials anew, so one failed attempt at most is expected.
		for try := 1; ; try++ {
			a, v := s.Sender.Send(ctx, task)
			if v.Kind == deliver.Delivered {
				break
			}
			if v.Kind != deliver.Retry || try == 5 {
				t.Fatalf("event %d, attempt %d: verdict %v, class %q, error %q", i, try, v.Kind, a.ErrorClass, a.Error)
			}
		}
	}
	seen := 0
	timeout := time.NewTimer(60 * time.Second)
	defer timeout.Stop()
	for seen < n {
		select {
		case id := <-ids:
			if want[id] {
				delete(want, id)
				seen++
			}
		case <-timeout.C:
			t.Fatalf("%d of %d events consumed; %d missing", seen, n, len(want))
		}
	}
}

// Bench measures s's deliveries per second to d: b.N events, sent by
// GOMAXPROCS×4 goroutines at once (as dispatch workers would), each
// waiting for the broker's acknowledgement. A failed attempt fails the
// benchmark.
func Bench(b *testing.B, s deliver.Sender, d webhook.Destination) {
	base := Task(b, d)
	ctx := context.Background()
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			task := base
			task.Event.ID = webhook.NewID(webhook.PrefixEvent)
			task.DeliveryID = webhook.NewID("dlv_")
			if a, v := s.Send(ctx, task); v.Kind != deliver.Delivered {
				b.Errorf("send: %v %s %q", v.Kind, a.ErrorClass, a.Error)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}
