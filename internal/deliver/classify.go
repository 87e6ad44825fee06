package deliver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"syscall"

	"github.com/hookline/hookline/internal/egress"
	"github.com/hookline/hookline/internal/webhook"
)

// blockedMessage is the one message for every refused destination, so that
// attempts cannot be used to map the internal network.
const blockedMessage = "destination not allowed"

// Classify names the class of a transport error and a message safe to
// store, show and log: the request's URL in it is cut to scheme and host,
// since a receiver's path and query often carry its own secret.
func Classify(err error) (webhook.ErrorClass, string) {
	err = redactURL(err)
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	var alert tls.AlertError
	var netErr net.Error
	switch {
	case errors.Is(err, egress.ErrBlocked):
		return webhook.ErrClassBlocked, blockedMessage
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return webhook.ErrClassTimeout, "timed out: " + err.Error()
	case errors.As(err, &dnsErr):
		return webhook.ErrClassDNS, "DNS lookup failed: " + dnsErr.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return webhook.ErrClassConnectionRefused, "connection refused"
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr),
		errors.As(err, &recErr), errors.As(err, &alert):
		return webhook.ErrClassTLS, "TLS error: " + err.Error()
	case errors.Is(err, context.Canceled):
		return webhook.ErrClassInternal, "attempt cancelled (shutting down)"
	}
	return webhook.ErrClassConnection, "connection error: " + err.Error()
}

// redactURL returns err with the URL of an *url.Error (the client's
// `Post "https://host/path?token=…": …`) cut to scheme and host.
func redactURL(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	c := *ue
	c.URL = RedactURL(ue.URL)
	return &c
}

// RedactURL is rawURL with only its scheme and host: what logs and error
// texts may show of a webhook's URL.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "(url)"
	}
	s := u.Scheme + "://" + u.Host
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		s += "/…"
	}
	return s
}
