package kafka

import (
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/webhook"
)

// MaxBrokers bounds a destination's bootstrap brokers.
const MaxBrokers = 16

// Check validates a kafka destination, every problem at its place:
// destination.brokers[1], destination.topic…
func Check(d webhook.Destination, at webhook.Loc, v *webhook.Validation) {
	if d.URL != "" {
		v.Add(webhook.EINVALID, at.Key("url"), "is not used by kafka: list the cluster's brokers in brokers (host:port)")
	}
	switch {
	case len(d.Brokers) == 0:
		v.Add(webhook.EINVALID, at.Key("brokers"), `must list at least one broker as host:port, e.g. ["kafka-1.example.com:9092"]`)
	case len(d.Brokers) > MaxBrokers:
		v.Add(webhook.EINVALID, at.Key("brokers"), "must list at most %d brokers (the client learns the others from the cluster)", MaxBrokers)
	}
	for i, b := range d.Brokers {
		if msg := checkBroker(b); msg != "" {
			v.Add(webhook.EINVALID, at.Key("brokers").Index(i), "%s", msg)
		} else if slices.Index(d.Brokers, b) < i {
			v.Add(webhook.EINVALID, at.Key("brokers").Index(i), "%q is listed twice", b)
		}
	}
	checkTopic(d.Topic, at, v)
	checkKeyPath(d.KeyPath, at, v)
	switch {
	case d.SASLMechanism == "":
		if d.Username != "" || d.Password != "" {
			v.Add(webhook.EINVALID, at.Key("sasl_mechanism"), "is required with a username or password: one of %q", Mechanisms)
		}
	case !slices.Contains(Mechanisms, d.SASLMechanism):
		v.Add(webhook.EINVALID, at.Key("sasl_mechanism"), "must be one of %q", Mechanisms)
	default:
		deliver.CheckName(d.Username, true, at, "username", v)
		deliver.CheckName(d.Password, true, at, "password", v)
	}
}

// checkBroker says what is wrong with one broker address, "" if nothing.
func checkBroker(b string) string {
	if b == "" {
		return "must be host:port, not empty"
	}
	if len(b) > 255+6 {
		return "is too long for host:port"
	}
	if strings.Contains(b, "://") {
		return "must be host:port, without a scheme (set tls for TLS)"
	}
	host, port, err := net.SplitHostPort(b)
	if err != nil {
		return "must be host:port, e.g. kafka-1.example.com:9092"
	}
	if host == "" || strings.ContainsAny(host, " /?#@") {
		return "must name a host"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "port must be between 1 and 65535"
	}
	return ""
}

// checkTopic applies Kafka's own rules for topic names: at most 249
// characters of ASCII letters, digits, '.', '_' and '-', not "." or "..".
func checkTopic(topic string, at webhook.Loc, v *webhook.Validation) {
	at = at.Key("topic")
	switch {
	case topic == "":
		v.Add(webhook.EINVALID, at, "is required")
	case len(topic) > 249:
		v.Add(webhook.EINVALID, at, "must be at most 249 characters long")
	case topic == "." || topic == "..":
		v.Add(webhook.EINVALID, at, `must not be "." or ".."`)
	case strings.IndexFunc(topic, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	}) >= 0:
		v.Add(webhook.EINVALID, at, "may hold only ASCII letters, digits, '.', '_' and '-'")
	}
}

// checkKeyPath checks the dotted path of the record key: optional, with
// no empty segment.
func checkKeyPath(path string, at webhook.Loc, v *webhook.Validation) {
	at = at.Key("key_path")
	switch {
	case path == "":
	case len(path) > deliver.MaxDestinationField:
		v.Add(webhook.EINVALID, at, "must be at most %d bytes long", deliver.MaxDestinationField)
	case slices.Contains(strings.Split(path, "."), ""):
		v.Add(webhook.EINVALID, at, `must be a dotted path like "data.customer.id", with no empty segment`)
	case strings.ContainsAny(path, " \t\n"):
		v.Add(webhook.EINVALID, at, "must not contain spaces")
	}
}
