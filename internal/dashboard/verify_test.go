package dashboard

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/signing"
)

// verifyCase is one request a snippet judges; the harnesses read them as
// JSON on stdin and print one true or false per line.
type verifyCase struct {
	Name    string            `json:"name"`
	Headers map[string]string `json:"headers"` // lower-case names
	Body    string            `json:"body"`    // base64
	want    bool
}

// harnesses run a snippet of the Verify signatures page on the cases.
var harnesses = map[string]struct {
	file    string
	harness string
	cmd     func(dir string) *exec.Cmd
}{
	"go": {"verify.go.txt", `
func main() {
	var cases []struct {
		Headers map[string]string
		Body    []byte
	}
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	for _, c := range cases {
		h := http.Header{}
		for k, v := range c.Headers {
			h.Set(k, v)
		}
		fmt.Println(verifyWebhook(os.Getenv("WEBHOOK_SECRET"), h, c.Body) == nil)
	}
}
`, func(dir string) *exec.Cmd {
		return exec.Command("go", "run", filepath.Join(dir, "snippet.go"), filepath.Join(dir, "harness.go"))
	}},
	"node": {"verify.js.txt", `
const cases = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
for (const c of cases) {
  console.log(String(verifyWebhook(process.env.WEBHOOK_SECRET, c.headers, Buffer.from(c.body, "base64"))));
}
`, func(dir string) *exec.Cmd { return exec.Command("node", filepath.Join(dir, "snippet.js")) }},
	"python": {"verify.py.txt", `

import json as _json
import os as _os
import sys as _sys

for _c in _json.load(_sys.stdin):
    print(str(verify_webhook(_os.environ["WEBHOOK_SECRET"], _c["headers"], base64.b64decode(_c["body"]))).lower())
`, func(dir string) *exec.Cmd { return exec.Command("python3", filepath.Join(dir, "snippet.py")) }},
	"php": {"verify.php.txt", `
foreach (json_decode(file_get_contents('php://stdin'), true) as $c) {
    echo verify_webhook(getenv('WEBHOOK_SECRET'), $c['headers'], base64_decode($c['body'])) ? "true\n" : "false\n";
}
`, func(dir string) *exec.Cmd { return exec.Command("php", filepath.Join(dir, "snippet.php")) }},
}

// TestVerifySnippets runs the page's code in each language on requests
// Hookline's signer signed: genuine ones (also during a secret rotation)
// pass; a changed body, another secret, an old or future timestamp, and a
// missing or malformed signature fail.
func TestVerifySnippets(t *testing.T) {
	t.Parallel()
	secret, old := signing.NewSecret(), signing.NewSecret()
	body := []byte(`{"type":"payment_received","data":{"amount":42,"note":"héllo ✓"}}`)
	now := time.Now()
	sign := func(secrets []string, ts time.Time, b []byte) map[string]string {
		sig, err := signing.Sign(secrets, "msg_2Kq", ts, b)
		if err != nil {
			t.Fatal(err)
		}
		return map[string]string{"webhook-id": "msg_2Kq", "webhook-timestamp": strconv.FormatInt(ts.Unix(), 10), "webhook-signature": sig}
	}
	with := func(h map[string]string, k, v string) map[string]string {
		c := map[string]string{}
		for kk, vv := range h {
			c[kk] = vv
		}
		if v == "" {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	good := sign([]string{secret}, now, body)
	cases := []verifyCase{
		{Name: "genuine", Headers: good, want: true},
		{Name: "rotation: old and new", Headers: sign([]string{old, secret}, now, body), want: true},
		{Name: "a malformed entry beside a good one", Headers: with(good, "webhook-signature", "v1,!!notbase64 "+good["webhook-signature"]), want: true},
		{Name: "changed body", Headers: good, Body: base64.StdEncoding.EncodeToString([]byte(`{"amount":1}`))},
		{Name: "another secret", Headers: sign([]string{old}, now, body)},
		{Name: "ten minutes old", Headers: sign([]string{secret}, now.Add(-10*time.Minute), body)},
		{Name: "ten minutes ahead", Headers: sign([]string{secret}, now.Add(10*time.Minute), body)},
		{Name: "no signature", Headers: with(good, "webhook-signature", "")},
		{Name: "no timestamp", Headers: with(good, "webhook-timestamp", "")},
		{Name: "other version", Headers: with(good, "webhook-signature", strings.Replace(good["webhook-signature"], "v1,", "v2,", 1))},
	}
	for i := range cases {
		if cases[i].Body == "" {
			cases[i].Body = base64.StdEncoding.EncodeToString(body)
		}
	}
	input, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	for lang, h := range harnesses {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			tool := strings.Fields(h.cmd("").String())[0]
			if _, err := exec.LookPath(filepath.Base(tool)); err != nil {
				if os.Getenv("CI") == "true" {
					t.Fatalf("%s is not installed (required when CI=true)", tool)
				}
				t.Skipf("%s is not installed", tool)
			}
			code, err := snippetFS.ReadFile("snippets/" + h.file)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			ext := strings.TrimSuffix(strings.TrimPrefix(h.file, "verify."), ".txt")
			src := string(code)
			if lang == "go" {
				src = "package main\n\n" + src
				harness := "package main\n\nimport (\n\t\"encoding/json\"\n\t\"fmt\"\n\t\"net/http\"\n\t\"os\"\n)\n" + h.harness
				if err := os.WriteFile(filepath.Join(dir, "harness.go"), []byte(harness), 0o600); err != nil {
					t.Fatal(err)
				}
			} else {
				src += h.harness
			}
			if err := os.WriteFile(filepath.Join(dir, "snippet."+ext), []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := h.cmd(dir)
			cmd.Env = append(os.Environ(), "WEBHOOK_SECRET="+secret)
			cmd.Stdin = strings.NewReader(string(input))
			out, err := cmd.Output()
			if err != nil {
				stderr := ""
				if ee, ok := err.(*exec.ExitError); ok {
					stderr = string(ee.Stderr)
				}
				t.Fatalf("%s: %v\n%s", cmd, err, stderr)
			}
			got := strings.Fields(string(out))
			if len(got) != len(cases) {
				t.Fatalf("%d answers for %d cases: %q", len(got), len(cases), out)
			}
			for i, c := range cases {
				if want := map[bool]string{true: "true", false: "false"}[c.want]; got[i] != want {
					t.Errorf("%s: %s, want %s", c.Name, got[i], want)
				}
			}
		})
	}
}
