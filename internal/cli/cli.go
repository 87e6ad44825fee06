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
	"slices"
	"strings"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/config"
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
	// subs are the subcommands of a group command (keys, webhooks…), for
	// its help, the completion scripts and the help test; nil for a
	// command without subcommands.
	subs []subcommand
	run  func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// subcommand names one subcommand of a group.
type subcommand struct{ name, summary string }

func commands() []command {
	return []command{
		{name: "serve", summary: "run the server: API, dashboard and delivery workers", run: serve},
		{name: "bench", summary: "measure a Hookline end to end: throughput and latency percentiles", run: benchCmd},
		{name: "migrate", summary: "create or upgrade the database and exit (serve also does it at start)", run: migrateCmd},
		apiCommand(binsGroup(), binsCmd),
		{name: "listen", summary: "forward a server's webhooks to a local URL while you develop a receiver", run: listenCmd},
		{name: "backup", summary: "write a consistent copy of the SQLite database while the server runs", run: backupCmd},
		{name: "restore", summary: "check a backup and install it as the database (server stopped)", run: restoreCmd},
		{name: "doctor", summary: "check a data directory or database offline: what is wrong and what to do", run: doctorCmd},
		{name: "keys", summary: "manage API keys: through the server's API, or on its database for bootstrap and recovery",
			subs: keysSubs, run: keys},
		{name: "users", summary: "dashboard users and their roles: through the server's API, or on its database for recovery",
			subs: usersSubs, run: usersCmd},
		{name: "admin", summary: "dashboard accounts on the server's database: reset-password (recovery)", subs: adminSubs, run: adminCmd},
		{name: "config", summary: "print the effective configuration (secrets masked): hookline config print", subs: configSubs, run: configCmd},
		apiCommand(webhooksGroup(), webhooksCmd),
		apiCommand(tenantsGroup(), tenantsCmd),
		apiCommand(eventsGroup(), eventsCmd),
		apiCommand(eventTypesGroup(), eventTypesCmd),
		apiCommand(deliveriesGroup(), deliveriesCmd),
		apiCommand(alertsGroup(), alertsCmd),
		apiCommand(statsGroup(), statsCmd),
		{name: "login", summary: "check and save a server URL and API key for the API commands", run: loginCmd},
		{name: "completion", summary: "print a shell completion script: bash, zsh or fish", run: completionCmd},
		{name: "version", summary: "print the version", run: versionCmd},
	}
}

// apiCommand is the command-table entry of an API group.
func apiCommand(g apiGroup, run func(context.Context, []string, io.Writer, io.Writer) error) command {
	c := command{name: g.name, summary: g.summary, run: run}
	for _, s := range g.subs {
		c.subs = append(c.subs, subcommand{s.name, s.summary})
	}
	return c
}

func versionCmd(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlagSet("version", stdout, `version

Prints the version, the commit and the build date of this binary.

Examples:
  hookline version`)
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{msg: "unexpected arguments: " + strings.Join(fs.Args(), " ")}
	}
	fmt.Fprintf(stdout, "hookline %s (commit %s, built %s, %s)\n", app.Version, app.Commit, app.BuildDate, runtime.Version())
	return nil
}

// usageError marks a mistake in the command line (exit code 2). cmd, when
// set, is the command whose help to point at ("keys create").
type usageError struct{ msg, cmd string }

func (e *usageError) Error() string { return e.msg }

// Main runs the command line and returns the exit code. Help (-h, --help,
// help) goes to stdout and exits 0; mistakes in the command line exit 2,
// other errors 1, each printed once on stderr: as problem JSON when the
// command line asks for --json.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 1 && args[0] == "help" {
		// "hookline help keys create" is "hookline keys create -h".
		args = append(args[1:], "-h")
	}
	if len(args) == 0 || isHelp(args[0]) {
		if len(args) == 0 {
			usage(stderr)
			return ExitUsage
		}
		usage(stdout)
		return ExitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		if err == nil || errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return reportError(stderr, c.name, err, wantsJSON(args[1:]))
	}
	fmt.Fprintf(stderr, "hookline: unknown command %q\n", args[0])
	usage(stderr)
	return ExitUsage
}

