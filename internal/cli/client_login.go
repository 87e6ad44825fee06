package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

func loginCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("login", stdout, `login [--server URL] [--api-key KEY]

Checks an API key against a Hookline server (GET /api/v1/me) and saves the
server URL and key for the webhooks, events, event-types and deliveries
commands, in $XDG_CONFIG_HOME/hookline/config.json (or
~/.config/hookline/config.json), readable only by you (mode 0600).

Without --api-key (or HOOKLINE_API_KEY) the key is read from standard
input, which keeps it out of the shell history and the process list.
--server and HOOKLINE_URL still override the saved server later; the saved
key is only ever sent to the saved server.

Examples:
  hookline login --server https://hooks.example.com
  hookline keys create --name laptop | hookline login --server http://127.0.0.1:8080
  hookline login --server http://127.0.0.1:8080 --api-key hkl_...`)
	server := fs.String("server", "", "the Hookline server URL (env HOOKLINE_URL; default: the saved one, else "+defaultServer+")")
	key := fs.String("api-key", "", "the API key (env HOOKLINE_API_KEY; default: read from standard input)")
	timeout := fs.Duration("timeout", 30*time.Second, "give up when the server has not answered within this time")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{msg: "unexpected arguments: " + strings.Join(pos, " ")}
	}
	path, err := loginConfigPath(os.Getenv)
	if err != nil {
		return err
	}
	// The saved server is the default; the saved key is not: logging in
	// is how a key gets replaced.
	conn, err := resolveConnection(*server, *key, os.Getenv, stderr)
	if err != nil {
		return err
	}
	if conn.KeySource != "--api-key" && conn.KeySource != "HOOKLINE_API_KEY" {
		conn.APIKey, conn.KeySource = "", "standard input"
		if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintf(stderr, "API key for %s: ", conn.Server)
		}
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("read the API key from standard input: %w", err)
		}
		// `hookline keys create` prints the key alone on its first line.
		conn.APIKey = strings.TrimSpace(line)
	}
	if conn.APIKey == "" {
		return &usageError{msg: "no API key: pass --api-key, set HOOKLINE_API_KEY or type it on standard input"}
	}
	x := &apiCall{c: newAPIClient(conn.Server, conn.APIKey), stdout: stdout, stderr: stderr,
		server: conn.Server, keySource: conn.KeySource}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	me, err := x.c.Me(ctx)
	if err != nil {
		return explain(err, x, *timeout)
	}
	if err := writeLoginConfig(path, loginConfig{Server: conn.Server, APIKey: conn.APIKey}); err != nil {
		return fmt.Errorf("save the login: %w", err)
	}
	fmt.Fprintf(stdout, "Logged in to %s (%s, version %s) with key %q (%s, scopes %s).\nSaved to %s.\n",
		conn.Server, me.Server, me.Version, me.Key.Name, me.Key.ID, strings.Join(me.Key.Scopes, ","), path)
	if !slices.Contains(me.Key.Scopes, "admin") && !slices.Contains(me.Key.Scopes, "owner") {
		fmt.Fprintln(stderr, "Note: this key has no admin scope: only 'hookline events publish' will work with it.")
	}
	return nil
}
