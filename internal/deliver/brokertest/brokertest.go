// Package brokertest holds what the tests of the broker destinations
// share: finding the machine's local broker (skipping, or failing under
// CI, when it is not there), a sender configuration that may dial
// loopback, signed tasks, and checking a consumed message's signature as
// a consumer would.
package brokertest

import (
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/deliver"
	"github.com/hookline/hookline/internal/egress"
	"github.com/hookline/hookline/internal/signing"
	"github.com/hookline/hookline/internal/webhook"
	"github.com/hookline/hookline/verify"
)

// Need skips t when nothing listens at addr (a local broker), or fails it
// under CI=true, where .ci/run starts the machine's services first.
func Need(t testing.TB, name, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err == nil {
		c.Close()
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not reachable at %s under CI: %v", name, addr, err)
	}
	t.Skipf("%s is not reachable at %s: %v", name, addr, err)
}

// Config is a sender configuration that may dial loopback, as a server
// that allows private targets does.
func Config() deliver.Config {
	return deliver.Config{
		Timeout: 5 * time.Second, Now: time.Now,
		Dial: egress.NewDialer(egress.Config{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}),
	}
}

// Secret signs the tasks of Task.
var Secret = signing.NewSecret()

// Task is a signed delivery of a fresh event to destination d.
func Task(t testing.TB, d webhook.Destination) deliver.Task {
	t.Helper()
	s, err := signing.NewSigner([]string{Secret})
	if err != nil {
		t.Fatal(err)
	}
	ev := webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Type: "order.created",
		Data: []byte(`{"order":42}`), CreatedAt: time.Now().UTC()}
	return deliver.Task{
		Webhook: webhook.Webhook{ID: webhook.NewID(webhook.PrefixWebhook), Destination: d, Format: webhook.FormatEnvelope,
			Headers: map[string]string{"X-Team": "billing"}},
		Signer: s, Event: ev, DeliveryID: webhook.NewID("dlv_"), Number: 1,
	}
}

// Verify checks that a consumed message carries t's event, signed as
// Standard Webhooks prescribes, and the webhook's custom header.
func Verify(t testing.TB, task deliver.Task, headers map[string]string, body []byte) {
	t.Helper()
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	v, err := verify.New(Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(h, body); err != nil {
		t.Errorf("signature of the consumed message: %v (headers %v)", err, headers)
	}
	if got := h.Get("Webhook-Id"); got != task.Event.ID {
		t.Errorf("webhook-id %q, want %q", got, task.Event.ID)
	}
	if got := h.Get("Webhook-Event"); got != task.Event.Type {
		t.Errorf("webhook-event %q, want %q", got, task.Event.Type)
	}
	if got := h.Get("X-Team"); got != "billing" {
		t.Errorf("custom header X-Team %q, want billing", got)
	}
	if want := string(webhook.Body(task.Webhook.Format, task.Event)); string(body) != want {
		t.Errorf("body %s, want %s", body, want)
	}
}

// Refused is a loopback address where nothing listens: a broker that is
// down.
func Refused(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Private starts a private broker with authentication from the machine's
// own binary (args(port) are its arguments), on a free loopback port, for
// the tests of refused credentials that the shared services, which run
// without authentication, cannot give. It returns the address once the
// broker accepts connections, and stops it at the end of t. Without the
// binary t is skipped (failed under CI=true).
func Private(t testing.TB, binary string, args func(port int) []string) string {
	t.Helper()
	path, err := exec.LookPath(binary)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed under CI: %v", binary, err)
		}
		t.Skipf("%s is not installed: %v", binary, err)
	}
	addr := Refused(t)
	_, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	cmd := exec.Command(path, args(port)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	// Bounded wait for the listener: 100 tries, 50ms apart.
	for range 100 {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return addr
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("private %s did not listen on %s", binary, addr)
	return ""
}