// isHelp reports whether arg asks for help instead of naming a subcommand.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "help":
		return true
	}
	return false
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Hookline: webhook delivery server.\n\nUsage: hookline COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, `
Examples:
  hookline serve --data-dir /var/lib/hookline
  hookline keys create --name deploy --data-dir /var/lib/hookline
  hookline webhooks list --server http://127.0.0.1:8080

Run 'hookline COMMAND -h' for a command's flags and examples.`)
}

// groupUsage is the help of a group command: its subcommands.
func groupUsage(w io.Writer, name, about string, subs []subcommand) {
	fmt.Fprintf(w, "Usage: hookline %s SUBCOMMAND [flags]\n\n%s\n\nSubcommands:\n", name, strings.TrimSpace(about))
	for _, s := range subs {
		fmt.Fprintf(w, "  %-14s %s\n", s.name, s.summary)
	}
	fmt.Fprintf(w, "\nRun 'hookline %s SUBCOMMAND -h' for its flags and examples.\n", name)
}

// groupSub picks the subcommand of a group command from args: help on
// stdout for -h, a usage error for none or an unknown one.
func groupSub(args []string, name, about string, subs []subcommand, stdout io.Writer) (string, []string, error) {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	if len(args) == 0 {
		return "", nil, &usageError{msg: "missing subcommand: " + strings.Join(names, ", "), cmd: name}
	}
	if isHelp(args[0]) {
		groupUsage(stdout, name, about, subs)
		return "", nil, flag.ErrHelp
	}
	if !slices.Contains(names, args[0]) {
		return "", nil, &usageError{msg: fmt.Sprintf("unknown subcommand %q: use %s", args[0], strings.Join(names, ", ")), cmd: name}
	}
	return args[0], args[1:], nil
}

// newFlagSet returns a flag set whose help, asked for with -h, goes to
// stdout: the synopsis (what the command does, its examples) and the
// command's own flags. Parse errors are not printed by the flag package:
// parseFlags returns them, and Main prints them once.
func newFlagSet(name string, stdout io.Writer, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: hookline %s\n", strings.TrimRight(synopsis, "\n"))
		// The help lists the flags that are not hidden, as PrintDefaults
		// would: a flag set of their own, with their defaults.
		shown := flag.NewFlagSet(name, flag.ContinueOnError)
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.HasPrefix(f.Usage, hiddenFlag) {
				shown.Var(f.Value, f.Name, f.Usage)
				shown.Lookup(f.Name).DefValue = f.DefValue
			}
		})
		if !hasFlags(shown) {
			return
		}
		fmt.Fprintln(stdout, "\nFlags:")
		shown.SetOutput(stdout)
		shown.PrintDefaults()
	}
	return fs
}

// hiddenFlag starts the usage of a flag the help does not list: the
// server's options that commands working on its database accept (so the
// server's own command line can be reused) but do not use.
const hiddenFlag = "\x00hidden: "

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseFlags parses args with fs: for -h it prints the help (fs.Usage)
// and returns flag.ErrHelp; a bad flag is a usage error naming the
// command.
func parseFlags(fs *flag.FlagSet, args []string) error {
	help := fs.Usage
	// The flag package calls Usage on errors too; only -h gets the help.
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = help
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		help()
		return err
	}
	return &usageError{msg: err.Error(), cmd: fs.Name()}
}

// localOptions are the serve options of the commands that work on the
// server's database directly (keys, admin, migrate): where the database
// is, and the key that opens the secrets stored in it.
var localOptions = []string{"data-dir", "database-url", "secret-key-file"}

const configFlagUsage = "the server's configuration `FILE`: one name = value per line, flag names as keys (env HOOKLINE_CONFIG)"

// localUsage is how the commands other than serve describe the server
// options they take: they point at the server's database, and create
// nothing.
var localUsage = map[string]string{
	"data-dir":        "the server's data `DIR`, holding its SQLite database and secret key",
	"database-url":    "the server's PostgreSQL database, a postgres:// `URL`, instead of --data-dir",
	"secret-key-file": "the server's secret key `FILE` (default DIR/secret.key)",
}

