package inspect

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/inspect/bin"
)

// TestHARValidates checks a HAR export against the HAR 1.2 JSON Schema
// with har-validator (npm, in testdata/har; CI installs it with npm ci):
// what a HAR viewer accepts, beyond the members TestHAR checks by hand.
func TestHARValidates(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		harSkip(t, "node is not installed")
	}
	dir := filepath.Join("testdata", "har")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "har-validator")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			harSkip(t, "har-validator is not installed and npm is missing")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	doc, err := HAR([]bin.Request{
		{Method: "POST", Target: "/bins/tok/x?a=1&b=%C3%A9&flag", Proto: "HTTP/1.1", ReceivedAt: at.Add(2 * time.Second),
			Headers: http.Header{"Content-Type": {"application/json"}, "Cookie": {"a=1; b=2"}, "Host": {"h.example"}},
			Body:    []byte(`{"x":1}`), Size: 7, Answered: 503},
		{Method: "PUT", Target: "/bins/tok", Proto: "HTTP/2.0", ReceivedAt: at.Add(time.Second), Body: []byte{0, 0xff},
			Size: 10, Truncated: true, Answered: 413},
		{Method: "GET", Path: "/bins/tok", ReceivedAt: at}, // captured before targets were recorded
	}, "https://hooks.example.com", "test")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "check.js")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(doc)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("har-validator refuses the export: %v\n%s\n%s", err, out, doc)
	}
}

func harSkip(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(reason + " (required when CI=true)")
	}
	t.Skip(reason)
}
