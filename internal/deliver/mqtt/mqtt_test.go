package mqtt_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/deliver/brokertest"
	"github.com/hookline/hookline/internal/deliver/mqtt"
	"github.com/hookline/hookline/internal/webhook"
)

const (
	addr = "127.0.0.1:1883"
	url  = "mqtt://" + addr
)

// subscribe subscribes at QoS 1 to a topic of this test's own on the
// local Mosquitto.
func subscribe(t *testing.T) (string, <-chan paho.Message) {
	t.Helper()
	brokertest.Need(t, "Mosquitto", addr)
	topic := "hookline/test/" + webhook.NewID("")
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("sub-" + webhook.NewID("")))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	msgs := make(chan paho.Message, 10)
	if tok := c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) { msgs <- m }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return topic, msgs
}

func TestPublishQoS1(t *testing.T) {
	topic, msgs := subscribe(t)
	s := mqtt.New(brokertest.Config())
	t.Cleanup(func() { s.Close() })
	for range 2 {
		task := brokertest.Task(t, webhook.Destination{Type: mqtt.Type, URL: url, Topic: topic, QoS: 1})
		a, v := s.Send(context.Background(), task)
		if v.Kind != deliver.Delivered || a.Answer != "PUBACK" {
			t.Fatalf("verdict %v, answer %q, error %s %q", v.Kind, a.Answer, a.ErrorClass, a.Error)
		}
		select {
		case m := <-msgs:
			var env mqtt.Envelope
			if err := json.Unmarshal(m.Payload(), &env); err != nil {
				t.Fatalf("payload %s: %v", m.Payload(), err)
			}
			brokertest.Verify(t, task, env.Headers, []byte(env.Body))
		case <-time.After(10 * time.Second):
			t.Fatal("the message never reached the subscriber")
		}
	}
}

func TestRefusals(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	private := brokertest.Private(t, "mosquitto", func(port int) []string {
		// No anonymous clients and no users: every login is refused.
		os.WriteFile(conf, []byte("listener "+strconv.Itoa(port)+" 127.0.0.1\nallow_anonymous false\n"), 0o600)
		return []string{"-c", conf}
	})
	s := mqtt.New(brokertest.Config())
	t.Cleanup(func() { s.Close() })
	for _, tt := range []struct {
		name  string
		url   string
		class webhook.ErrorClass
		down  bool
	}{
		{"bad credentials", "mqtt://hookline:wrong@" + private, webhook.ErrClassAuth, false},
		{"broker down", "mqtt://" + brokertest.Refused(t), webhook.ErrClassConnectionRefused, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, v := s.Send(context.Background(), brokertest.Task(t, webhook.Destination{Type: mqtt.Type, URL: tt.url, Topic: "t"}))
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
	mqtt.Check(webhook.Destination{URL: "nats://x", Topic: "a"}, at, &v)
	mqtt.Check(webhook.Destination{URL: url, Topic: "a/#", QoS: 2}, at, &v)
	mqtt.Check(webhook.Destination{URL: url}, at, &v)
	if v.Len() != 4 {
		t.Errorf("%d problems, want 4: %v", v.Len(), v.Err())
	}
}

func TestConformance(t *testing.T) {
	topic, msgs := subscribe(t)
	s := mqtt.New(brokertest.Config())
	t.Cleanup(func() { s.Close() })
	brokertest.Conformance(t, brokertest.Suite{
		Target: addr, Sender: s,
		Dest: func(a string) webhook.Destination {
			return webhook.Destination{Type: mqtt.Type, URL: "mqtt://" + a, Topic: topic}
		},
		Consume: func(t *testing.T) <-chan string {
			ids := make(chan string, 64)
			go func() {
				for m := range msgs {
					var env mqtt.Envelope
					if json.Unmarshal(m.Payload(), &env) == nil {
						ids <- env.Headers["webhook-id"]
					}
				}
			}()
			return ids
		},
	})
}

func BenchmarkSend(b *testing.B) {
	brokertest.Need(b, "Mosquitto", addr)
	s := mqtt.New(brokertest.Config())
	defer s.Close()
	// No subscriber: the broker acknowledges (PUBACK) and drops.
	brokertest.Bench(b, s, webhook.Destination{Type: mqtt.Type, URL: url, Topic: "hookline/bench/" + webhook.NewID("")})
}

func TestRelease(t *testing.T) {
	topic, _ := subscribe(t)
	brokertest.Released(t, func(cfg deliver.Config) deliver.Sender { return mqtt.New(cfg) },
		webhook.Destination{Type: mqtt.Type, URL: url, Topic: topic, QoS: 1})
}
