// Package cli implements the hookline subcommands.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/config"
	"github.com/hookline/hookline/internal/webhook"
)

// Exit codes scripts can rely on.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the server: API, dashboard and delivery workers", serve},
		{"bench", "measure a Hookline end to end: throughput and latency percentiles", benchCmd},
		{"migrate", "apply database migrations and exit (serve also does it at start)", migrateCmd},
		{"bins", "request inspector bins: create, list, watch live, delete", binsCmd},
		{"listen", "forward a server's webhooks to a local URL while you develop a receiver", listenCmd},
		{"backup", "write a consistent copy of the SQLite database while the server runs", backupCmd},
		{"restore", "check a backup and install it as the database (server stopped)", restoreCmd},
		{"keys", "manage API keys on the configured database (create, list, revoke)", keys},
		{"admin", "manage dashboard accounts on the configured database (reset-password)", adminCmd},
		{"config", "print the effective configuration (secrets masked): hookline config print", configCmd},
		{"webhooks", "manage webhooks through the API: list, get, create, update, delete, test", webhooksCmd},
		{"tenants", "manage tenants (your customers) through the API: list, get, create, update, delete", tenantsCmd},
		{"events", "publish events and inspect them through the API: publish, list, get", eventsCmd},
		{"event-types", "the event catalog through the API: list, get, create", eventTypesCmd},
		{"deliveries", "inspect and retry deliveries through the API: list, get, retry", deliveriesCmd},
		{"login", "check and save a server URL and API key for the API commands", loginCmd},
		{"completion", "print a shell completion script: bash, zsh or fish", completionCmd},
		{"version", "print the version", func(_ context.Context, _ []string, stdout, _ io.Writer) error {
			fmt.Fprintf(stdout, "hookline %s (commit %s, built %s, %s)\n", app.Version, app.Commit, app.BuildDate, runtime.Version())
			return nil
		}},
	}
}

// usageError marks a mistake in the command line (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// Main runs the command line and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		var ue *usageError
		switch {
		case err == nil:
			return ExitOK
		case errors.Is(err, flag.ErrHelp):
			return ExitOK
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "hookline %s: %s\nRun 'hookline %s -h' for usage.\n", c.name, ue.msg, c.name)
			return ExitUsage
		default:
			fmt.Fprintf(stderr, "hookline %s: %s\n", c.name, localProblems(err))
			return ExitError
		}
	}
	fmt.Fprintf(stderr, "hookline: unknown command %q\n", args[0])
	usage(stderr)
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Hookline: webhook delivery server.\n\nUsage: hookline COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'hookline COMMAND -h' for a command's flags.")
}

// localProblems puts each field problem of an error from a command that
// works on the database directly (keys create) on its own line, as
// explain does for the server's.
func localProblems(err error) error {
	e, ok := errors.AsType[*webhook.Error](err)
	if !ok || len(e.Problems()) < 2 {
		return err
	}
	var lines []string
	for _, p := range e.Problems() {
		lines = append(lines, p.Pointer+": "+p.Message)
	}
	return problemList(lines)
}

// flagErr turns a flag parsing error into a usage error (or help).
func flagErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &usageError{err.Error()}
}

// parseConfig parses the server configuration flags of fs plus the
// environment, and validates.
func parseConfig(fs *flag.FlagSet, args []string) (config.Config, error) {
	cfg := config.Default()
	opts := cfg.Bind(fs)
	cfgFile := fs.String("config", "", "configuration file: one `name = value` per line, flag names as keys (env HOOKLINE_CONFIG)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, &usageError{err.Error()}
	}
	if *cfgFile == "" {
		*cfgFile = config.Getenv("HOOKLINE_CONFIG")
	}
	var file map[string]string
	if *cfgFile != "" {
		var err error
		if file, err = config.ReadFile(*cfgFile); err != nil {
			return cfg, &usageError{err.Error()}
		}
	}
	if err := config.Resolve(fs, opts, config.Getenv, file); err != nil {
		return cfg, &usageError{err.Error()}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, &usageError{strings.ReplaceAll(err.Error(), "\n", "; ")}
	}
	return cfg, nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func newFlagSet(name string, stderr io.Writer, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: hookline %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func configCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "print" {
		return &usageError{"usage: hookline config print [flags]"}
	}
	fs := newFlagSet("config print", stderr, "config print [serve flags]")
	cfg, err := parseConfig(fs, args[1:])
	if err != nil {
		return err
	}
	for _, o := range cfg.Options() {
		fmt.Fprintf(stdout, "%s = %q\n", o.Name, o.Display())
	}
	return nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr, "serve [flags]")
	cfg, err := parseConfig(fs, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{"unexpected arguments: " + strings.Join(fs.Args(), " ")}
	}
	log := newLogger(cfg, stderr)
	a, err := app.New(cfg, log)
	if err != nil {
		return err
	}
	ln, err := app.Listen(cfg.Addr)
	if err != nil {
		return err
	}
	return a.Run(ctx, ln)
}
