package e2e

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/verify"
)

// TestListenForwardsSignedRequests runs `hookline listen` against a real
// server: a published event reaches the local receiver through the
// temporary webhook with a signature that verifies, a line is printed per
// request, and Ctrl-C removes the temporary webhook.
func TestListenForwardsSignedRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary; skipped in -short mode")
	}
	t.Parallel()
	s := startServer(t)
	local := startReceiver(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, hooklineBinary(t), "listen", "--server", s.URL, "--api-key", s.Key,
		"--forward-to", local.URL+"/webhooks", "--events", "payment_received")
	cmd.Cancel = func() error { return cmd.Process.Signal(interruptSignal) }
	cmd.WaitDelay = 10 * time.Second
	stderr, _ := cmd.StderrPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	secret := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, "secret whsec_"); i >= 0 {
				secret <- strings.TrimRight(strings.Fields(line[i+len("secret "):])[0], ").")
			}
		}
	}()
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var sec string
	select {
	case sec = <-secret:
	case <-time.After(30 * time.Second):
		t.Fatal("listen did not get ready")
	}
	id := s.publish("payment_received", map[string]any{"n": 1})
	got := local.wait(t, 1)[0]
	if got.Header.Get("webhook-id") != id || got.Path != "/webhooks" {
		t.Fatalf("forwarded request: path %s webhook-id %q, want /webhooks and %s", got.Path, got.Header.Get("webhook-id"), id)
	}
	v, err := verify.New(sec)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(got.Header, got.Body); err != nil {
		t.Fatalf("the forwarded request's signature does not verify: %v", err)
	}
	select {
	case line := <-lines:
		if !strings.Contains(line, "payment_received") || !strings.Contains(line, "[200]") {
			t.Errorf("printed line %q, want the event type and the local status", line)
		}
	case <-time.After(10 * time.Second):
		t.Error("no line printed for the request")
	}
	cancel()
	cmd.Wait()
	var list struct {
		Data []webhookResp `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/webhooks", nil, &list)
	if len(list.Data) != 0 {
		t.Fatalf("after Ctrl-C %d webhooks remain, want the temporary one removed", len(list.Data))
	}
}
