package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/client"
)

// TestExampleReceivers runs each receiver of examples/ as a child process,
// points a webhook of the real server at it, publishes an event and checks
// that the receiver verified and accepted it; then it sends the same signed
// request to the receiver directly, once as delivered (accepted) and once
// with a changed body (refused).
func TestExampleReceivers(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	api := client.New(s.URL, s.Key)
	receivers := []struct {
		name  string
		start func(t *testing.T, secret string) (*childProc, string)
	}{
		{"go", startGoReceiver},
		{"node", startNodeReceiver},
		{"python", startPythonReceiver},
	}
	for _, rc := range receivers {
		t.Run(rc.name, func(t *testing.T) {
			t.Parallel()
			exerciseReceiver(t, api, rc.name, rc.start)
		})
	}
}

func exerciseReceiver(t *testing.T, api *client.Client, tenant string, start func(*testing.T, string) (*childProc, string)) {
	ctx := context.Background()
	// Each receiver has its own tenant, so it gets only its own events. The
	// webhook is created first (off) because the receiver needs its secret.
	wh, err := api.WebhookCreate(ctx, client.WebhookCreateParams{
		Tenant: tenant, Name: tenant + " example receiver", URL: "http://127.0.0.1:9/placeholder",
		Events: []string{"payment_received"}, Active: client.Ptr(false),
	})
	if err != nil {
		t.Fatal(err)
	}
	proc, url := start(t, wh.Secret)
	if _, err := api.WebhookUpdate(ctx, wh.ID, client.WebhookUpdateParams{URL: &url, Active: client.Ptr(true)}); err != nil {
		t.Fatal(err)
	}

	res, err := api.EventPublish(ctx, client.EventPublishParams{
		Type: "payment_received", Tenant: tenant,
		Data: map[string]any{"amount": 42, "note": "héllo ✓ from " + tenant},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Deliveries != 1 {
		t.Fatalf("the event went to %d webhooks, want 1", res.Deliveries)
	}
	line := proc.waitLine(t, "the receiver to accept "+res.ID, func(l string) bool { return strings.HasPrefix(l, res.ID+" ") })
	for _, want := range []string{"payment_received", `"amount":42`, "héllo ✓ from " + tenant} {
		if !strings.Contains(line, want) {
			t.Errorf("the receiver printed %q, want it to contain %q", line, want)
		}
	}

	// The server saw the 2xx: the delivery succeeded on its first attempt.
	var dlv client.Delivery
	eventually(t, "the delivery to succeed", func() bool {
		ev, err := api.EventGet(ctx, res.ID)
		if err != nil || len(ev.Deliveries) != 1 {
			return false
		}
		dlv = ev.Deliveries[0]
		return dlv.Status == client.DeliverySucceeded
	})
	d, err := api.DeliveryGet(ctx, dlv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.AttemptLog) != 1 || !d.AttemptLog[0].Success() {
		t.Fatalf("attempt log %+v, want one successful attempt", d.AttemptLog)
	}
	sent := d.AttemptLog[0]

	// The same signed request, sent again directly: accepted as delivered,
	// refused with a changed body or without its signature.
	send := func(body string, header http.Header) int {
		t.Helper()
		req, err := http.NewRequest("POST", url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", url, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := send(sent.RequestBody, sent.RequestHeaders); got < 200 || got > 299 {
		t.Errorf("the delivered request sent again: status %d, want 2xx", got)
	}
	tampered := strings.Replace(sent.RequestBody, `"amount":42`, `"amount":4200`, 1)
	if tampered == sent.RequestBody {
		t.Fatalf("could not tamper with %s", sent.RequestBody)
	}
	if got := send(tampered, sent.RequestHeaders); got != http.StatusUnauthorized {
		t.Errorf("tampered body: status %d, want 401", got)
	}
	unsigned := sent.RequestHeaders.Clone()
	unsigned.Del("Webhook-Signature")
	if got := send(sent.RequestBody, unsigned); got != http.StatusUnauthorized {
		t.Errorf("no signature: status %d, want 401", got)
	}
	proc.waitLine(t, "the receiver to log a rejection", func(l string) bool { return strings.HasPrefix(l, "rejected ") || strings.Contains(l, " rejected ") })
}

// skipOrFail skips when a tool is missing on a developer's machine and
// fails in CI, where every example must run.
func skipOrFail(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(reason + " (required when CI=true)")
	}
	t.Skip(reason)
}

var (
	goReceiverOnce sync.Once
	goReceiverPath string
	goReceiverErr  error
)

// startGoReceiver builds examples/receiver-go once and runs it on a free
// port. It logs "listening" before it binds, so readiness is checked by
// connecting.
func startGoReceiver(t *testing.T, secret string) (*childProc, string) {
	goReceiverOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hookline-receiver-go")
		if err != nil {
			goReceiverErr = err
			return
		}
		goReceiverPath = filepath.Join(dir, "receiver-go")
		if out, err := exec.Command("go", "build", "-o", goReceiverPath, "../examples/receiver-go").CombinedOutput(); err != nil {
			goReceiverErr = fmt.Errorf("go build examples/receiver-go: %v\n%s", err, out)
		}
	})
	if goReceiverErr != nil {
		t.Fatal(goReceiverErr)
	}
	addr := freeAddr(t)
	cmd := exec.Command(goReceiverPath, "-addr", addr)
	cmd.Env = append(os.Environ(), "WEBHOOK_SECRET="+secret)
	p := startChild(t, "receiver-go", cmd)
	p.waitLine(t, "receiver-go to start", func(l string) bool { return strings.Contains(l, "listening on") })
	p.waitDial(t, addr)
	return p, "http://" + addr + "/webhooks"
}

