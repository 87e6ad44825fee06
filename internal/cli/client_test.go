package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/client"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestCLIResolveConnection(t *testing.T) {
	t.Parallel()
	xdg := t.TempDir()
	path := filepath.Join(xdg, "hookline", "config.json")
	if err := writeLoginConfig(path, loginConfig{Server: "http://saved:8080/", APIKey: "hkl_saved"}); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tests := []struct {
		name             string
		flagServer, key  string
		env              map[string]string
		want             connection
		wantUsageErrPart string
	}{
		{name: "nothing anywhere", env: map[string]string{"XDG_CONFIG_HOME": empty},
			want: connection{Server: defaultServer, ServerSource: "the default"}},
		{name: "login file", env: map[string]string{"XDG_CONFIG_HOME": xdg},
			want: connection{Server: "http://saved:8080", APIKey: "hkl_saved", ServerSource: path, KeySource: path}},
		{name: "environment beats the file", env: map[string]string{"XDG_CONFIG_HOME": xdg, "HOOKLINE_URL": "http://env:1", "HOOKLINE_API_KEY": "hkl_env"},
			want: connection{Server: "http://env:1", APIKey: "hkl_env", ServerSource: "HOOKLINE_URL", KeySource: "HOOKLINE_API_KEY"}},
		{name: "flags beat the environment", flagServer: "https://flag", key: "hkl_flag",
			env:  map[string]string{"XDG_CONFIG_HOME": xdg, "HOOKLINE_URL": "http://env:1", "HOOKLINE_API_KEY": "hkl_env"},
			want: connection{Server: "https://flag", APIKey: "hkl_flag", ServerSource: "--server", KeySource: "--api-key"}},
		{name: "saved key stays with the saved server", flagServer: "http://other:9",
			env:  map[string]string{"XDG_CONFIG_HOME": xdg},
			want: connection{Server: "http://other:9", ServerSource: "--server", SavedServer: "http://saved:8080/"}},
		{name: "saved key with the same server given again", flagServer: "http://saved:8080",
			env:  map[string]string{"XDG_CONFIG_HOME": xdg},
			want: connection{Server: "http://saved:8080", APIKey: "hkl_saved", ServerSource: "--server", KeySource: path}},
		{name: "HOME when XDG_CONFIG_HOME is unset", env: map[string]string{"HOME": filepath.Dir(filepath.Dir(xdg)), "XDG_CONFIG_HOME": "relative/ignored"},
			want: connection{Server: defaultServer, ServerSource: "the default"}},
		{name: "not a URL", flagServer: "127.0.0.1:8080", env: map[string]string{"XDG_CONFIG_HOME": empty},
			wantUsageErrPart: "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveConnection(tt.flagServer, tt.key, envMap(tt.env), io.Discard)
			if tt.wantUsageErrPart != "" {
				var ue *usageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.wantUsageErrPart) {
					t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantUsageErrPart)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCLILoginConfigFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path, err := loginConfigPath(envMap(map[string]string{"XDG_CONFIG_HOME": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "hookline", "config.json"); path != want {
		t.Fatalf("path %s, want %s", path, want)
	}
	if p, _ := loginConfigPath(envMap(map[string]string{"HOME": "/home/u"})); p != "/home/u/.config/hookline/config.json" {
		t.Errorf("path without XDG_CONFIG_HOME: %s", p)
	}
	for _, cfg := range []loginConfig{{Server: "http://a", APIKey: "k1"}, {Server: "http://b", APIKey: "k2"}} {
		if err := writeLoginConfig(path, cfg); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600", fi.Mode().Perm())
		}
		got, _, err := readLoginConfig(envMap(map[string]string{"XDG_CONFIG_HOME": dir}), io.Discard)
		if err != nil || got != cfg {
			t.Errorf("read back %+v, %v; want %+v", got, err, cfg)
		}
	}
	if fi, _ := os.Stat(filepath.Dir(path)); fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
	}
	// A file others can read still works, with a warning.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	var warn bytes.Buffer
	if _, _, err := readLoginConfig(envMap(map[string]string{"XDG_CONFIG_HOME": dir}), &warn); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(warn.String(), "chmod 600") {
		t.Errorf("no warning about a readable file: %q", warn.String())
	}
	// A broken file is an error that says what to do.
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readLoginConfig(envMap(map[string]string{"XDG_CONFIG_HOME": dir}), io.Discard); err == nil || !strings.Contains(err.Error(), "hookline login") {
		t.Errorf("broken file: err = %v", err)
	}
}

func TestCLIParseInterspersed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		wantPos  []string
		wantJSON bool
		wantName string
	}{
		{[]string{"ID", "--json"}, []string{"ID"}, true, ""},
		{[]string{"--json", "ID"}, []string{"ID"}, true, ""},
		{[]string{"A", "--name", "x", "B"}, []string{"A", "B"}, false, "x"},
		{[]string{"--", "--json"}, []string{"--json"}, false, ""},
		{nil, nil, false, ""},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		j := fs.Bool("json", false, "")
		name := fs.String("name", "", "")
		pos, err := parseInterspersed(fs, tt.args)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(pos, tt.wantPos) || *j != tt.wantJSON || *name != tt.wantName {
			t.Errorf("%q: pos %q json %v name %q", tt.args, pos, *j, *name)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var ue *usageError
	if _, err := parseInterspersed(fs, []string{"ID", "--nope"}); !errors.As(err, &ue) {
		t.Errorf("unknown flag: err = %v, want a usage error", err)
	}
}

func TestCLIExplain(t *testing.T) {
	t.Parallel()
	x := &apiCall{server: "http://127.0.0.1:1", keySource: "HOOKLINE_API_KEY"}
	tests := []struct {
		err  error
		want []string
	}{
		{&client.Error{Status: 401, Detail: "unknown API key"},
			[]string{"API key from HOOKLINE_API_KEY was refused", "check --api-key / HOOKLINE_API_KEY or run hookline login"}},
		{&client.Error{Status: 403, Detail: "scopes [publish] do not allow"}, []string{"admin scope"}},
		{&client.Error{Status: 422, Field: "events[0]", Detail: "events[0]: unknown event type \"x\""},
			[]string{"events[0]: unknown event type \"x\""}},
		{&client.Error{Status: 429, Detail: "slow", RetryAfter: 2 * time.Second}, []string{"rate-limiting", "2s"}},
		{&client.Error{Status: 500, Title: "Internal Server Error", Detail: "internal error", RequestID: "r1"},
			[]string{"server failed", "request id r1"}},
		{&client.Error{Status: 404, Detail: "webhook not found"}, []string{"not found: webhook not found"}},
		{context.DeadlineExceeded, []string{"no answer from http://127.0.0.1:1 within 5s", "--timeout"}},
		{notFound(&client.Error{Status: 404}, "webhook", "wh_x", "list them"), []string{"webhook wh_x not found: list them"}},
	}
	for _, tt := range tests {
		got := explain(tt.err, x, 5*time.Second).Error()
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("explain(%v) = %q, want it to contain %q", tt.err, got, w)
			}
		}
	}
	if explain(nil, x, time.Second) != nil {
		t.Error("explain(nil) != nil")
	}
}

