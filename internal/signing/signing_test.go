package signing_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/signing"
	"github.com/hookline/hookline/verify"
)

// The Standard Webhooks published test vector (reference libraries, e.g.
// libraries/go/webhook_test.go TestWebhookSign in
// github.com/standard-webhooks/standard-webhooks; also
// verify/testdata/vectors.json). Matching it byte for byte is what says
// existing receiver libraries accept what we send.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorMsgID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignPublishedVector(t *testing.T) {
	t.Parallel()
	ts := time.Unix(vectorTimestamp, 0)
	tests := []struct {
		name string
		ts   time.Time
	}{
		{name: "whole second", ts: ts},
		{name: "sub-second part is dropped", ts: ts.Add(999 * time.Millisecond)},
		{name: "time zone is irrelevant", ts: ts.In(time.FixedZone("X", 5*3600))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := signing.Sign([]string{vectorSecret}, vectorMsgID, tt.ts, []byte(vectorBody))
			if err != nil {
				t.Fatal(err)
			}
			if got != vectorSignature {
				t.Errorf("Sign = %q, want %q", got, vectorSignature)
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
		wantErr error
	}{
		{name: "no secrets", secrets: nil, wantErr: signing.ErrNoSecrets},
		{name: "invalid secret", secrets: []string{vectorSecret, "whsec_???"}, wantErr: verify.ErrInvalidSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := signing.Sign(tt.secrets, vectorMsgID, time.Unix(vectorTimestamp, 0), nil); !errors.Is(err, tt.wantErr) {
				t.Errorf("Sign = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	a, b := signing.NewSecret(), signing.NewSecret()
	if a == b {
		t.Fatal("two secrets are equal")
	}
	for _, s := range []string{a, b} {
		if !strings.HasPrefix(s, verify.SecretPrefix) {
			t.Errorf("%q lacks the whsec_ prefix", s)
		}
		key, err := verify.DecodeSecret(s)
		if err != nil {
			t.Fatal(err)
		}
		if len(key) != signing.SecretSize {
			t.Errorf("key is %d bytes, want %d", len(key), signing.SecretSize)
		}
	}
}

// TestRoundTrip signs with one or two secrets, as during a rotation, and
// checks each entry against the public verifier, alone and together.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	oldSecret, newSecret := signing.NewSecret(), signing.NewSecret()
	now := time.Now()
	body := []byte(`{"type":"invoice.paid"}`)

	tests := []struct {
		name    string
		signed  []string
		trusted []string
		entries int
	}{
		{name: "one secret", signed: []string{oldSecret}, trusted: []string{oldSecret}, entries: 1},
		{name: "rotation, receiver on old", signed: []string{newSecret, oldSecret}, trusted: []string{oldSecret}, entries: 2},
		{name: "rotation, receiver on new", signed: []string{newSecret, oldSecret}, trusted: []string{newSecret}, entries: 2},
		{name: "receiver trusts both", signed: []string{oldSecret}, trusted: []string{newSecret, oldSecret}, entries: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sig, err := signing.Sign(tt.signed, "msg_1", now, body)
			if err != nil {
				t.Fatal(err)
			}
			entries := strings.Split(sig, " ")
			if len(entries) != tt.entries {
				t.Fatalf("header %q has %d entries, want %d", sig, len(entries), tt.entries)
			}
			v, err := verify.New(tt.trusted...)
			if err != nil {
				t.Fatal(err)
			}
			v.Now = func() time.Time { return now }
			h := http.Header{}
			h.Set(verify.HeaderID, "msg_1")
			h.Set(verify.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
			h.Set(verify.HeaderSignature, sig)
			if err := v.Verify(h, body); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

// TestSignEntriesInOrder checks that the n-th entry is made with the n-th
// secret and verifies on its own.
func TestSignEntriesInOrder(t *testing.T) {
	t.Parallel()
	secrets := []string{signing.NewSecret(), vectorSecret, signing.NewSecret()}
	ts := time.Unix(vectorTimestamp, 0)
	sig, err := signing.Sign(secrets, vectorMsgID, ts, []byte(vectorBody))
	if err != nil {
		t.Fatal(err)
	}
	entries := strings.Split(sig, " ")
	if len(entries) != len(secrets) {
		t.Fatalf("%d entries, want %d", len(entries), len(secrets))
	}
	if entries[1] != vectorSignature {
		t.Errorf("entry 1 = %q, want %q", entries[1], vectorSignature)
	}
	for i, secret := range secrets {
		want, err := signing.Sign([]string{secret}, vectorMsgID, ts, []byte(vectorBody))
		if err != nil {
			t.Fatal(err)
		}
		if entries[i] != want {
			t.Errorf("entry %d = %q, want %q", i, entries[i], want)
		}
		if _, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(entries[i], "v1,")); err != nil {
			t.Errorf("entry %d: %v", i, err)
		}
	}
}

// TestSignerConcurrent shares one Signer between goroutines, as the
// delivery workers do; run with -race to check the reused HMAC state.
func TestSignerConcurrent(t *testing.T) {
	t.Parallel()
	s, err := signing.NewSigner([]string{vectorSecret, signing.NewSecret()})
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(vectorTimestamp, 0)
	want := s.Sign(vectorMsgID, ts, []byte(vectorBody))
	if !strings.HasPrefix(want, vectorSignature+" ") {
		t.Fatalf("Sign = %q, want it to start with %q", want, vectorSignature)
	}

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range 100 {
				// Interleave another message so that leftover state from
				// one call would show up in the next.
				s.Sign("msg_"+strconv.Itoa(i), ts, []byte("other"))
				if got := s.Sign(vectorMsgID, ts, []byte(vectorBody)); got != want {
					t.Errorf("Sign = %q, want %q", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkSign(b *testing.B) {
	body := []byte(strings.Repeat("x", 1024))
	ts := time.Unix(vectorTimestamp, 0)
	b.Run("Signer", func(b *testing.B) {
		s, err := signing.NewSigner([]string{vectorSecret})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			s.Sign(vectorMsgID, ts, body)
		}
	})
	b.Run("Sign", func(b *testing.B) {
		secrets := []string{vectorSecret}
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := signing.Sign(secrets, vectorMsgID, ts, body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestSignV1a signs the shared v1a vector (sdk/testdata, which the SDKs
// verify) with its private key and gets its signature; a rotation from an
// HMAC secret to a key pair carries both entries, and the verify package
// accepts each with what a receiver holds (the secret, the public key).
func TestSignV1a(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "sdk", "testdata", "standard-webhooks-v1a.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vec struct {
		SecretKey string `json:"secret_key"`
		PublicKey string `json:"public_key"`
		ID        string `json:"id"`
		Timestamp string `json:"timestamp"`
		Body      string `json:"body"`
		Signature string `json:"signature"`
	}
	if err := json.Unmarshal(raw, &vec); err != nil {
		t.Fatal(err)
	}
	sec, _ := strconv.ParseInt(vec.Timestamp, 10, 64)
	ts := time.Unix(sec, 0)
	got, err := signing.Sign([]string{vec.SecretKey}, vec.ID, ts, []byte(vec.Body))
	if err != nil || got != vec.Signature {
		t.Fatalf("v1a signature %q (%v), want %q", got, err, vec.Signature)
	}
	if pub, err := signing.Shareable(vec.SecretKey); err != nil || pub != vec.PublicKey {
		t.Errorf("public key %q (%v), want %q", pub, err, vec.PublicKey)
	}

	old := signing.NewSecret()
	both, err := signing.Sign([]string{old, vec.SecretKey}, vec.ID, ts, []byte(vec.Body))
	if err != nil || !strings.HasPrefix(both, "v1,") || !strings.HasSuffix(both, " "+vec.Signature) {
		t.Fatalf("rotation header %q (%v)", both, err)
	}
	h := http.Header{}
	h.Set("webhook-id", vec.ID)
	h.Set("webhook-timestamp", vec.Timestamp)
	h.Set("webhook-signature", both)
	for _, key := range []string{old, vec.PublicKey} {
		v, err := verify.New(key)
		if err != nil {
			t.Fatal(err)
		}
		v.Now = func() time.Time { return ts }
		if err := v.Verify(h, []byte(vec.Body)); err != nil {
			t.Errorf("verify with %.8s…: %v", key, err)
		}
		if err := v.Verify(h, []byte(vec.Body+" ")); err == nil {
			t.Errorf("verify with %.8s… accepted a changed body", key)
		}
	}
	other, otherPub := signing.NewKeyPair()
	if !signing.IsKeyPair(other) || !strings.HasPrefix(otherPub, "whpk_") {
		t.Fatalf("NewKeyPair: %.8s… %.8s…", other, otherPub)
	}
	v, _ := verify.New(otherPub)
	v.Now = func() time.Time { return ts }
	if err := v.Verify(h, []byte(vec.Body)); err == nil {
		t.Error("another public key verified the message")
	}
}