// parseConfig parses the server configuration flags plus --config, the
// other flags of fs, the environment and the configuration file, and
// validates. The help lists the server flags named (every one when names
// is nil); the others are accepted, hidden, so that a command can be given
// the server's own flags. Flags may follow positional arguments, which it
// returns.
//
// Options not bound as flags still come from the environment and the
// configuration file, so a command run next to the server (same
// HOOKLINE_* variables, same --config) sees the server's settings.
func parseConfig(fs *flag.FlagSet, args []string, names ...string) (config.Config, []string, error) {
	cfg := config.Default()
	all := flag.NewFlagSet("", flag.ContinueOnError)
	opts := cfg.Bind(all)
	all.VisitAll(func(f *flag.Flag) {
		usage := f.Usage
		switch {
		case names == nil:
		case slices.Contains(names, f.Name):
			if u, ok := localUsage[f.Name]; ok {
				usage = u + " (env HOOKLINE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_")) + ")"
			}
		default:
			usage = hiddenFlag + usage
		}
		fs.Var(f.Value, f.Name, usage)
	})
	cfgFile := fs.String("config", "", configFlagUsage)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return cfg, nil, err
	}
	if *cfgFile == "" {
		*cfgFile = config.Getenv("HOOKLINE_CONFIG")
	}
	var file map[string]string
	if *cfgFile != "" {
		var err error
		if file, err = config.ReadFile(*cfgFile); err != nil {
			return cfg, nil, &usageError{msg: err.Error(), cmd: fs.Name()}
		}
	}
	if err := config.Resolve(fs, opts, config.Getenv, file); err != nil {
		return cfg, nil, &usageError{msg: err.Error(), cmd: fs.Name()}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, nil, &usageError{msg: strings.ReplaceAll(err.Error(), "\n", "; "), cmd: fs.Name()}
	}
	return cfg, pos, nil
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

var configSubs = []subcommand{{"print", "print every setting serve would use, from flags, environment and file"}}

const configAbout = `Shows the configuration 'hookline serve' would run with, given the same
flags, environment and configuration file.`

func configCmd(_ context.Context, args []string, stdout, _ io.Writer) error {
	_, args, err := groupSub(args, "config", configAbout, configSubs, stdout)
	if err != nil {
		return err
	}
	const synopsis = `config print [serve flags]

Prints every setting 'hookline serve' would use with the same flags,
environment (HOOKLINE_*) and --config file, one 'name = "value"' a line,
secrets masked. It takes every flag of 'hookline serve' (see
'hookline serve -h'); only --config is listed here.

Examples:
  hookline config print
  hookline config print --config /etc/hookline/hookline.conf
  HOOKLINE_WORKERS=256 hookline config print | grep workers`
	fs := newFlagSet("config print", stdout, synopsis)
	// Every serve flag is accepted, but the help lists only --config:
	// the others are serve's, documented there.
	cfg, pos, err := parseConfig(fs, args, "config")
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{msg: "unexpected arguments: " + strings.Join(pos, " "), cmd: "config print"}
	}
	for _, o := range cfg.Options() {
		fmt.Fprintf(stdout, "%s = %q\n", o.Name, o.Display())
	}
	return nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stdout, `serve [flags]

Runs the server: the REST API, the dashboard, the delivery workers and
upkeep. With no --database-url it keeps an SQLite database and the key
that encrypts signing secrets in --data-dir, creating them on first start.
Every flag can also be set as HOOKLINE_<NAME> or in a --config file.

Examples:
  hookline serve
  hookline serve --data-dir /var/lib/hookline --addr 127.0.0.1:8080
  hookline serve --database-url postgres://hookline@db/hookline --secret-key-file /etc/hookline/secret.key`)
	cfg, pos, err := parseConfig(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{msg: "unexpected arguments: " + strings.Join(pos, " "), cmd: "serve"}
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
