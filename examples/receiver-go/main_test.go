package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/verify"
)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// sign computes a Standard Webhooks signature by hand, the way any sender
// does, so the test does not trust the package it exercises.
func sign(t *testing.T, secret, id string, ts time.Time, body string) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(ts.Unix(), 10) + "." + body))
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestHandler(t *testing.T) {
	v, err := verify.New(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	h := Handler(v)
	now := time.Now()
	const body = `{"id":"evt_1","type":"payment_received","data":{"amount":5}}`
	good := sign(t, testSecret, "evt_1", now, body)
	tests := []struct {
		name      string
		body      string
		id, sig   string
		timestamp time.Time
		want      int
	}{
		{"signed", body, "evt_1", good, now, http.StatusNoContent},
		{"tampered body", strings.Replace(body, "5", "500", 1), "evt_1", good, now, http.StatusUnauthorized},
		{"other id", body, "evt_2", good, now, http.StatusUnauthorized},
		{"other secret", body, "evt_1", sign(t, "whsec_"+strings.Repeat("A", 43)+"=", "evt_1", now, body), now, http.StatusUnauthorized},
		{"no signature", body, "evt_1", "", now, http.StatusUnauthorized},
		{"too old", body, "evt_1", sign(t, testSecret, "evt_1", now.Add(-time.Hour), body), now.Add(-time.Hour), http.StatusUnauthorized},
		{"rotation: any entry", body, "evt_1", "v1,bm90IGl0 " + good, now, http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/webhooks", strings.NewReader(tt.body))
			r.Header.Set("webhook-id", tt.id)
			r.Header.Set("webhook-timestamp", strconv.FormatInt(tt.timestamp.Unix(), 10))
			r.Header.Set("webhook-event", "payment_received")
			if tt.sig != "" {
				r.Header.Set("webhook-signature", tt.sig)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("status %d, want %d (%s)", w.Code, tt.want, w.Body)
			}
		})
	}
}