func TestCLIConnectionRefusedMessage(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	x := &apiCall{c: client.New(url, "k"), server: url}
	_, err := x.c.Me(context.Background())
	got := explain(err, x, time.Second).Error()
	if !strings.Contains(got, "cannot reach the Hookline server at "+url) || !strings.Contains(got, "--server or HOOKLINE_URL") {
		t.Errorf("message %q", got)
	}
}

func TestCLIParseSince(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2h":                        now.Add(-2 * time.Hour),
		"2029-12-31T00:00:00Z":      time.Date(2029, 12, 31, 0, 0, 0, 0, time.UTC),
		"2029-12-31T01:00:00+01:00": time.Date(2029, 12, 31, 0, 0, 0, 0, time.UTC),
	} {
		got, err := parseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "-2h", ""} {
		if _, err := parseSince(bad, now); err == nil {
			t.Errorf("parseSince(%q) succeeded", bad)
		}
	}
}

func TestCLIReadData(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "d.json")
	os.WriteFile(file, []byte(`{"a":1}`), 0o600)
	if got, err := readData(`{"b":2}`, "", nil, "data", "data-file"); err != nil || string(got) != `{"b":2}` {
		t.Errorf("inline: %s, %v", got, err)
	}
	if got, err := readData("", file, nil, "data", "data-file"); err != nil || string(got) != `{"a":1}` {
		t.Errorf("file: %s, %v", got, err)
	}
	if got, err := readData("", "-", strings.NewReader(`{"c":3}`), "data", "data-file"); err != nil || string(got) != `{"c":3}` {
		t.Errorf("stdin: %s, %v", got, err)
	}
	if got, err := readData("", "", nil, "data", "data-file"); err != nil || got != nil {
		t.Errorf("neither: %s, %v", got, err)
	}
	var ue *usageError
	for _, c := range [][2]string{{`{"x"`, ""}, {`{}`, file}, {"", filepath.Join(t.TempDir(), "missing")}} {
		if _, err := readData(c[0], c[1], nil, "data", "data-file"); !errors.As(err, &ue) {
			t.Errorf("readData(%q, %q): err = %v, want a usage error", c[0], c[1], err)
		}
	}
}

