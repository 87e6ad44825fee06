package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// hooklineBinary builds cmd/hookline once per test run.
func hooklineBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hookline-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "hookline")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/hookline").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// process is a `hookline serve` child process.
type process struct {
	cmd  *exec.Cmd
	URL  string
	logs *syncBuffer
	done chan error
}

// startProcess runs `hookline serve` on a random port over dataDir and
// waits for its "listening" log line.
func startProcess(t *testing.T, dataDir string, extra ...string) *process {
	t.Helper()
	return startProcessEnv(t, dataDir, nil, extra...)
}

// startProcessEnv is startProcess with env added to the inherited
// environment.
func startProcessEnv(t *testing.T, dataDir string, env []string, extra ...string) *process {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir,
		"--allow-private-targets", "127.0.0.0/8", "--log-format", "json"}, extra...)
	cmd := exec.Command(hooklineBinary(t), args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, logs: &syncBuffer{}, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			p.logs.Write(append(line, '\n'))
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "listening" {
				addr <- rec.Addr
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	select {
	case a := <-addr:
		p.URL = "http://" + a
	case err := <-p.done:
		t.Fatalf("hookline serve exited before listening: %v\n%s", err, p.logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("hookline serve did not start\n%s", p.logs.String())
	}
	return p
}

func createKeyCLI(t *testing.T, dataDir string) string {
	t.Helper()
	out, err := exec.Command(hooklineBinary(t), "keys", "create", "--name", "crash-test", "--data-dir", dataDir).Output()
	if err != nil {
		t.Fatalf("keys create: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// countingReceiver counts deliveries per webhook-id.
type countingReceiver struct {
	mu     sync.Mutex
	counts map[string]int
	cond   *sync.Cond
}

func newCountingReceiver(t *testing.T, delay time.Duration) (*countingReceiver, string) {
	cr := &countingReceiver{counts: map[string]int{}}
	cr.cond = sync.NewCond(&cr.mu)
	rc := startReceiver(t, func(r *http.Request, _ int) (int, http.Header, string) {
		if delay > 0 {
			time.Sleep(delay) // the receiver's own latency, not a test wait
		}
		cr.mu.Lock()
		cr.counts[r.Header.Get("webhook-id")]++
		cr.mu.Unlock()
		cr.cond.Broadcast()
		return 200, nil, "ok"
	})
	return cr, rc.URL
}

// waitAll waits until every id has arrived at least once, or the bound.
func (cr *countingReceiver) waitAll(t *testing.T, ids []string, bound time.Duration) {
	t.Helper()
	timer := time.AfterFunc(bound, cr.cond.Broadcast)
	defer timer.Stop()
	deadline := time.Now().Add(bound)
	cr.mu.Lock()
	defer cr.mu.Unlock()
	for {
		missing := 0
		for _, id := range ids {
			if cr.counts[id] == 0 {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged events never reached the receiver", missing, len(ids))
		}
		cr.cond.Wait()
	}
}

func publishRaw(client *http.Client, url, key string, body []byte) (string, error) {
	req, _ := http.NewRequest("POST", url+"/api/v1/events", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 202 {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, data)
	}
	var r struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return "", err
	}
	return r.ID, nil
}

// TestKillMidLoadLosesNothing publishes a load of events, SIGKILLs the
// server in the middle, restarts it on the same data directory, and checks
// that every event that was acknowledged (202) reaches the receiver.
func TestKillMidLoadLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary; skipped in -short mode")
	}
	t.Parallel()
	const total, killAfter, publishers = 3000, 1500, 8
	dataDir := t.TempDir()
	cr, recvURL := newCountingReceiver(t, 10*time.Millisecond)
	p := startProcess(t, dataDir)
	key := createKeyCLI(t, dataDir)

	client := &http.Client{Timeout: 10 * time.Second}
	req, _ := http.NewRequest("POST", p.URL+"/api/v1/webhooks", strings.NewReader(
		`{"name":"crash","url":"`+recvURL+`/hook","events":["payment_received"]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create webhook: %v %v", err, resp)
	}
	resp.Body.Close()

	var (
		mu     sync.Mutex
		acked  []string
		next   atomic.Int64
		killed atomic.Bool
		failed atomic.Int64
	)
	killNow := make(chan struct{})
	var wg sync.WaitGroup
	for range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1)
				if n > total {
					return
				}
				body := fmt.Appendf(nil, `{"type":"payment_received","data":{"n":%d}}`, n)
				id, err := publishRaw(client, p.URL, key, body)
				if err != nil {
					if !killed.Load() {
						t.Errorf("publish %d before the kill: %v", n, err)
					}
					failed.Add(1)
					return // the server is gone: this publisher stops
				}
				mu.Lock()
				acked = append(acked, id)
				if len(acked) == killAfter {
					close(killNow)
				}
				mu.Unlock()
			}
		}()
	}
	<-killNow
	killed.Store(true)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	wg.Wait()

	mu.Lock()
	ids := append([]string(nil), acked...)
	mu.Unlock()
	cr.mu.Lock()
	beforeRestart := 0
	for _, id := range ids {
		if cr.counts[id] > 0 {
			beforeRestart++
		}
	}
	cr.mu.Unlock()

	startProcess(t, dataDir)
	cr.waitAll(t, ids, 60*time.Second)

	cr.mu.Lock()
	dups := 0
	for _, id := range ids {
		dups += cr.counts[id] - 1
	}
	cr.mu.Unlock()
	t.Logf("acknowledged %d events; %d had arrived before the kill; all %d arrived after restart; %d duplicate deliveries (same webhook-id)",
		len(ids), beforeRestart, len(ids), dups)
}

// TestGracefulShutdownFinishesInFlight sends SIGTERM while deliveries are in
// flight to a slow receiver: the process exits cleanly, and after a restart
// every acknowledged event has been delivered.
func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and signals the real binary; skipped in -short mode")
	}
	t.Parallel()
	dataDir := t.TempDir()
	cr, recvURL := newCountingReceiver(t, 200*time.Millisecond)
	p := startProcess(t, dataDir)
	key := createKeyCLI(t, dataDir)
	client := &http.Client{Timeout: 10 * time.Second}
	req, _ := http.NewRequest("POST", p.URL+"/api/v1/webhooks", strings.NewReader(
		`{"name":"slow","url":"`+recvURL+`/hook","events":["*"]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create webhook: %v %v", err, resp)
	}
	resp.Body.Close()
	var ids []string
	for i := range 50 {
		id, err := publishRaw(client, p.URL, key, fmt.Appendf(nil, `{"type":"site_published","data":{"i":%d}}`, i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no exit 30s after SIGTERM\n%s", p.logs.String())
	}
	if !strings.Contains(p.logs.String(), `"msg":"stopped"`) {
		t.Fatalf("no clean stop in the log:\n%s", p.logs.String())
	}
	startProcess(t, dataDir)
	cr.waitAll(t, ids, 30*time.Second)
}
