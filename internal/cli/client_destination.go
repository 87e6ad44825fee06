package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
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
	brokers, keyPath, mechanism, user, pwFile    *string
	tls                                          *bool
}

func addDestinationFlags(fs *flag.FlagSet) *destinationFlags {
	return &destinationFlags{
		fs: fs,
		typ: fs.String("destination", "", "where deliveries go: http (default), rabbitmq, nats, redis, mqtt or kafka; "+
			"or the whole destination as JSON, e.g. '{\"type\":\"nats\",\"url\":\"nats://host:4222\",\"subject\":\"hookline\"}'"),
		url:       fs.String("destination-url", "", "the broker's URL, credentials included (stored encrypted, shown masked)"),
		exchange:  fs.String("exchange", "", "rabbitmq: the exchange (default: the default exchange)"),
		key:       fs.String("routing-key", "", "rabbitmq: the routing key (with the default exchange: the queue)"),
		subject:   fs.String("subject", "", "nats: the JetStream subject"),
		stream:    fs.String("stream", "", "redis: the stream key"),
		maxlen:    fs.Int64("maxlen", 0, "redis: cap the stream at about this many entries (0: no cap)"),
		to:        fs.String("topic", "", "mqtt, kafka: the topic"),
		brokers:   fs.String("brokers", "", "kafka: the bootstrap brokers, host:port,host:port"),
		keyPath:   fs.String("key-path", "", "kafka: dotted path in the body whose value keys each record, e.g. data.customer.id (default: the event id)"),
		tls:       fs.Bool("tls", false, "kafka: connect to the brokers over TLS"),
		mechanism: fs.String("sasl-mechanism", "", "kafka: SASL mechanism: plain, scram-sha-256 or scram-sha-512"),
		user:      fs.String("sasl-username", "", "kafka: SASL username"),
		pwFile: fs.String("sasl-password-file", "", "kafka: read the SASL password from this file ('-': standard input), "+
			"not from the command line where other users see it; on update, leave it out to keep the stored one"),
	}
}

// destination is the destination the flags give, nil when none is.
func (f *destinationFlags) destination(cmd string) (*client.Destination, error) {
	fields := []string{"destination-url", "exchange", "routing-key", "subject", "stream", "maxlen", "topic",
		"brokers", "key-path", "tls", "sasl-mechanism", "sasl-username", "sasl-password-file"}
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
	d := &client.Destination{Type: strings.TrimSpace(*f.typ), URL: *f.url, Exchange: *f.exchange, RoutingKey: *f.key,
		Subject: *f.subject, Stream: *f.stream, MaxLen: *f.maxlen, Topic: *f.to,
		KeyPath: *f.keyPath, TLS: *f.tls, SASLMechanism: *f.mechanism, Username: *f.user}
	if *f.brokers != "" {
		for b := range strings.SplitSeq(*f.brokers, ",") {
			d.Brokers = append(d.Brokers, strings.TrimSpace(b))
		}
	}
	if *f.pwFile != "" {
		var b []byte
		var err error
		if *f.pwFile == "-" {
			b, err = io.ReadAll(io.LimitReader(os.Stdin, 4096))
		} else {
			b, err = os.ReadFile(*f.pwFile)
		}
		if err != nil {
			return nil, fmt.Errorf("--sasl-password-file: %w", err)
		}
		d.Password = strings.TrimRight(string(b), "\r\n")
	}
	return d, nil
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
	add("brokers", strings.Join(d.Brokers, ","))
	add("key path", d.KeyPath)
	if d.TLS {
		parts = append(parts, "tls")
	}
	if d.SASLMechanism != "" {
		add("sasl", d.SASLMechanism+" "+d.Username+" (password "+d.Password+")")
	}
	return strings.Join(parts, ", ")
}
