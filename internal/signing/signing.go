// Package signing produces the Standard Webhooks webhook-signature header
// for each delivery attempt.
//
// Secret decoding is shared with the public verify package so that what we
// send and what receivers check can never drift apart.
package signing

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hookline/hookline/verify"
)

// SecretSize is the number of random bytes in a new secret: as long as the
// HMAC-SHA256 output, so the key is never the weak link, and within the
// 24–64 bytes the Standard Webhooks specification recommends.
const SecretSize = 32

// ErrNoSecrets is returned when asked to sign without any secret, which
// would produce a header no receiver could verify.
var ErrNoSecrets = errors.New("signing: at least one secret is required")

// NewSecret returns a fresh webhook signing secret in the whsec_ form that
// Standard Webhooks libraries accept as is.
func NewSecret() string {
	key := make([]byte, SecretSize)
	rand.Read(key) // never returns an error; it crashes the program instead
	return verify.SecretPrefix + base64.StdEncoding.EncodeToString(key)
}

// Sign returns the webhook-signature header value for one message: one
// "v1,<base64>" entry per secret, space-separated, in the order given.
// Several secrets are how a rotation overlaps: receivers that know either
// the old or the new secret accept the message.
//
// Sign decodes the secrets on every call; a caller signing many messages
// with the same secrets should keep a Signer instead.
func Sign(secrets []string, msgID string, ts time.Time, body []byte) (string, error) {
	s, err := NewSigner(secrets)
	if err != nil {
		return "", err
	}
	return s.Sign(msgID, ts, body), nil
}

// Signer signs messages with a fixed list of secrets. It keeps the decoded
// keys and reuses keyed HMAC state between calls, so that signing on the
// delivery hot path allocates little more than the returned string.
// A Signer is safe for concurrent use.
type Signer struct {
	keys  [][]byte
	state sync.Pool // of *signState
}

// signState is the per-call scratch space of a Signer.
type signState struct {
	macs []hash.Hash
	buf  []byte // the "msgID.timestamp." prefix of the signed content
	out  []byte // the header value being built
	sum  [sha256.Size]byte
}

// NewSigner decodes secrets once; see Sign for their meaning and order.
func NewSigner(secrets []string) (*Signer, error) {
	if len(secrets) == 0 {
		return nil, ErrNoSecrets
	}
	keys := make([][]byte, len(secrets))
	for i, secret := range secrets {
		key, err := verify.DecodeSecret(secret)
		if err != nil {
			return nil, err
		}
		keys[i] = key
	}
	s := &Signer{keys: keys}
	s.state.New = func() any {
		st := &signState{macs: make([]hash.Hash, len(keys))}
		for i, key := range keys {
			st.macs[i] = hmac.New(sha256.New, key)
		}
		return st
	}
	return s, nil
}

// entryLen is the length of one "v1,<base64>" entry.
var entryLen = len("v1,") + base64.StdEncoding.EncodedLen(sha256.Size)

// Sign returns the webhook-signature header value for the message; see the
// package-level Sign. The timestamp is signed in whole Unix seconds, which
// is what the caller must send in webhook-timestamp.
func (s *Signer) Sign(msgID string, ts time.Time, body []byte) string {
	st := s.state.Get().(*signState)
	defer s.state.Put(st)

	st.buf = append(st.buf[:0], msgID...)
	st.buf = append(st.buf, '.')
	st.buf = strconv.AppendInt(st.buf, ts.Unix(), 10)
	st.buf = append(st.buf, '.')

	out := slices.Grow(st.out[:0], len(s.keys)*(entryLen+1))
	for i, mac := range st.macs {
		mac.Reset()
		mac.Write(st.buf)
		mac.Write(body)
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, "v1,"...)
		out = base64.StdEncoding.AppendEncode(out, mac.Sum(st.sum[:0]))
	}
	st.out = out
	return string(out)
}
