package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline/client"
	"github.com/hookline/hookline/internal/app"
)

// This file is the frame of the API client commands (webhooks, events,
// event-types, deliveries): how they find the server and key, parse their
// flags, and turn API errors into messages that say what to do.

// defaultServer is used when neither --server, HOOKLINE_URL nor the login
// file names one: a `hookline serve` with default flags on this machine.
const defaultServer = "http://127.0.0.1:8080"

// apiGroup is a command with subcommands that call the API.
type apiGroup struct {
	name    string
	summary string
	subs    []apiSub
}

// apiSub is one subcommand. define registers its own flags on fs and
// returns the function that runs it; the completion scripts call define
// on a throwaway flag set to learn the flags.
type apiSub struct {
	name    string
	summary string
	// args names the positional arguments, e.g. "WEBHOOK_ID"; "" for none.
	args string
	// help is the text after the synopsis in -h: what it does, examples.
	help   string
	define func(fs *flag.FlagSet) func(ctx context.Context, x *apiCall, args []string) error
	// stream marks a command that runs until interrupted (watch, listen):
	// --timeout bounds each request, not the command.
	stream bool
}

// apiCall is what a running subcommand works with.
type apiCall struct {
	c      *client.Client
	stdout io.Writer
	stderr io.Writer
	json   bool
	server string
	// keySource says where the key came from, for error hints.
	keySource string
}

// printJSON writes v as indented JSON.
func (x *apiCall) printJSON(v any) error {
	enc := json.NewEncoder(x.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// run dispatches args to a subcommand of g.
func (g apiGroup) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &usageError{msg: "missing subcommand: " + g.subNames()}
	}
	if isHelp(args[0]) {
		g.usage(stdout)
		return flag.ErrHelp
	}
	for _, s := range g.subs {
		if s.name == args[0] {
			return g.runSub(ctx, s, args[1:], stdout, stderr)
		}
	}
	return &usageError{msg: fmt.Sprintf("unknown subcommand %q: use %s", args[0], g.subNames())}
}

func (g apiGroup) subNames() string {
	names := make([]string, len(g.subs))
	for i, s := range g.subs {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}

func (g apiGroup) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: hookline %s SUBCOMMAND [flags]\n\n%s.\n\nSubcommands:\n", g.name, capitalize(g.summary))
	for _, s := range g.subs {
		fmt.Fprintf(w, "  %-14s %s\n", s.name, s.summary)
	}
	fmt.Fprintf(w, "\n%s\nRun 'hookline %s SUBCOMMAND -h' for its flags and examples.\n", connectionHelp, g.name)
}

// connectionHelp explains where the server and key come from.
const connectionHelp = `The server and API key come from --server and --api-key, else from the
environment (HOOKLINE_URL, HOOKLINE_API_KEY), else from the file that
'hookline login' writes; the server defaults to ` + defaultServer + `.
Exit status: 0 success, 1 error (the server refused or failed), 2 usage.`

func (g apiGroup) runSub(ctx context.Context, s apiSub, args []string, stdout, stderr io.Writer) (err error) {
	defer func() { err = inCommand(err, g.name+" "+s.name) }()
	synopsis := g.name + " " + s.name
	if s.args != "" {
		synopsis += " " + s.args
	}
	synopsis += " [flags]"
	if s.help != "" {
		synopsis += "\n\n" + strings.TrimSpace(s.help)
	}
	synopsis += "\n\n" + connectionHelp
	fs := newFlagSet(g.name+" "+s.name, stdout, synopsis)
	conn := addConnFlags(fs)
	run := s.define(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if want := argCount(s.args); len(pos) != want {
		if len(pos) < want {
			return &usageError{msg: fmt.Sprintf("%s: missing %s (usage: hookline %s %s %s)", s.name, s.args, g.name, s.name, s.args)}
		}
		return &usageError{msg: fmt.Sprintf("%s: unexpected arguments: %s", s.name, strings.Join(pos[want:], " "))}
	}
	x, err := conn.connect(stdout, stderr)
	if err != nil {
		return err
	}
	if !s.stream {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, conn.timeout)
		defer cancel()
	}
	err = run(ctx, x, pos)
	return explain(err, x, conn.timeout)
}

func argCount(args string) int { return len(strings.Fields(args)) }

// connFlags are the flags every API command has.
type connFlags struct {
	server  string
	apiKey  string
	json    bool
	timeout time.Duration
}

func addConnFlags(fs *flag.FlagSet) *connFlags {
	f := &connFlags{}
	fs.StringVar(&f.server, "server", "", "Hookline server URL (env HOOKLINE_URL; default from 'hookline login', else "+defaultServer+")")
	fs.StringVar(&f.apiKey, "api-key", "", "API key (env HOOKLINE_API_KEY; default from 'hookline login')")
	fs.BoolVar(&f.json, "json", false, "print the API's JSON instead of a table, for scripts")
	fs.DurationVar(&f.timeout, "timeout", 60*time.Second, "give up when the server has not answered within this time")
	return f
}

