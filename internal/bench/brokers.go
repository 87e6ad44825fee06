package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/redis/go-redis/v9"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Destination types the bench can deliver to besides HTTP: the webhooks
// publish to the broker, and the bench consumes from it to time each
// arrival, as its HTTP receiver does.
var destinationTypes = []string{"http", "rabbitmq", "nats", "redis", "mqtt", "kafka"}

// brokerSink is the bench's side of a broker destination: the destination
// its webhooks get, and a consumer recording each message's webhook-id in
// the receiver until close.
type brokerSink struct {
	dest  map[string]any
	close func()
}

// startBrokerSink prepares a target of its own on the broker (a queue, a
// stream, a topic named after unique) and starts consuming it into rc.
func startBrokerSink(ctx context.Context, cfg Config, rc *receiver) (*brokerSink, error) {
	unique := strconv.FormatInt(time.Now().UnixNano(), 36)
	switch cfg.Destination {
	case "rabbitmq":
		return rabbitSink(cfg.DestinationURL, "hookline-bench-"+unique, rc)
	case "nats":
		return natsSink(ctx, cfg.DestinationURL, unique, rc)
	case "redis":
		return redisSink(ctx, cfg.DestinationURL, "hookline-bench-"+unique, rc)
	case "mqtt":
		return mqttSink(cfg.DestinationURL, "hookline/bench/"+unique, rc)
	case "kafka":
		return kafkaSink(ctx, cfg.Brokers, "hookline-bench-"+unique, rc)
	}
	return nil, fmt.Errorf("--destination %q: not a broker type", cfg.Destination)
}

func rabbitSink(url, queue string, rc *receiver) (*brokerSink, error) {
	c, err := amqp.Dial(url)
	if err != nil {
		return nil, err
	}
	ch, err := c.Channel()
	if err != nil {
		c.Close()
		return nil, err
	}
	// Auto-deleted with the bench's connection.
	if _, err := ch.QueueDeclare(queue, false, true, true, false, nil); err != nil {
		c.Close()
		return nil, err
	}
	msgs, err := ch.Consume(queue, "", true, true, false, false, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	go func() {
		for m := range msgs {
			id, _ := m.Headers["webhook-id"].(string)
			rc.record(id)
		}
	}()
	return &brokerSink{dest: map[string]any{"type": "rabbitmq", "url": url, "routing_key": queue},
		close: func() { c.Close() }}, nil
}

func natsSink(ctx context.Context, url, unique string, rc *receiver) (*brokerSink, error) {
	nc, err := nats.Connect(url)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	name, subject := "HOOKLINE_BENCH_"+strings.ToUpper(unique), "hookline.bench."+unique
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{subject}, Storage: jetstream.MemoryStorage})
	if err != nil {
		nc.Close()
		return nil, err
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		nc.Close()
		return nil, err
	}
	cc, err := cons.Consume(func(m jetstream.Msg) { rc.record(m.Headers().Get("webhook-id")) })
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &brokerSink{dest: map[string]any{"type": "nats", "url": url, "subject": subject}, close: func() {
		cc.Stop()
		js.DeleteStream(context.Background(), name)
		nc.Close()
	}}, nil
}

func redisSink(ctx context.Context, url, stream string, rc *receiver) (*brokerSink, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	c := redis.NewClient(opt)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		last := "0"
		for ctx.Err() == nil {
			res, err := c.XRead(ctx, &redis.XReadArgs{Streams: []string{stream, last}, Count: 1000, Block: time.Second}).Result()
			if err != nil {
				continue // redis.Nil: nothing new within the block
			}
			for _, m := range res[0].Messages {
				last = m.ID
				id, _ := m.Values["webhook-id"].(string)
				rc.record(id)
			}
		}
	}()
	return &brokerSink{dest: map[string]any{"type": "redis", "url": url, "stream": stream}, close: func() {
		cancel()
		<-done
		c.Del(context.Background(), stream)
		c.Close()
	}}, nil
}

func mqttSink(url, topic string, rc *receiver) (*brokerSink, error) {
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("hookline-bench-" + strings.ReplaceAll(topic, "/", "-")))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return nil, fmt.Errorf("mqtt connect: %v", tok.Error())
	}
	tok := c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
		var env struct {
			Headers map[string]string `json:"headers"`
		}
		if json.Unmarshal(m.Payload(), &env) == nil {
			rc.record(env.Headers["webhook-id"])
		}
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		c.Disconnect(100)
		return nil, fmt.Errorf("mqtt subscribe: %v", tok.Error())
	}
	return &brokerSink{dest: map[string]any{"type": "mqtt", "url": url, "topic": topic, "qos": 1},
		close: func() { c.Disconnect(100) }}, nil
}

func kafkaSink(ctx context.Context, brokers []string, topic string, rc *receiver) (*brokerSink, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return nil, err
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic, t.NumPartitions, t.ReplicationFactor = topic, 3, -1
	req.Topics = append(req.Topics, t)
	req.TimeoutMillis = 10000
	resp, err := req.RequestWith(ctx, cl)
	if err == nil && len(resp.Topics) == 1 && resp.Topics[0].ErrorCode != 0 {
		msg := "error code " + strconv.Itoa(int(resp.Topics[0].ErrorCode))
		if resp.Topics[0].ErrorMessage != nil {
			msg = *resp.Topics[0].ErrorMessage
		}
		err = errors.New(msg)
	}
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("creating topic %s: %w", topic, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
				for _, h := range r.Headers {
					if h.Key == "webhook-id" {
						rc.record(string(h.Value))
					}
				}
			})
		}
	}()
	return &brokerSink{dest: map[string]any{"type": "kafka", "brokers": brokers, "topic": topic}, close: func() {
		cancel()
		<-done
		d := kmsg.NewPtrDeleteTopicsRequest()
		d.TopicNames = []string{topic}
		d.RequestWith(context.Background(), cl)
		cl.Close()
	}}, nil
}