var npmMu sync.Mutex

func startNodeReceiver(t *testing.T, secret string) (*childProc, string) {
	node, err := exec.LookPath("node")
	if err != nil {
		skipOrFail(t, "node is not installed")
	}
	dir := filepath.Join("..", "examples", "receiver-node")
	npmMu.Lock()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "standardwebhooks", "package.json")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			npmMu.Unlock()
			skipOrFail(t, "examples/receiver-node/node_modules is missing and npm is not installed")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			npmMu.Unlock()
			t.Fatalf("npm ci in examples/receiver-node: %v\n%s", err, out)
		}
	}
	npmMu.Unlock()
	cmd := exec.Command(node, "server.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WEBHOOK_SECRET="+secret, "PORT=0", "HOST=127.0.0.1")
	p := startChild(t, "receiver-node", cmd)
	return p, p.listeningURL(t)
}

func startPythonReceiver(t *testing.T, secret string) (*childProc, string) {
	python, err := exec.LookPath("python3")
	if err != nil {
		skipOrFail(t, "python3 is not installed")
	}
	dir := filepath.Join("..", "examples", "receiver-python")
	env := append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
	// Its own unit tests first: the Standard Webhooks test vector.
	unit := exec.Command(python, "-m", "unittest", "-q", "test_receiver")
	unit.Dir, unit.Env = dir, env
	if out, err := unit.CombinedOutput(); err != nil {
		t.Fatalf("python3 -m unittest test_receiver: %v\n%s", err, out)
	}
	cmd := exec.Command(python, "receiver.py")
	cmd.Dir = dir
	cmd.Env = append(env, "WEBHOOK_SECRET="+secret, "PORT=0", "HOST=127.0.0.1")
	p := startChild(t, "receiver-python", cmd)
	return p, p.listeningURL(t)
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// childProc is a child process whose output lines (stdout and stderr) are
// kept and can be waited for.
type childProc struct {
	name    string
	cmd     *exec.Cmd
	mu      sync.Mutex
	lines   []string
	changed chan struct{} // closed and replaced on every new line
	exited  chan struct{}
	waitErr error
}

// startChild starts cmd and kills it at cleanup.
func startChild(t *testing.T, name string, cmd *exec.Cmd) *childProc {
	t.Helper()
	p := &childProc{name: name, cmd: cmd, changed: make(chan struct{}), exited: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	var readers sync.WaitGroup
	for _, r := range []io.Reader{stdout, stderr} {
		readers.Go(func() {
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				p.add(sc.Text())
			}
		})
	}
	go func() {
		readers.Wait()
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
			return
		default:
		}
		cmd.Process.Kill()
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			t.Errorf("%s did not exit after kill", name)
		}
	})
	return p
}

func (p *childProc) add(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, line)
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *childProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// waitLine blocks until the child printed a line that match accepts, and
// returns it; it fails when the child exits first or after a generous
// bound that only matters when something is broken.
func (p *childProc) waitLine(t *testing.T, what string, match func(string) bool) string {
	t.Helper()
	deadline := time.After(60 * time.Second)
	seen := 0
	for {
		p.mu.Lock()
		lines, changed := p.lines[seen:], p.changed
		seen = len(p.lines)
		p.mu.Unlock()
		for _, l := range lines {
			if match(l) {
				return l
			}
		}
		select {
		case <-changed:
		case <-p.exited:
			// Read what arrived before the exit, then give up.
			p.mu.Lock()
			rest := p.lines[seen:]
			p.mu.Unlock()
			for _, l := range rest {
				if match(l) {
					return l
				}
			}
			t.Fatalf("%s exited (%v) before %s; output:\n%s", p.name, p.waitErr, what, p.output())
		case <-deadline:
			t.Fatalf("timed out waiting for %s; %s output:\n%s", what, p.name, p.output())
		}
	}
}

// listeningURL waits for the receiver's "listening on URL" line.
func (p *childProc) listeningURL(t *testing.T) string {
	t.Helper()
	line := p.waitLine(t, p.name+" to listen", func(l string) bool { return strings.HasPrefix(l, "listening on http://") })
	return strings.TrimPrefix(line, "listening on ")
}

// waitDial blocks until addr accepts connections (or the child exits).
func (p *childProc) waitDial(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return
		}
		select {
		case <-p.exited:
			t.Fatalf("%s exited (%v) before accepting connections; output:\n%s", p.name, p.waitErr, p.output())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not accept connections on %s: %v", p.name, addr, err)
		}
	}
}