// connect resolves the server and key and returns the call context.
func (f *connFlags) connect(stdout, stderr io.Writer) (*apiCall, error) {
	conn, err := resolveConnection(f.server, f.apiKey, os.Getenv, stderr)
	if err != nil {
		return nil, err
	}
	if conn.APIKey == "" {
		if conn.SavedServer != "" {
			return nil, &usageError{msg: fmt.Sprintf("no API key for %s: the key saved by 'hookline login' is for %s "+
				"and is not sent elsewhere; pass --api-key, set HOOKLINE_API_KEY, or run 'hookline login --server %s'",
				conn.Server, conn.SavedServer, conn.Server)}
		}
		return nil, &usageError{msg: "no API key: pass --api-key, set HOOKLINE_API_KEY, or run 'hookline login' " +
			"(create a key with 'hookline keys create --name NAME' on the server's machine)"}
	}
	if f.timeout <= 0 {
		return nil, &usageError{msg: "--timeout must be positive"}
	}
	return &apiCall{
		c:      newAPIClient(conn.Server, conn.APIKey),
		stdout: stdout, stderr: stderr, json: f.json,
		server: conn.Server, keySource: conn.KeySource,
	}, nil
}

func newAPIClient(server, key string) *client.Client {
	return client.New(server, key, client.WithUserAgent("hookline-cli/"+app.Version))
}

// connection is a resolved server and key, with where each came from.
type connection struct {
	Server, APIKey          string
	ServerSource, KeySource string
	// SavedServer is the server of the login file when it holds a key
	// that was not used because the server differs.
	SavedServer string
}

// resolveConnection applies the precedence flag > environment > login
// file > default, field by field. The saved key is used only with the
// saved server, so pointing --server elsewhere never sends it to a server
// it was not made for.
func resolveConnection(flagServer, flagKey string, getenv func(string) string, stderr io.Writer) (connection, error) {
	var c connection
	saved, path, err := readLoginConfig(getenv, stderr)
	if err != nil {
		return c, err
	}
	switch {
	case flagServer != "":
		c.Server, c.ServerSource = flagServer, "--server"
	case getenv("HOOKLINE_URL") != "":
		c.Server, c.ServerSource = getenv("HOOKLINE_URL"), "HOOKLINE_URL"
	case saved.Server != "":
		c.Server, c.ServerSource = saved.Server, path
	default:
		c.Server, c.ServerSource = defaultServer, "the default"
	}
	if err := checkServerURL(c.Server); err != nil {
		return c, &usageError{msg: fmt.Sprintf("server URL from %s: %v", c.ServerSource, err)}
	}
	c.Server = strings.TrimRight(c.Server, "/")
	switch {
	case flagKey != "":
		c.APIKey, c.KeySource = flagKey, "--api-key"
	case getenv("HOOKLINE_API_KEY") != "":
		c.APIKey, c.KeySource = getenv("HOOKLINE_API_KEY"), "HOOKLINE_API_KEY"
	case saved.APIKey != "" && strings.TrimRight(saved.Server, "/") == c.Server:
		c.APIKey, c.KeySource = saved.APIKey, path
	case saved.APIKey != "":
		c.SavedServer = saved.Server
	}
	return c, nil
}

func checkServerURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL like %s", s, defaultServer)
	}
	return nil
}

// loginConfig is the file 'hookline login' writes.
type loginConfig struct {
	Server string `json:"server"`
	APIKey string `json:"api_key"`
}

// loginConfigPath is $XDG_CONFIG_HOME/hookline/config.json, or
// ~/.config/hookline/config.json.
func loginConfigPath(getenv func(string) string) (string, error) {
	if dir := getenv("XDG_CONFIG_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "hookline", "config.json"), nil
	}
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("cannot find the home directory for the login file: %w (set XDG_CONFIG_HOME)", err)
		}
	}
	return filepath.Join(home, ".config", "hookline", "config.json"), nil
}

