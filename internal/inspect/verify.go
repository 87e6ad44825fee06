package inspect

import (
	"errors"
	"time"

	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/verify"
)

// Verdict is the outcome of checking a captured request's Standard
// Webhooks signature.
type Verdict string

// Verdicts.
const (
	// Unsigned: the request has no webhook-id/timestamp/signature headers.
	Unsigned Verdict = "unsigned"
	// Valid: a signature matches one of the secrets, and the timestamp was
	// within tolerance when the request arrived.
	Valid Verdict = "valid"
	// Invalid: no signature matches (wrong secret, or the body or headers
	// were altered), or the headers are malformed.
	Invalid Verdict = "invalid"
	// Expired: genuinely signed, but the timestamp was outside the
	// tolerance when the request arrived (a replay, or a skewed clock).
	Expired Verdict = "expired"
	// Unverifiable: the stored body was cut at the size cap, so the
	// signature over the whole body cannot be recomputed.
	Unverifiable Verdict = "unverifiable"
)

// Check verifies r's signature against secrets. The timestamp is judged
// against the time the request arrived, not the time of viewing: that is
// the decision a receiver would have made, and an old capture does not
// turn "expired" merely by being looked at later.
func Check(r bin.Request, secrets []string) (Verdict, string) {
	if !Signed(r) {
		return Unsigned, "no Standard Webhooks headers"
	}
	if r.Truncated {
		return Unverifiable, "the body was cut at the size cap, so the signature cannot be checked"
	}
	v, err := verify.New(secrets...)
	if err != nil {
		return Invalid, "the webhook has no usable secret"
	}
	at := r.ReceivedAt
	v.Now = func() time.Time { return at }
	switch err := v.Verify(r.Headers, r.Body); {
	case err == nil:
		return Valid, "signature matches"
	case errors.Is(err, verify.ErrTooOld):
		return Expired, "signature matches, but the timestamp was more than 5 minutes old on arrival"
	case errors.Is(err, verify.ErrTooNew):
		return Expired, "signature matches, but the timestamp was more than 5 minutes in the future on arrival"
	case errors.Is(err, verify.ErrMissingHeaders):
		return Invalid, "some of webhook-id, webhook-timestamp and webhook-signature are missing"
	case errors.Is(err, verify.ErrInvalidTimestamp):
		return Invalid, "webhook-timestamp is not a Unix time in seconds"
	default:
		return Invalid, "no signature matches this webhook's secrets"
	}
}

// Signed reports whether r carries any Standard Webhooks header.
func Signed(r bin.Request) bool {
	return r.Headers.Get(verify.HeaderID) != "" || r.Headers.Get(verify.HeaderTimestamp) != "" ||
		r.Headers.Get(verify.HeaderSignature) != ""
}