// TestCLIGroupDispatch runs the group commands without a server: help,
// unknown and missing subcommands, missing arguments.
func TestCLIGroupDispatch(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOOKLINE_URL", "")
	t.Setenv("HOOKLINE_API_KEY", "")
	tests := []struct {
		args       []string
		code       int
		wantOut    string
		wantStderr string
	}{
		{[]string{"webhooks", "--help"}, ExitOK, "rotate-secret", ""},
		{[]string{"webhooks"}, ExitUsage, "", "missing subcommand"},
		{[]string{"webhooks", "frob"}, ExitUsage, "", `unknown subcommand "frob"`},
		{[]string{"webhooks", "get"}, ExitUsage, "", "missing WEBHOOK_ID"},
		{[]string{"webhooks", "get", "a", "b"}, ExitUsage, "", "unexpected arguments: b"},
		{[]string{"webhooks", "create", "-h"}, ExitOK, "Examples:", ""},
		{[]string{"webhooks", "list", "--bogus"}, ExitUsage, "", "flag provided but not defined"},
		{[]string{"events", "list"}, ExitUsage, "", "no API key"},
		{[]string{"deliveries", "help"}, ExitOK, "retry", ""},
		{[]string{"event-types", "get", "--api-key", "k", "--server", "ftp://x", "slug"}, ExitUsage, "", "not an http(s) URL"},
		{[]string{"completion"}, ExitUsage, "", "bash, zsh or fish"},
		{[]string{"completion", "tcsh"}, ExitUsage, "", "unknown shell"},
		{[]string{"login", "extra"}, ExitUsage, "", "unexpected arguments"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := Main(context.Background(), tt.args, &out, &errb)
		if code != tt.code || !strings.Contains(out.String(), tt.wantOut) || !strings.Contains(errb.String(), tt.wantStderr) {
			t.Errorf("%q: exit %d (want %d)\nstdout: %s\nstderr: %s", tt.args, code, tt.code, out.String(), errb.String())
		}
	}
}

// TestCLIAgainstFakeAPI checks the error path end to end through Main: a
// field problem prints "field: message" and exits 1.
func TestCLIAgainstFakeAPI(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer hkl_good" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(401)
			io.WriteString(w, `{"type":"about:blank","title":"Unauthorized","status":401,"detail":"unknown API key"}`)
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(422)
		io.WriteString(w, `{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"events[0]: unknown event type \"nope\"","field":"events[0]"}`)
	}))
	defer srv.Close()
	t.Setenv("HOOKLINE_URL", srv.URL)

	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"webhooks", "create", "--api-key", "hkl_good", "--name", "x y", "--url", "http://127.0.0.1:9/", "--events", "nope"}, &out, &errb)
	if code != ExitError || !strings.Contains(errb.String(), `events[0]: unknown event type "nope"`) {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	t.Setenv("HOOKLINE_API_KEY", "hkl_bad")
	code = Main(context.Background(), []string{"events", "list"}, &out, &errb)
	if code != ExitError || !strings.Contains(errb.String(), "the API key from HOOKLINE_API_KEY was refused") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// TestCLIPrintsEveryProblem: when the server lists several bad fields,
// each is printed on its own line.
func TestCLIPrintsEveryProblem(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(400)
		io.WriteString(w, `{"type":"about:blank","title":"Bad Request","status":400,"detail":"name: must be 2 to 200 characters","field":"name",`+
			`"errors":[{"pointer":"/name","detail":"must be 2 to 200 characters"},{"pointer":"/url","detail":"scheme must be http or https"},`+
			`{"pointer":"/events/0","detail":"unknown event type \"nope\""}]}`)
	}))
	defer srv.Close()
	t.Setenv("HOOKLINE_URL", srv.URL)

	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"webhooks", "create", "--api-key", "hkl_good", "--name", "x", "--url", "ftp://x/", "--events", "nope"}, &out, &errb)
	want := "hookline webhooks: 3 problems with the request:\n" +
		"  /name: must be 2 to 200 characters\n" +
		"  /url: scheme must be http or https\n" +
		"  /events/0: unknown event type \"nope\"\n"
	if code != ExitError || errb.String() != want {
		t.Errorf("exit %d, stderr\n%s\nwant\n%s", code, errb.String(), want)
	}
}

// TestCLIKeysCreatePrintsEveryProblem: the same for a command that works
// on the database directly.
func TestCLIKeysCreatePrintsEveryProblem(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"keys", "create", "--data-dir", newDataDir(t), "--name", "ci", "--scopes", "delete,admin,write"}, &out, &errb)
	want := "hookline keys: 2 problems with the request:\n" +
		"  /scopes/0: unknown scope \"delete\" (use owner, admin, publish or read)\n" +
		"  /scopes/2: unknown scope \"write\" (use owner, admin, publish or read)\n"
	if code != ExitError || errb.String() != want || out.Len() != 0 {
		t.Errorf("exit %d, stdout %q, stderr\n%s\nwant\n%s", code, out.String(), errb.String(), want)
	}
}

func TestCLICompletionScripts(t *testing.T) {
	t.Parallel()
	tree := completionTree()
	scripts := map[string]string{"bash": bashCompletion(tree), "zsh": zshCompletion(tree), "fish": fishCompletion(tree)}
	for shell, script := range scripts {
		for _, want := range []string{"webhooks", "event-types", "rotate-secret", "data-file", "idempotency-key", "completion",
			"expires-in", "password-file", "forward-to", "retry-schedule"} {
			if !strings.Contains(script, want) {
				t.Errorf("%s script lacks %q", shell, want)
			}
		}
		if _, err := exec.LookPath(shell); err != nil {
			continue // syntax checked where the shell exists
		}
		f := filepath.Join(t.TempDir(), "script")
		os.WriteFile(f, []byte(script), 0o600)
		if out, err := exec.Command(shell, "-n", f).CombinedOutput(); err != nil {
			t.Errorf("%s -n: %v\n%s", shell, err, out)
		}
	}
}
