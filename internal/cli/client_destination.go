package cli

import (
	"encoding/json"
	"flag"
	"strconv"
	"strings"

	"github.com/hookline/hookline/client"
)

// destinationFlags are the flags of webhooks create and update that set
// a webhook's destination: --destination names the type (or gives the
// whole destination as JSON) and the others fill its fields.
type destinationFlags struct {
	fs                                           *flag.FlagSet
	typ, url, exchange, key, subject, stream, to *string
	maxlen                                       *int64
}

func addDestinationFlags(fs *flag.FlagSet) *destinationFlags {
	return &destinationFlags{
		fs: fs,
		typ: fs.String("destination", "", "where deliveries go: http (default), rabbitmq, nats, redis or mqtt; "+
			"or the whole destination as JSON, e.g. '{\"type\":\"nats\",\"url\":\"nats://host:4222\",\"subject\":\"hookline\"}'"),
		url:      fs.String("destination-url", "", "the broker's URL, credentials included (stored encrypted, shown masked)"),
		exchange: fs.String("exchange", "", "rabbitmq: the exchange (default: the default exchange)"),
		key:      fs.String("routing-key", "", "rabbitmq: the routing key (with the default exchange: the queue)"),
		subject:  fs.String("subject", "", "nats: the JetStream subject"),
		stream:   fs.String("stream", "", "redis: the stream key"),
		maxlen:   fs.Int64("maxlen", 0, "redis: cap the stream at about this many entries (0: no cap)"),
		to:       fs.String("topic", "", "mqtt: the topic"),
	}
}

// destination is the destination the flags give, nil when none is.
func (f *destinationFlags) destination(cmd string) (*client.Destination, error) {
	fields := []string{"destination-url", "exchange", "routing-key", "subject", "stream", "maxlen", "topic"}
	anyField := false
	for _, name := range fields {
		anyField = anyField || flagSet(f.fs, name)
	}
	if !flagSet(f.fs, "destination") {
		if anyField {
			return nil, &usageError{msg: cmd + ": --" + strings.Join(fields, ", --") + " need --destination TYPE"}
		}
		return nil, nil
	}
	if v := strings.TrimSpace(*f.typ); strings.HasPrefix(v, "{") {
		if anyField {
			return nil, &usageError{msg: cmd + ": give --destination as JSON or with its field flags, not both"}
		}
		var d client.Destination
		dec := json.NewDecoder(strings.NewReader(v))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			return nil, &usageError{msg: cmd + ": --destination is not a destination object: " + err.Error()}
		}
		return &d, nil
	}
	return &client.Destination{Type: strings.TrimSpace(*f.typ), URL: *f.url, Exchange: *f.exchange, RoutingKey: *f.key,
		Subject: *f.subject, Stream: *f.stream, MaxLen: *f.maxlen, Topic: *f.to}, nil
}

// destinationText is a destination on one line: its type and, for a
// broker, where it publishes (the URL as the server shows it, masked).
func destinationText(d client.Destination) string {
	parts := []string{d.Type}
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+" "+v)
		}
	}
	add("url", d.URL)
	add("exchange", d.Exchange)
	add("routing key", d.RoutingKey)
	add("subject", d.Subject)
	add("stream", d.Stream)
	if d.MaxLen > 0 {
		add("maxlen", strconv.FormatInt(d.MaxLen, 10))
	}
	add("topic", d.Topic)
	return strings.Join(parts, ", ")
}
