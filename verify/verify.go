// Package verify checks Standard Webhooks signatures on requests received
// from Hookline or any other sender that follows the standard: symmetric
// (v1, HMAC-SHA256 with a whsec_ secret) and asymmetric (v1a, ed25519
// with a whpk_ public key, which cannot sign).
//
// It depends only on the standard library so that receivers can vendor or
// copy it without pulling in Hookline itself.
//
// A sender signs msgID + "." + timestamp + "." + body with HMAC-SHA256 and
// sends three headers: webhook-id, webhook-timestamp (Unix seconds) and
// webhook-signature (space-separated "v1,<base64>" entries). A Verifier
// recomputes the signature with each of its secrets and accepts the request
// when any entry matches and the timestamp is recent enough.
package verify

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names defined by the Standard Webhooks specification. Lower case
// as in the spec; http.Header canonicalizes them on lookup.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix marks a Standard Webhooks secret so it is recognizable in
// configuration and in leak scanners; the key is the base64 text after it.
const SecretPrefix = "whsec_"

// PublicKeyPrefix marks an ed25519 public key (v1a signatures); the 32-byte
// key is the base64 text after it.
const PublicKeyPrefix = "whpk_"

// SecretKeyPrefix marks an ed25519 private key, which only the sender
// holds; a receiver is given the public key.
const SecretKeyPrefix = "whsk_"

// DefaultTolerance is how far a timestamp may be from the receiver's clock,
// in either direction, before a request is rejected as a possible replay.
// Five minutes is what the Standard Webhooks reference libraries use, and
// leaves room for ordinary clock skew and slow networks.
const DefaultTolerance = 5 * time.Minute

// DefaultMaxBodySize caps how much of a body VerifyRequest reads, so an
// unauthenticated client cannot make a receiver buffer arbitrary amounts of
// data before the signature is checked.
const DefaultMaxBodySize = 1 << 20

// Errors returned by Verify and VerifyRequest. They are distinct so a
// receiver (or a dashboard) can tell a forged request from a stale one;
// do not echo them to the client, a plain 400/401 is enough.
var (
	// ErrMissingHeaders means webhook-id, webhook-timestamp or
	// webhook-signature is absent or empty: the request was not signed.
	ErrMissingHeaders = errors.New("verify: missing webhook-id, webhook-timestamp or webhook-signature header")

	// ErrInvalidTimestamp means webhook-timestamp is not a canonical,
	// non-negative integer number of seconds.
	ErrInvalidTimestamp = errors.New("verify: invalid webhook-timestamp header")

	// ErrNoMatch means no v1 signature in the header matches any secret:
	// the body or headers were altered, or the secret is wrong.
	ErrNoMatch = errors.New("verify: no matching signature")

	// ErrExpired means the signature is genuine but the timestamp is outside
	// the tolerance; ErrTooOld and ErrTooNew both wrap it, so
	// errors.Is(err, ErrExpired) covers both directions.
	ErrExpired = errors.New("verify: timestamp outside tolerance")

	// ErrTooOld means the message was signed longer ago than the tolerance:
	// it may be a replay, or the receiver's clock is ahead.
	ErrTooOld = fmt.Errorf("%w: too old", ErrExpired)

	// ErrTooNew means the timestamp is further in the future than the
	// tolerance, which only a skewed sender clock or a forger produces.
	ErrTooNew = fmt.Errorf("%w: too new", ErrExpired)

	// ErrBodyTooLarge means VerifyRequest stopped reading at MaxBodySize.
	ErrBodyTooLarge = errors.New("verify: request body too large")

	// ErrInvalidSecret means a secret is not base64 (with or without the
	// whsec_ prefix) or decodes to an empty key.
	ErrInvalidSecret = errors.New("verify: invalid secret")
)

// DecodePublicKey returns the ed25519 key of a whpk_ public key. The
// error never contains the key.
func DecodePublicKey(key string) (ed25519.PublicKey, error) {
	rest, ok := strings.CutPrefix(key, PublicKeyPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: a public key starts with %s", ErrInvalidSecret, PublicKeyPrefix)
	}
	b, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: not a base64 ed25519 public key", ErrInvalidSecret)
	}
	return ed25519.PublicKey(b), nil
}

// DecodeSecret returns the HMAC key of a secret. The whsec_ prefix is
// optional because the reference libraries accept secrets without it, and
// receivers copy secrets from many places. The error never contains the
// secret.
func DecodeSecret(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSecret, err)
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("%w: empty key", ErrInvalidSecret)
	}
	return key, nil
}

// signatureEncoding is strict so that one signature has exactly one textual
// form; the reference libraries compare the base64 text, and this keeps the
// two approaches equivalent.
var signatureEncoding = base64.StdEncoding.Strict()

// ParseSignatures returns the decoded v1 signatures of a webhook-signature
// header, in order. Entries are separated by spaces; entries of other
// versions (v1a, v2, ...), malformed entries, and entries that are not
// exactly one HMAC-SHA256 long are skipped, because a sender may add
// signatures this package does not understand and those must not cause a
// rejection on their own. It never panics, whatever the input.
func ParseSignatures(header string) [][]byte {
	var sigs [][]byte
	for entry := range strings.FieldsSeq(header) {
		version, encoded, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" || len(encoded) != signatureEncoding.EncodedLen(sha256.Size) {
			continue
		}
		sig, err := signatureEncoding.DecodeString(encoded)
		if err != nil || len(sig) != sha256.Size {
			continue
		}
		sigs = append(sigs, sig)
	}
	return sigs
}

