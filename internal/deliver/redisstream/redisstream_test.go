package redisstream_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/deliver/brokertest"
	"github.com/hookline/hookline/internal/deliver/redisstream"
	"github.com/hookline/hookline/internal/webhook"
)

const (
	addr = "127.0.0.1:6379"
	url  = "redis://" + addr + "/0"
)

// stream names a stream of this test's own on the local Redis, deleted
// at the end, and a client to read it.
func stream(t *testing.T) (string, *redis.Client) {
	t.Helper()
	brokertest.Need(t, "Redis", addr)
	c := redis.NewClient(&redis.Options{Addr: addr})
	name := "hookline-test-" + webhook.NewID("")
	t.Cleanup(func() {
		c.Del(context.Background(), name)
		c.Close()
	})
	return name, c
}

func TestXAdd(t *testing.T) {
	name, c := stream(t)
	s := redisstream.New(brokertest.Config())
	t.Cleanup(func() { s.Close() })
	var tasks []deliver.Task
	for range 3 {
		task := brokertest.Task(t, webhook.Destination{Type: redisstream.Type, URL: url, Stream: name, MaxLen: 2})
		a, v := s.Send(context.Background(), task)
		if v.Kind != deliver.Delivered || a.ErrorClass != "" || len(a.Answer) < len("XADD 1-0") {
			t.Fatalf("verdict %v, answer %q, error %s %q", v.Kind, a.Answer, a.ErrorClass, a.Error)
		}
		tasks = append(tasks, task)
	}
	entries, err := c.XRange(context.Background(), name, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	// MAXLEN ~ 2 trims whole nodes only, so all three may remain; the
	// newest is last either way.
	if len(entries) == 0 || len(entries) > 3 {
		t.Fatalf("%d entries", len(entries))
	}
	last := entries[len(entries)-1]
	h := map[string]string{}
	for k, v := range last.Values {
		h[k], _ = v.(string)
	}
	brokertest.Verify(t, tasks[len(tasks)-1], h, []byte(h["payload"]))
}

func TestRefusals(t *testing.T) {
	name, c := stream(t)
	// A key of another type: Redis refuses XADD with WRONGTYPE.
	if err := c.Set(context.Background(), name, "not a stream", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s := redisstream.New(brokertest.Config())
	t.Cleanup(func() { s.Close() })
	for _, tt := range []struct {
		name  string
		d     webhook.Destination
		class webhook.ErrorClass
		down  bool
	}{
		{"wrong type", webhook.Destination{URL: url, Stream: name}, webhook.ErrClassBroker, false},
		{"bad credentials", webhook.Destination{URL: "redis://nobody:wrong@" + addr + "/0", Stream: name}, webhook.ErrClassAuth, false},
		{"server down", webhook.Destination{URL: "redis://" + brokertest.Refused(t) + "/0", Stream: name}, webhook.ErrClassConnectionRefused, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.d.Type = redisstream.Type
			a, v := s.Send(context.Background(), brokertest.Task(t, tt.d))
			if v.Kind != deliver.Retry || a.ErrorClass != tt.class || v.Down != tt.down || a.Answer == "" {
				t.Errorf("verdict %v down %v, class %q, answer %q, error %q; want retry down %v, class %q",
					v.Kind, v.Down, a.ErrorClass, a.Answer, a.Error, tt.down, tt.class)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	var v webhook.Validation
	at := webhook.At("destination")
	redisstream.Check(webhook.Destination{URL: "amqp://x", Stream: "s"}, at, &v)
	redisstream.Check(webhook.Destination{URL: url, MaxLen: -1}, at, &v)
	if v.Len() != 3 {
		t.Errorf("%d problems, want 3 (url; stream, maxlen): %v", v.Len(), v.Err())
	}
}

func TestConformance(t *testing.T) {
	name, c := stream(t)
	s := redisstream.New(brokertest.Config())
	t.Cleanup(func() { s.Close() })
	brokertest.Conformance(t, brokertest.Suite{
		Target: addr, Sender: s,
		Dest: func(a string) webhook.Destination {
			return webhook.Destination{Type: redisstream.Type, URL: "redis://" + a + "/0", Stream: name}
		},
		Consume: func(t *testing.T) <-chan string {
			ids := make(chan string, 64)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			t.Cleanup(func() {
				cancel()
				<-done
			})
			go func() {
				defer close(done)
				last := "0"
				for ctx.Err() == nil {
					res, err := c.XRead(ctx, &redis.XReadArgs{Streams: []string{name, last}, Count: 500, Block: time.Second}).Result()
					if err != nil {
						continue // redis.Nil: nothing new within the block
					}
					for _, m := range res[0].Messages {
						last = m.ID
						id, _ := m.Values["webhook-id"].(string)
						select {
						case ids <- id:
						case <-ctx.Done():
							return
						}
					}
				}
			}()
			return ids
		},
	})
}

func BenchmarkSend(b *testing.B) {
	brokertest.Need(b, "Redis", addr)
	name := "hookline-bench-" + webhook.NewID("")
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer func() {
		c.Del(context.Background(), name)
		c.Close()
	}()
	s := redisstream.New(brokertest.Config())
	defer s.Close()
	brokertest.Bench(b, s, webhook.Destination{Type: redisstream.Type, URL: url, Stream: name, MaxLen: 1000})
}

func TestRelease(t *testing.T) {
	name, _ := stream(t)
	brokertest.Released(t, func(cfg deliver.Config) deliver.Sender { return redisstream.New(cfg) },
		webhook.Destination{Type: redisstream.Type, URL: url, Stream: name})
}
