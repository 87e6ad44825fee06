package brokertest

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/webhook"
)

// Released checks that a broker sender closes a webhook's connections when
// the webhook changes (deliver.Releaser), unless another webhook still
// uses them: two webhooks send to d; releasing the first keeps every
// connection open; releasing the second closes them all (within 10 s, as
// closing runs in the background); the next attempt dials anew.
func Released(t *testing.T, newSender func(deliver.Config) deliver.Sender, d webhook.Destination) {
	t.Helper()
	var mu sync.Mutex
	var conns []*watched
	cfg := Config()
	dial := cfg.Dial
	cfg.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		w := &watched{Conn: c, closed: make(chan struct{})}
		mu.Lock()
		conns = append(conns, w)
		mu.Unlock()
		return w, nil
	}
	s := newSender(cfg)
	t.Cleanup(func() {
		if c, ok := s.(interface{ Close() error }); ok {
			c.Close()
		}
	})
	r, ok := s.(deliver.Releaser)
	if !ok {
		t.Fatalf("%T is no deliver.Releaser", s)
	}
	send := func(task deliver.Task) {
		t.Helper()
		if a, v := s.Send(context.Background(), task); v.Kind != deliver.Delivered {
			t.Fatalf("verdict %v, class %q, error %q", v.Kind, a.ErrorClass, a.Error)
		}
	}
	open := func() (n int) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			select {
			case <-c.closed:
			default:
				n++
			}
		}
		return n
	}
	a, b := Task(t, d), Task(t, d)
	send(a)
	send(b)
	if open() == 0 {
		t.Fatal("no connection open after two deliveries")
	}
	r.Release(a.Webhook.ID)
	send(b)
	if open() == 0 {
		t.Fatal("releasing one of two webhooks closed the connection the other uses")
	}
	r.Release(b.Webhook.ID)
	mu.Lock()
	all := append([]*watched(nil), conns...)
	mu.Unlock()
	deadline := time.After(10 * time.Second)
	for _, c := range all {
		select {
		case <-c.closed:
		case <-deadline:
			t.Fatalf("%d connection(s) still open after both webhooks were released", open())
		}
	}
	dialled := len(all)
	send(b)
	mu.Lock()
	defer mu.Unlock()
	if len(conns) == dialled {
		t.Error("the attempt after the release dialled no new connection")
	}
}

// watched is a connection that says when it is closed.
type watched struct {
	net.Conn
	once   sync.Once
	closed chan struct{}
}

func (w *watched) Close() error {
	w.once.Do(func() { close(w.closed) })
	return w.Conn.Close()
}