// Verifier checks signed webhook requests against one or more secrets.
// Several secrets are accepted so that a receiver can trust both the new
// and the previous secret while a rotation is in progress.
//
// Set the exported fields, if at all, before the first call; after that a
// Verifier is safe for concurrent use.
type Verifier struct {
	// Tolerance is the largest accepted difference between the timestamp
	// and Now, in either direction. New sets it to DefaultTolerance.
	Tolerance time.Duration

	// Now returns the current time; nil means time.Now. Tests inject a
	// fixed clock here instead of signing with the real time.
	Now func() time.Time

	// MaxBodySize is the most VerifyRequest reads from a body. New sets it
	// to DefaultMaxBodySize.
	MaxBodySize int64

	keys   [][]byte            // HMAC keys, for v1 signatures
	public []ed25519.PublicKey // for v1a signatures
}

// New returns a Verifier that accepts signatures made with any of
// secrets: whsec_ secrets check v1 signatures, whpk_ public keys v1a ones.
func New(secrets ...string) (*Verifier, error) {
	if len(secrets) == 0 {
		return nil, fmt.Errorf("%w: at least one secret is required", ErrInvalidSecret)
	}
	v := &Verifier{Tolerance: DefaultTolerance, MaxBodySize: DefaultMaxBodySize}
	for i, s := range secrets {
		if strings.HasPrefix(s, PublicKeyPrefix) {
			key, err := DecodePublicKey(s)
			if err != nil {
				return nil, fmt.Errorf("secret %d: %w", i, err)
			}
			v.public = append(v.public, key)
			continue
		}
		key, err := DecodeSecret(s)
		if err != nil {
			return nil, fmt.Errorf("secret %d: %w", i, err)
		}
		v.keys = append(v.keys, key)
	}
	return v, nil
}

// Verify checks the Standard Webhooks headers in h against body, which must
// be the raw bytes as received: re-encoded JSON will not verify.
//
// The signature is checked before the timestamp, so ErrExpired (ErrTooOld,
// ErrTooNew) is only returned for a request that was genuinely signed with
// one of the secrets; anything forged is ErrNoMatch.
func (v *Verifier) Verify(h http.Header, body []byte) error {
	id := h.Get(HeaderID)
	ts := h.Get(HeaderTimestamp)
	// Some proxies split a long header into several lines; consider them all.
	sigHeader := strings.Join(h.Values(HeaderSignature), " ")
	if id == "" || ts == "" || strings.TrimSpace(sigHeader) == "" {
		return ErrMissingHeaders
	}
	sec, err := parseTimestamp(ts)
	if err != nil {
		return err
	}
	if !v.matches(id, ts, body, ParseSignatures(sigHeader)) && !v.matchesV1a(id, ts, body, sigHeader) {
		return ErrNoMatch
	}

	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	age := now().Sub(time.Unix(sec, 0))
	switch {
	case age > v.Tolerance:
		return ErrTooOld
	case age < -v.Tolerance:
		return ErrTooNew
	}
	return nil
}

// VerifyRequest reads r's body, up to MaxBodySize bytes, and verifies it.
// It returns the body only when verification succeeds, so a handler cannot
// act on unauthenticated data by mistake. It does not close r.Body; the
// http.Server does that.
func (v *Verifier) VerifyRequest(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, v.Verify(r.Header, nil)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, v.MaxBodySize+1))
	if err != nil {
		return nil, fmt.Errorf("verify: read body: %w", err)
	}
	if int64(len(body)) > v.MaxBodySize {
		return nil, ErrBodyTooLarge
	}
	if err := v.Verify(r.Header, body); err != nil {
		return nil, err
	}
	return body, nil
}

// matches reports whether any signature was made with any key. Every
// comparison is constant-time; returning early on a match leaks nothing an
// attacker does not already know.
func (v *Verifier) matches(id, ts string, body []byte, sigs [][]byte) bool {
	if len(sigs) == 0 {
		return false
	}
	var sum [sha256.Size]byte
	for _, key := range v.keys {
		mac := hmac.New(sha256.New, key)
		io.WriteString(mac, id)
		io.WriteString(mac, ".")
		io.WriteString(mac, ts)
		io.WriteString(mac, ".")
		mac.Write(body)
		expected := mac.Sum(sum[:0])
		for _, sig := range sigs {
			if hmac.Equal(sig, expected) {
				return true
			}
		}
	}
	return false
}

// matchesV1a reports whether any v1a (ed25519) entry of header was made
// by the private key of any public key.
func (v *Verifier) matchesV1a(id, ts string, body []byte, header string) bool {
	if len(v.public) == 0 {
		return false
	}
	var msg []byte
	for entry := range strings.FieldsSeq(header) {
		version, encoded, ok := strings.Cut(entry, ",")
		if !ok || version != "v1a" || len(encoded) != signatureEncoding.EncodedLen(ed25519.SignatureSize) {
			continue
		}
		sig, err := signatureEncoding.DecodeString(encoded)
		if err != nil {
			continue
		}
		if msg == nil {
			msg = make([]byte, 0, len(id)+len(ts)+2+len(body))
			msg = append(append(append(append(append(msg, id...), '.'), ts...), '.'), body...)
		}
		for _, key := range v.public {
			if ed25519.Verify(key, msg, sig) {
				return true
			}
		}
	}
	return false
}

// parseTimestamp accepts only the canonical decimal form (no sign, no
// leading zeros) because the header text itself is what gets signed: a
// second spelling of the same instant would sign different content.
func parseTimestamp(s string) (int64, error) {
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil || sec < 0 || strconv.FormatInt(sec, 10) != s {
		return 0, ErrInvalidTimestamp
	}
	return sec, nil
}
