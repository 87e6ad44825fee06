// Package signing produces the Standard Webhooks webhook-signature header
// for each delivery attempt.
//
// Secret decoding is shared with the public verify package so that what we
// send and what receivers check can never drift apart.
package signing

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
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

// NewKeyPair returns a fresh ed25519 key pair for v1a signatures: the
// private key (whsk_, which Hookline keeps, sealed like a secret) and the
// public key (whpk_, which receivers verify with).
func NewKeyPair() (secretKey, publicKey string) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic("signing: ed25519 key: " + err.Error()) // crypto/rand never fails
	}
	return verify.SecretKeyPrefix + base64.StdEncoding.EncodeToString(priv),
		verify.PublicKeyPrefix + base64.StdEncoding.EncodeToString(pub)
}

// IsKeyPair reports whether secret is an ed25519 private key (whsk_)
// rather than an HMAC secret.
func IsKeyPair(secret string) bool { return strings.HasPrefix(secret, verify.SecretKeyPrefix) }

// Shareable is what a receiver is given of secret: an HMAC secret as it
// is, the public key of an ed25519 private key.
func Shareable(secret string) (string, error) {
	if !IsKeyPair(secret) {
		return secret, nil
	}
	priv, err := decodePrivate(secret)
	if err != nil {
		return "", err
	}
	return verify.PublicKeyPrefix + base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)), nil
}

func decodePrivate(secret string) (ed25519.PrivateKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, verify.SecretKeyPrefix))
	if err != nil || len(b) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: not a base64 ed25519 private key", verify.ErrInvalidSecret)
	}
	return ed25519.PrivateKey(b), nil
}

// Sign returns the webhook-signature header value for one message: one
// entry per secret, space-separated, in the order given: "v1,<base64>"
// for an HMAC secret (whsec_), "v1a,<base64>" for an ed25519 private key
// (whsk_).
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
	keys  [][]byte             // HMAC keys; nil where private is set
	priv  []ed25519.PrivateKey // ed25519 keys; nil where keys is set
	state sync.Pool            // of *signState
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
	priv := make([]ed25519.PrivateKey, len(secrets))
	for i, secret := range secrets {
		if IsKeyPair(secret) {
			k, err := decodePrivate(secret)
			if err != nil {
				return nil, err
			}
			priv[i] = k
			continue
		}
		key, err := verify.DecodeSecret(secret)
		if err != nil {
			return nil, err
		}
		keys[i] = key
	}
	s := &Signer{keys: keys, priv: priv}
	s.state.New = func() any {
		st := &signState{macs: make([]hash.Hash, len(keys))}
		for i, key := range keys {
			if key != nil {
				st.macs[i] = hmac.New(sha256.New, key)
			}
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
	var msg []byte
	for i, mac := range st.macs {
		if i > 0 {
			out = append(out, ' ')
		}
		if mac == nil {
			// ed25519 signs the message itself, not a running hash.
			if msg == nil {
				msg = append(append(make([]byte, 0, len(st.buf)+len(body)), st.buf...), body...)
			}
			out = append(out, "v1a,"...)
			out = base64.StdEncoding.AppendEncode(out, ed25519.Sign(s.priv[i], msg))
			continue
		}
		mac.Reset()
		mac.Write(st.buf)
		mac.Write(body)
		out = append(out, "v1,"...)
		out = base64.StdEncoding.AppendEncode(out, mac.Sum(st.sum[:0]))
	}
	st.out = out
	return string(out)
}
