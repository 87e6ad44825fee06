package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/config"
)

// flagLine is a flag in the help: "  -name" at the start of a line, as
// flag.PrintDefaults writes it.
var flagLine = regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)

// helpCase is one help request and what its help must show.
type helpCase struct {
	args []string
	// subs, for a group's help, are the subcommands it must list.
	subs []subcommand
	// flags, when known, are exactly the flags the help must list.
	flags []string
}

// helpCases lists the help of every command and subcommand of the
// command table, so that a new command is covered without a new test.
func helpCases() []helpCase {
	groups := map[string]apiGroup{}
	for _, g := range []apiGroup{webhooksGroup(), tenantsGroup(), eventsGroup(), eventTypesGroup(), deliveriesGroup(), binsGroup()} {
		groups[g.name] = g
	}
	cases := []helpCase{{args: []string{"-h"}}, {args: []string{"--help"}}, {args: []string{"help"}}}
	for _, c := range commands() {
		if c.subs == nil {
			cases = append(cases, helpCase{args: []string{c.name, "-h"}}, helpCase{args: []string{c.name, "--help"}})
			continue
		}
		for _, args := range [][]string{{c.name, "-h"}, {c.name, "--help"}, {c.name, "help"}, {"help", c.name}} {
			cases = append(cases, helpCase{args: args, subs: c.subs})
		}
		for _, s := range c.subs {
			hc := helpCase{args: []string{c.name, s.name, "-h"}}
			if g, ok := groups[c.name]; ok {
				// An API subcommand's flags are its definition's and the
				// connection's, nothing else.
				i := slices.IndexFunc(g.subs, func(a apiSub) bool { return a.name == s.name })
				fs := flag.NewFlagSet("", flag.ContinueOnError)
				addConnFlags(fs)
				g.subs[i].define(fs)
				fs.VisitAll(func(f *flag.Flag) { hc.flags = append(hc.flags, f.Name) })
			}
			cases = append(cases, hc, helpCase{args: []string{"help", c.name, s.name}, flags: hc.flags})
		}
	}
	return cases
}

// TestCLIHelpEveryCommand runs the help of every command in an empty
// directory: exit 0, the help on stdout and nothing on stderr, examples,
// only the command's own flags (never the server's), subcommands listed
// for a group, and no file created anywhere it could be (the working
// directory, where hookline-data would go, and the home directory).
func TestCLIHelpEveryCommand(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	for _, env := range []string{"HOOKLINE_URL", "HOOKLINE_API_KEY", "HOOKLINE_DATA_DIR", "HOOKLINE_DATABASE_URL", "HOOKLINE_CONFIG"} {
		t.Setenv(env, "")
	}
	// serveOnly are the server's options no other command lists (bench
	// has a --pprof of its own).
	var serveOnly []config.Option
	for _, o := range (&config.Config{}).Options() {
		if !slices.Contains(localOptions, o.Name) {
			serveOnly = append(serveOnly, o)
		}
	}
	cases := helpCases()
	if len(cases) < 60 {
		t.Fatalf("only %d help cases: is the command table read?", len(cases))
	}
	for _, hc := range cases {
		var out, errb bytes.Buffer
		code := Main(context.Background(), hc.args, &out, &errb)
		help := out.String()
		name := strings.Join(hc.args, " ")
		if code != ExitOK || errb.Len() != 0 || help == "" {
			t.Errorf("hookline %s: exit %d, stdout %d bytes, stderr:\n%s", name, code, len(help), errb.String())
			continue
		}
		var listed []string
		for _, m := range flagLine.FindAllStringSubmatch(help, -1) {
			listed = append(listed, m[1])
		}
		switch {
		case hc.subs != nil:
			for _, s := range hc.subs {
				if !strings.Contains(help, "  "+s.name+" ") {
					t.Errorf("hookline %s does not list subcommand %q:\n%s", name, s.name, help)
				}
			}
			if len(listed) > 0 {
				t.Errorf("hookline %s lists flags %v instead of only its subcommands", name, listed)
			}
			continue
		case hc.flags != nil:
			slices.Sort(listed)
			slices.Sort(hc.flags)
			if !slices.Equal(listed, hc.flags) {
				t.Errorf("hookline %s lists flags\n%v\nits own are\n%v", name, listed, hc.flags)
			}
		}
		if !strings.Contains(help, "Examples:\n  ") {
			t.Errorf("hookline %s has no examples:\n%s", name, help)
		}
		if hc.args[0] == "serve" {
			if len(listed) < len(serveOnly) {
				t.Errorf("hookline serve -h lists %d flags, want every option (%d)", len(listed), len(serveOnly))
			}
			continue
		}
		for _, o := range serveOnly {
			if slices.Contains(listed, o.Name) && strings.Contains(help, o.Usage) {
				t.Errorf("hookline %s lists the server's flag --%s", name, o.Name)
			}
		}
		if len(listed) != len(slices.Compact(slices.Sorted(slices.Values(listed)))) {
			t.Errorf("hookline %s lists a flag twice: %v", name, listed)
		}
	}
	var created []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if path != dir {
			created = append(created, path)
		}
		return err
	})
	if len(created) > 0 {
		t.Errorf("help created files: %v", created)
	}
}
