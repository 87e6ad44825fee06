package deliver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"syscall"

	"github.com/hookline/hookline/internal/egress"
	"github.com/hookline/hookline/internal/webhook"
)

// blockedMessage is the one message for every refused destination, so that
// attempts cannot be used to map the internal network.
const blockedMessage = "destination not allowed"

// Classify names the class of a transport error and a message safe to
// store and show.
func Classify(err error) (webhook.ErrorClass, string) {
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
