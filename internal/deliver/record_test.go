package deliver_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/webhook"
)

// The receiver gets every header's real value; the attempt keeps secret
// ones masked, in the request and in the response.
func TestAttemptMasksSecretHeaders(t *testing.T) {
	t.Parallel()
	srv, got := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "sid=s3cr3t-session; Path=/")
		w.Header().Set("X-Receiver", "seen")
	})
	d := deliver.New(deliver.Config{Client: loopbackClient()})
	wh := testWebhook(srv.URL)
	wh.Headers = map[string]string{"X-Partner-Ref": "partner-s3cr3t", "Authorization": "Bearer tok-s3cr3t", "X-Team": "billing"}
	wh.SecretHeaders = []string{"X-Partner-Ref"}
	a, _ := d.Send(context.Background(), deliver.Task{Webhook: wh, Signer: mustSigner(t, secretA), Event: testEvent(), Number: 1})
	r := <-got

	for name, want := range wh.Headers {
		if v := r.header.Get(name); v != want {
			t.Errorf("the receiver got %s = %q, want the real value %q", name, v, want)
		}
	}
	stored := map[string]string{
		"X-Partner-Ref":     webhook.MaskedValue,
		"Authorization":     "Bearer " + webhook.MaskedValue,
		"X-Team":            "billing",
		"Webhook-Signature": r.header.Get("Webhook-Signature"), // an HMAC, kept visible
	}
	for name, want := range stored {
		if v := a.RequestHeaders.Values(name); len(v) != 1 || v[0] != want {
			t.Errorf("stored request header %s = %q, want [%q]", name, v, want)
		}
	}
	if v := a.ResponseHeaders.Get("Set-Cookie"); v != webhook.MaskedValue {
		t.Errorf("stored response Set-Cookie = %q, want %q", v, webhook.MaskedValue)
	}
	if v := a.ResponseHeaders.Get("X-Receiver"); v != "seen" {
		t.Errorf("stored response X-Receiver = %q, want it as sent", v)
	}
	for _, h := range []http.Header{a.RequestHeaders, a.ResponseHeaders} {
		for name, vals := range h {
			for _, v := range vals {
				if strings.Contains(v, "s3cr3t") {
					t.Errorf("the attempt keeps %s = %q in clear", name, v)
				}
			}
		}
	}
}

func TestAttemptDestinationAndAnswer(t *testing.T) {
	t.Parallel()
	d := deliver.New(deliver.Config{Client: loopbackClient()})
	send := func(url string) webhook.Attempt {
		a, _ := d.Send(context.Background(), deliver.Task{Webhook: testWebhook(url), Event: testEvent(), Number: 1})
		return a
	}
	for status, want := range map[int]string{200: "200 OK", 410: "410 Gone", 503: "503 Service Unavailable"} {
		srv, _ := receiver(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) })
		if a := send(srv.URL); a.Destination != webhook.DestinationHTTP || a.Answer != want {
			t.Errorf("answered %d: destination %q, answer %q; want http, %q", status, a.Destination, a.Answer, want)
		}
	}

	// The status line is kept as the receiver wrote it; without a reason
	// phrase the standard one stands in.
	for line, want := range map[string]string{
		"HTTP/1.1 202 Queued for later": "202 Queued for later",
		"HTTP/1.1 500":                  "500 Internal Server Error",
	} {
		if a := send(rawServer(t, line)); a.Answer != want {
			t.Errorf("status line %q: answer %q, want %q", line, a.Answer, want)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	if a := send(closed); a.Destination != webhook.DestinationHTTP || a.Answer != "connection refused" {
		t.Errorf("closed port: destination %q, answer %q; want http, %q", a.Destination, a.Answer, "connection refused")
	}
}

// rawServer answers every connection with the given status line and an
// empty body, so tests can send status lines net/http would not write.
func rawServer(t *testing.T, statusLine string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				if _, err := http.ReadRequest(r); err != nil {
					return
				}
				c.Write([]byte(statusLine + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}