// readLoginConfig reads the login file; a missing file is an empty config.
func readLoginConfig(getenv func(string) string, stderr io.Writer) (loginConfig, string, error) {
	var cfg loginConfig
	path, err := loginConfigPath(getenv)
	if err != nil {
		return cfg, "", nil // no home: nothing saved
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return cfg, path, nil
	}
	if err != nil {
		return cfg, path, err
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return cfg, path, fmt.Errorf("%s: %v (fix it or run 'hookline login' again)", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(stderr, "hookline: warning: %s holds an API key and is readable by others; run: chmod 600 %s\n", path, path)
	}
	return cfg, path, nil
}

// writeLoginConfig saves cfg with mode 0600 in a 0700 directory, replacing
// the file atomically.
func writeLoginConfig(path string, cfg loginConfig) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("webhooks get ID --json"), which the flag package
// alone stops at. Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// notFoundError is a 404 explained for the resource the command named.
type notFoundError struct {
	what, id, hint string
	// err is the server's answer, for --json.
	err error
}

func (e *notFoundError) Unwrap() error { return e.err }

func (e *notFoundError) Error() string {
	return fmt.Sprintf("%s %s not found: %s", e.what, e.id, e.hint)
}

// notFound turns a 404 from the client into a message that names the
// resource and says how to find the right id; other errors pass through.
func notFound(err error, what, id, hint string) error {
	if client.IsNotFound(err) {
		return &notFoundError{what: what, id: id, hint: hint, err: err}
	}
	return err
}

// explain turns an error from the client into one line that says what to
// do. API errors keep the server's detail, which for a bad field is
// "field: message".
func explain(err error, x *apiCall, timeout time.Duration) error {
	if err == nil {
		return nil
	}
	var ue *usageError
	var nf *notFoundError
	if errors.As(err, &ue) || errors.As(err, &nf) || errors.Is(err, flag.ErrHelp) {
		return err
	}
	var e *client.Error
	if errors.As(err, &e) {
		switch {
		case e.Status == 401:
			return &explainedError{fmt.Sprintf("the API key from %s was refused (%s): check --api-key / HOOKLINE_API_KEY or run hookline login",
				x.keySource, e.Detail), err}
		case e.Status == 403:
			scope := "admin"
			if strings.Contains(e.Detail, "owner scope") {
				scope = "owner"
			}
			return &explainedError{fmt.Sprintf("this API key may not do that (%s): use a key with the %s scope", e.Detail, scope), err}
		case e.Status == 404:
			return &explainedError{"not found: " + e.Detail, err}
		case e.Status == 429:
			msg := "the server is rate-limiting this API key"
			if e.RetryAfter > 0 {
				msg += fmt.Sprintf("; try again in %s", e.RetryAfter)
			}
			return &explainedError{msg, err}
		case e.Status >= 500:
			msg := fmt.Sprintf("the server failed (%d %s): %s", e.Status, e.Title, e.Detail)
			if e.RequestID != "" {
				msg += " (request id " + e.RequestID + ": the server log has the details)"
			}
			return &explainedError{msg, err}
		case len(e.Errors) > 1:
			places := make([]string, len(e.Errors))
			for i, p := range e.Errors {
				places[i] = p.Place() + ": " + p.Detail
			}
			return &explainedError{problemList(places).Error(), err}
		case e.Detail != "":
			return &explainedError{e.Detail, err}
		}
		return &explainedError{fmt.Sprintf("the server answered %d %s", e.Status, e.Title), err}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &explainedError{fmt.Sprintf("no answer from %s within %s: is the server overloaded? (raise --timeout to wait longer)", x.server, timeout), err}
	}
	var ne *net.OpError
	var ue2 *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue2) {
		return &explainedError{fmt.Sprintf("cannot reach the Hookline server at %s: %v\nIs it running there? Set the address with --server or HOOKLINE_URL, or run hookline login",
			x.server, rootCause(err)), err}
	}
	return err
}

// problemList is an error whose text puts each problem on its own line,
// under a line that counts them.
func problemList(problems []string) error {
	return fmt.Errorf("%d problems with the request:\n  %s", len(problems), strings.Join(problems, "\n  "))
}

// rootCause strips url.Error's "Get \"...\":" prefix, which repeats the URL.
func rootCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// headerFlags collects repeated --header K=V flags.
type headerFlags map[string]string

func (h headerFlags) String() string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + h[k]
	}
	return strings.Join(parts, ",")
}

func (h headerFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", v)
	}
	h[strings.TrimSpace(k)] = val
	return nil
}

// addSecret adds the secret headers to h and returns their names, sorted.
func (h headerFlags) addSecret(secret headerFlags) []string {
	names := make([]string, 0, len(secret))
	for k, v := range secret {
		h[k] = v
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// readData returns JSON from a flag value or a file ("-" is stdin); it
// insists on valid JSON so a typo fails here, naming the flag.
func readData(inline, file string, stdin io.Reader, inlineFlag, fileFlag string) (json.RawMessage, error) {
	var b []byte
	name := inlineFlag
	switch {
	case inline != "" && file != "":
		return nil, &usageError{msg: fmt.Sprintf("give --%s or --%s, not both", inlineFlag, fileFlag)}
	case inline != "":
		b = []byte(inline)
	case file == "-":
		var err error
		if b, err = io.ReadAll(stdin); err != nil {
			return nil, fmt.Errorf("read standard input: %w", err)
		}
		name = fileFlag + " -"
	case file != "":
		var err error
		if b, err = os.ReadFile(file); err != nil {
			return nil, &usageError{msg: fmt.Sprintf("--%s: %v", fileFlag, err)}
		}
		name = fileFlag + " " + file
	default:
		return nil, nil
	}
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		return nil, &usageError{msg: fmt.Sprintf("--%s is not valid JSON: %v", name, err)}
	}
	return json.RawMessage(b), nil
}
