package verify_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/verify"
)

// vector is one golden Standard Webhooks signature, published by the
// specification's reference libraries. Reproducing it is what proves
// interoperability; a round trip through our own code cannot.
type vector struct {
	Source    string `json:"source"`
	Secret    string `json:"secret"`
	MsgID     string `json:"msg_id"`
	Timestamp int64  `json:"timestamp"`
	Body      string `json:"body"`
	Signature string `json:"signature"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	data, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("no vectors in testdata/vectors.json")
	}
	return vs
}

const (
	secretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secretB = "whsec_c2Vjb25kLXNlY3JldC1mb3ItdGVzdHMtb25seQ=="
	secretC = "whsec_dGhpcmQtc2VjcmV0LW5vdC10cnVzdGVk"
	msgID   = "msg_p5jXN8AQM9LWM0D4loKWxJek"
)

var (
	signedAt = time.Unix(1614265330, 0)
	body     = []byte(`{"test": 2432232314}`)
)

// sign is an independent implementation of the signing scheme, written
// from the spec, so the tests do not merely check the package against
// itself.
func sign(t *testing.T, secret, id, ts string, body []byte) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func headers(id, ts, sig string) http.Header {
	h := http.Header{}
	if id != "" {
		h.Set(verify.HeaderID, id)
	}
	if ts != "" {
		h.Set(verify.HeaderTimestamp, ts)
	}
	if sig != "" {
		h.Set(verify.HeaderSignature, sig)
	}
	return h
}

// newVerifier returns a Verifier whose clock is fixed at now.
func newVerifier(t *testing.T, now time.Time, secrets ...string) *verify.Verifier {
	t.Helper()
	v, err := verify.New(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	v.Now = func() time.Time { return now }
	return v
}

func TestPublishedVectors(t *testing.T) {
	t.Parallel()
	for _, vec := range loadVectors(t) {
		ts := strconv.FormatInt(vec.Timestamp, 10)
		if got := sign(t, vec.Secret, vec.MsgID, ts, []byte(vec.Body)); got != vec.Signature {
			t.Fatalf("test helper: sign = %q, want %q", got, vec.Signature)
		}
		// The prefix is optional, as in the reference libraries.
		for _, secret := range []string{vec.Secret, strings.TrimPrefix(vec.Secret, verify.SecretPrefix)} {
			v := newVerifier(t, time.Unix(vec.Timestamp, 0), secret)
			if err := v.Verify(headers(vec.MsgID, ts, vec.Signature), []byte(vec.Body)); err != nil {
				t.Errorf("Verify(%s) with secret %q: %v", vec.Source, secret, err)
			}
		}
	}
}

func TestDecodeSecret(t *testing.T) {
	t.Parallel()
	want, _ := base64.StdEncoding.DecodeString("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	tests := []struct {
		name    string
		secret  string
		wantErr bool
	}{
		{name: "prefixed", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		{name: "raw base64", secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		{name: "empty", secret: "", wantErr: true},
		{name: "prefix only", secret: "whsec_", wantErr: true},
		{name: "not base64", secret: "whsec_not base64!", wantErr: true},
		{name: "url alphabet", secret: "whsec_-_-_", wantErr: true},
		{name: "bad padding", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key, err := verify.DecodeSecret(tt.secret)
			if tt.wantErr {
				if !errors.Is(err, verify.ErrInvalidSecret) {
					t.Fatalf("err = %v, want ErrInvalidSecret", err)
				}
				if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
					t.Errorf("error %q leaks the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(key, want) {
				t.Errorf("key = %x, want %x", key, want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
		wantErr error
	}{
		{name: "one", secrets: []string{secretA}},
		{name: "two", secrets: []string{secretA, secretB}},
		{name: "none", secrets: nil, wantErr: verify.ErrInvalidSecret},
		{name: "second invalid", secrets: []string{secretA, "whsec_!"}, wantErr: verify.ErrInvalidSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := verify.New(tt.secrets...)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if v.Tolerance != verify.DefaultTolerance || v.MaxBodySize != verify.DefaultMaxBodySize {
				t.Errorf("defaults = %v, %d", v.Tolerance, v.MaxBodySize)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	ts := strconv.FormatInt(signedAt.Unix(), 10)
	good := sign(t, secretA, msgID, ts, body)
	otherSecret := sign(t, secretC, msgID, ts, body)
	_, goodB64, _ := strings.Cut(good, ",")
	tol := verify.DefaultTolerance

	tests := []struct {
		name      string
		header    http.Header
		body      []byte
		now       time.Time
		tolerance time.Duration // 0 keeps the default
		wantErr   error
	}{
		{name: "valid", header: headers(msgID, ts, good)},
		{name: "missing id", header: headers("", ts, good), wantErr: verify.ErrMissingHeaders},
		{name: "missing timestamp", header: headers(msgID, "", good), wantErr: verify.ErrMissingHeaders},
		{name: "missing signature", header: headers(msgID, ts, ""), wantErr: verify.ErrMissingHeaders},
		{name: "blank signature", header: headers(msgID, ts, "   "), wantErr: verify.ErrMissingHeaders},
		{name: "timestamp not a number", header: headers(msgID, "yesterday", good), wantErr: verify.ErrInvalidTimestamp},
		{name: "timestamp negative", header: headers(msgID, "-1", good), wantErr: verify.ErrInvalidTimestamp},
		{name: "timestamp with sign", header: headers(msgID, "+"+ts, good), wantErr: verify.ErrInvalidTimestamp},
		{name: "timestamp leading zero", header: headers(msgID, "0"+ts, good), wantErr: verify.ErrInvalidTimestamp},
		{name: "timestamp fractional", header: headers(msgID, ts+".5", good), wantErr: verify.ErrInvalidTimestamp},
		{name: "timestamp overflows int64", header: headers(msgID, "99999999999999999999", good), wantErr: verify.ErrInvalidTimestamp},
		{name: "body altered", header: headers(msgID, ts, good), body: []byte(`{"test": 2432232315}`), wantErr: verify.ErrNoMatch},
		{name: "id altered", header: headers("msg_other", ts, good), wantErr: verify.ErrNoMatch},
		{name: "timestamp altered", header: headers(msgID, strconv.FormatInt(signedAt.Unix()+1, 10), good), wantErr: verify.ErrNoMatch},
		{name: "unknown secret", header: headers(msgID, ts, otherSecret), wantErr: verify.ErrNoMatch},
		{name: "only other versions", header: headers(msgID, ts, "v1a,"+goodB64+" v2,"+goodB64), wantErr: verify.ErrNoMatch},
		{name: "garbage signature", header: headers(msgID, ts, "v1,!!!"), wantErr: verify.ErrNoMatch},
		{name: "signature without version", header: headers(msgID, ts, goodB64), wantErr: verify.ErrNoMatch},
		{
			name:   "valid among several",
			header: headers(msgID, ts, "v1a,"+goodB64+" "+otherSecret+" v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= "+good+" v2,abc"),
		},
		{name: "exactly tolerance old", header: headers(msgID, ts, good), now: signedAt.Add(tol)},
		{name: "exactly tolerance new", header: headers(msgID, ts, good), now: signedAt.Add(-tol)},
		{name: "too old", header: headers(msgID, ts, good), now: signedAt.Add(tol + time.Second), wantErr: verify.ErrTooOld},
		{name: "too new", header: headers(msgID, ts, good), now: signedAt.Add(-tol - time.Second), wantErr: verify.ErrTooNew},
		{name: "custom tolerance too old", header: headers(msgID, ts, good), now: signedAt.Add(time.Minute + time.Second), tolerance: time.Minute, wantErr: verify.ErrTooOld},
		{name: "custom tolerance too new", header: headers(msgID, ts, good), now: signedAt.Add(-time.Minute - time.Second), tolerance: time.Minute, wantErr: verify.ErrTooNew},
		{name: "custom tolerance allows older", header: headers(msgID, ts, good), now: signedAt.Add(time.Hour), tolerance: 2 * time.Hour},
		{name: "forged and stale is a forgery", header: headers(msgID, ts, otherSecret), now: signedAt.Add(time.Hour), wantErr: verify.ErrNoMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := tt.now
			if now.IsZero() {
				now = signedAt
			}
			v := newVerifier(t, now, secretA)
			if tt.tolerance != 0 {
				v.Tolerance = tt.tolerance
			}
			b := tt.body
			if b == nil {
				b = body
			}
			err := v.Verify(tt.header, b)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestExpiredCoversBothDirections(t *testing.T) {
	t.Parallel()
	for _, err := range []error{verify.ErrTooOld, verify.ErrTooNew} {
		if !errors.Is(err, verify.ErrExpired) {
			t.Errorf("errors.Is(%v, ErrExpired) = false", err)
		}
	}
	for _, err := range []error{verify.ErrNoMatch, verify.ErrMissingHeaders, verify.ErrInvalidTimestamp} {
		if errors.Is(err, verify.ErrExpired) {
			t.Errorf("errors.Is(%v, ErrExpired) = true", err)
		}
	}
}

// TestVerifyMultipleSecrets covers a rotation: the receiver trusts the old
// and the new secret, and the sender may sign with either or both.
func TestVerifyMultipleSecrets(t *testing.T) {
	t.Parallel()
	ts := strconv.FormatInt(signedAt.Unix(), 10)
	byA := sign(t, secretA, msgID, ts, body)
	byB := sign(t, secretB, msgID, ts, body)
	byC := sign(t, secretC, msgID, ts, body)

	tests := []struct {
		name    string
		sig     string
		wantErr error
	}{
		{name: "old secret", sig: byA},
		{name: "new secret", sig: byB},
		{name: "both", sig: byB + " " + byA},
		{name: "untrusted secret", sig: byC, wantErr: verify.ErrNoMatch},
		{name: "untrusted then trusted", sig: byC + " " + byB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newVerifier(t, signedAt, secretA, secretB)
			if err := v.Verify(headers(msgID, ts, tt.sig), body); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestVerifySignatureHeaderOnSeveralLines(t *testing.T) {
	t.Parallel()
	ts := strconv.FormatInt(signedAt.Unix(), 10)
	h := headers(msgID, ts, sign(t, secretC, msgID, ts, body))
	h.Add(verify.HeaderSignature, sign(t, secretA, msgID, ts, body))
	if err := newVerifier(t, signedAt, secretA).Verify(h, body); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRequest(t *testing.T) {
	t.Parallel()
	ts := strconv.FormatInt(signedAt.Unix(), 10)
	big := bytes.Repeat([]byte("x"), 64)

	tests := []struct {
		name    string
		body    []byte
		sig     string
		wantErr error
	}{
		{name: "valid", body: body, sig: sign(t, secretA, msgID, ts, body)},
		{name: "exactly max size", body: big, sig: sign(t, secretA, msgID, ts, big)},
		{name: "over max size", body: append(big, 'x'), sig: sign(t, secretA, msgID, ts, append(big, 'x')), wantErr: verify.ErrBodyTooLarge},
		{name: "empty body", body: []byte{}, sig: sign(t, secretA, msgID, ts, nil)},
		{name: "bad signature", body: body, sig: sign(t, secretC, msgID, ts, body), wantErr: verify.ErrNoMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newVerifier(t, signedAt, secretA)
			v.MaxBodySize = int64(len(big))
			r := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(tt.body))
			r.Header = headers(msgID, ts, tt.sig)
			got, err := v.VerifyRequest(r)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("VerifyRequest = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if got != nil {
					t.Errorf("body returned with an error: %q", got)
				}
				return
			}
			if !bytes.Equal(got, tt.body) {
				t.Errorf("body = %q, want %q", got, tt.body)
			}
		})
	}
}

func TestParseSignatures(t *testing.T) {
	t.Parallel()
	a := bytes.Repeat([]byte{0xa5}, sha256.Size)
	b := bytes.Repeat([]byte{0x3c}, sha256.Size)
	encA := base64.StdEncoding.EncodeToString(a)
	encB := base64.StdEncoding.EncodeToString(b)
	short := base64.StdEncoding.EncodeToString(a[:16])

	tests := []struct {
		name   string
		header string
		want   [][]byte
	}{
		{name: "empty", header: "", want: nil},
		{name: "one", header: "v1," + encA, want: [][]byte{a}},
		{name: "two in order", header: "v1," + encB + " v1," + encA, want: [][]byte{b, a}},
		{name: "extra spaces", header: "  v1," + encA + "   v1," + encB + " ", want: [][]byte{a, b}},
		{name: "other versions skipped", header: "v1a," + encA + " v2," + encB + " v1," + encB, want: [][]byte{b}},
		{name: "no comma", header: "v1" + encA, want: nil},
		{name: "empty signature", header: "v1,", want: nil},
		{name: "wrong length", header: "v1," + short, want: nil},
		{name: "bad base64", header: "v1," + strings.Repeat("!", 44), want: nil},
		{name: "missing padding", header: "v1," + strings.TrimSuffix(encA, "="), want: nil},
		{name: "non-canonical trailing bits", header: "v1," + encA[:42] + "B=", want: nil},
		{name: "comma inside", header: "v1," + encA + ",x", want: nil},
		{name: "upper-case version", header: "V1," + encA, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := verify.ParseSignatures(tt.header)
			if len(got) != len(tt.want) {
				t.Fatalf("ParseSignatures(%q) = %d signatures, want %d", tt.header, len(got), len(tt.want))
			}
			for i := range got {
				if !bytes.Equal(got[i], tt.want[i]) {
					t.Errorf("signature %d = %x, want %x", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func FuzzParseSignatures(f *testing.F) {
	f.Add("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	f.Add("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1a,abc v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=")
	f.Add("")
	f.Add(" ")
	f.Add("v1,")
	f.Add(",")
	f.Add("v1,,,,")
	f.Add("v1,====")
	f.Add("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE\n=")
	f.Add("\xff\xfe v1,\x00")

	f.Fuzz(func(t *testing.T, header string) {
		sigs := verify.ParseSignatures(header)

		// Every signature comes from a v1 entry present in the header,
		// in order, and is one HMAC-SHA256 long.
		fields := strings.Fields(header)
		next := 0
		for _, sig := range sigs {
			if len(sig) != sha256.Size {
				t.Fatalf("signature of %d bytes", len(sig))
			}
			entry := "v1," + base64.StdEncoding.EncodeToString(sig)
			for next < len(fields) && fields[next] != entry {
				next++
			}
			if next == len(fields) {
				t.Fatalf("%q not found in order in %q", entry, header)
			}
			next++
		}

		// Re-encoding what was parsed and parsing again is a fixed point.
		entries := make([]string, len(sigs))
		for i, sig := range sigs {
			entries[i] = "v1," + base64.StdEncoding.EncodeToString(sig)
		}
		again := verify.ParseSignatures(strings.Join(entries, " "))
		if len(again) != len(sigs) {
			t.Fatalf("reparse gave %d signatures, want %d", len(again), len(sigs))
		}
		for i := range sigs {
			if !bytes.Equal(again[i], sigs[i]) {
				t.Fatalf("reparse signature %d = %x, want %x", i, again[i], sigs[i])
			}
		}
	})
}
