package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// quickStart returns the shell block of the README's quick start.
func quickStart(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "## Quick start")
	if !ok {
		t.Fatal("README.md has no quick start section")
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("the quick start has no sh block")
	}
	return block
}

// TestReadmeQuickStart runs the README's quick start as a newcomer would,
// in one shell, command by command as written, with three changes a test
// needs: `go run ./cmd/hookline` runs the binary built once for the tests
// (same code, no rebuild per line), a free port replaces 8080 (serve reads
// HOOKLINE_ADDR, the bins commands get --server, the curl lines are
// rewritten), and the working directory is a fresh one. Then it checks
// that the event reached the bin.
func TestReadmeQuickStart(t *testing.T) {
	t.Parallel()
	block := quickStart(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	if !strings.Contains(block, "localhost:8080") {
		t.Fatal("the quick start no longer talks to localhost:8080: update this test")
	}
	script := `set -euo pipefail
go() {
	if [ "$1" != run ] || [ "$2" != ./cmd/hookline ]; then command go "$@"; return; fi
	shift 2
	case "$1" in
	bins) "$HOOKLINE_BIN" "$@" --server "$TEST_SERVER" ;;
	*) "$HOOKLINE_BIN" "$@" ;;
	esac
}
` + strings.ReplaceAll(block, "localhost:8080", "127.0.0.1:"+port) + `
echo
echo "KEY=$KEY"
echo "BINS=$(curl -sf -H "Authorization: Bearer $KEY" 127.0.0.1:` + port + `/api/v1/bins)"
`
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // a bound, not a figure
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOOKLINE_BIN="+hooklineBinary(t), "HOME="+dir,
		"HOOKLINE_ADDR=127.0.0.1:"+port, "TEST_SERVER=http://127.0.0.1:"+port)
	// The server runs in the background of the script: kill its group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// A file, not a pipe: the server left running in the background
	// holds the script's output open, and Wait would wait for it.
	outFile, err := os.Create(filepath.Join(dir, "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer outFile.Close()
	cmd.Stdout, cmd.Stderr = outFile, outFile
	err = cmd.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) })
	werr := cmd.Wait()
	raw, _ := os.ReadFile(outFile.Name())
	out := bytes.NewBuffer(raw)
	if werr != nil {
		t.Fatalf("the quick start failed: %v\n%s", werr, out.String())
	}
	var key, bins string
	for line := range strings.Lines(out.String()) {
		if v, ok := strings.CutPrefix(line, "KEY="); ok {
			key = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "BINS="); ok {
			bins = strings.TrimSpace(v)
		}
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(bins), &list); err != nil || len(list.Data) != 1 || key == "" {
		t.Fatalf("bins %s (%v), key %q:\n%s", bins, err, key, out.String())
	}
	// The event is delivered asynchronously: wait for it in the bin.
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var reqs struct {
			Data []struct {
				Body string `json:"body"`
			} `json:"data"`
		}
		apiJSON(t, client, "http://127.0.0.1:"+port, key, "GET", "/api/v1/bins/"+list.Data[0].ID+"/requests", nil, &reqs)
		if len(reqs.Data) == 1 && strings.Contains(reqs.Data[0].Body, "payment_received") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the bin holds %+v 20 s after the publish, want the payment_received event\n%s", reqs.Data, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
