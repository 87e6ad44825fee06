package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

func completionCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("completion", stdout, `completion bash|zsh|fish

Prints a shell completion script for hookline's commands, subcommands and
their flags. The script is static: completing never runs hookline.

Examples:
  source <(hookline completion bash)          # now, in bash
  hookline completion bash > /etc/bash_completion.d/hookline
  source <(hookline completion zsh)           # now, in zsh (after compinit)
  hookline completion zsh > "${fpath[1]}/_hookline"
  hookline completion fish | source           # now, in fish
  hookline completion fish > ~/.config/fish/completions/hookline.fish`)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{msg: "name one shell: bash, zsh or fish"}
	}
	tree := completionTree()
	switch pos[0] {
	case "bash":
		_, err = io.WriteString(stdout, bashCompletion(tree))
	case "zsh":
		_, err = io.WriteString(stdout, zshCompletion(tree))
	case "fish":
		_, err = io.WriteString(stdout, fishCompletion(tree))
	default:
		return &usageError{msg: fmt.Sprintf("unknown shell %q: use bash, zsh or fish", pos[0])}
	}
	return err
}

// compNode is a command or subcommand for completion.
type compNode struct {
	name, desc string
	subs       []compNode
	flags      []compFlag
}

type compFlag struct {
	name, desc string
	file       bool // takes a file name
	bool       bool // takes no value
}

// completionTree describes every command: the API groups in full (from
// their flag definitions), the other commands and subcommands with the
// flags their help lists, and the shells of completion.
func completionTree() []compNode {
	groups := map[string]apiGroup{}
	for _, g := range []apiGroup{webhooksGroup(), tenantsGroup(), eventsGroup(), eventTypesGroup(), deliveriesGroup(), binsGroup()} {
		groups[g.name] = g
	}
	var tree []compNode
	for _, c := range commands() {
		n := compNode{name: c.name, desc: c.summary}
		switch {
		case groups[c.name].name != "":
			for _, s := range groups[c.name].subs {
				fs := flag.NewFlagSet(s.name, flag.ContinueOnError)
				addConnFlags(fs)
				s.define(fs)
				n.subs = append(n.subs, compNode{name: s.name, desc: s.summary, flags: flagsOf(fs)})
			}
		case c.subs != nil:
			for _, s := range c.subs {
				n.subs = append(n.subs, compNode{name: s.name, desc: s.summary, flags: helpFlags(c.name, s.name)})
			}
		case c.name == "completion":
			for _, s := range []string{"bash", "zsh", "fish"} {
				n.subs = append(n.subs, compNode{name: s})
			}
		default:
			n.flags = helpFlags(c.name)
		}
		tree = append(tree, n)
	}
	tree = append(tree, compNode{name: "help", desc: "list the commands"})
	return tree
}

// helpFlag is a flag line of the help, as flag.PrintDefaults writes it:
// the name, then the value's name unless it is a switch.
var helpFlag = regexp.MustCompile(`^  -([a-z0-9-]+)(?: (\S+))?$`)

// helpFlags reads the flags of a command from its help, which touches
// nothing: the completion offers what the help lists.
func helpFlags(args ...string) []compFlag {
	var out bytes.Buffer
	Main(context.Background(), append(args, "-h"), &out, io.Discard)
	lines := strings.Split(out.String(), "\n")
	var flags []compFlag
	for i, l := range lines {
		m := helpFlag.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		desc := ""
		if i+1 < len(lines) {
			desc = strings.TrimSpace(lines[i+1])
		}
		flags = append(flags, compFlag{name: m[1], desc: firstClause(desc), bool: m[2] == "",
			file: strings.HasSuffix(m[1], "-file") || m[2] == "FILE"})
	}
	return flags
}

func flagsOf(fs *flag.FlagSet) []compFlag {
	var out []compFlag
	fs.VisitAll(func(f *flag.Flag) {
		_, isBool := f.Value.(interface{ IsBoolFlag() bool })
		out = append(out, compFlag{name: f.Name, desc: firstClause(f.Usage),
			file: strings.HasSuffix(f.Name, "-file") || f.Name == "config", bool: isBool})
	})
	return out
}

// firstClause is a flag usage cut to a short description.
func firstClause(s string) string {
	s = strings.ReplaceAll(s, "`", "")
	if i := strings.IndexAny(s, "(;"); i > 0 {
		s = s[:i]
	}
	return clip(strings.TrimSpace(s), 70)
}

func flagNames(flags []compFlag) string {
	names := make([]string, len(flags))
	for i, f := range flags {
		names[i] = "--" + f.name
	}
	return strings.Join(names, " ")
}

func nodeNames(nodes []compNode) string {
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.name
	}
	return strings.Join(names, " ")
}

func bashCompletion(tree []compNode) string {
	var b strings.Builder
	b.WriteString(`# bash completion for hookline.
# Load it now:      source <(hookline completion bash)
# Or install it:    hookline completion bash > /etc/bash_completion.d/hookline
_hookline() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local cmd=${COMP_WORDS[1]} sub=${COMP_WORDS[2]}
    local words=""
    if [[ $COMP_CWORD -eq 1 ]]; then
        words="` + nodeNames(tree) + `"
    elif [[ $cur == -* ]]; then
        case $cmd in
`)
	for _, n := range tree {
		switch {
		case len(n.flags) > 0:
			fmt.Fprintf(&b, "            %s) words=%q ;;\n", n.name, flagNames(n.flags))
		case slices.ContainsFunc(n.subs, func(s compNode) bool { return len(s.flags) > 0 }):
			fmt.Fprintf(&b, "            %s)\n                case $sub in\n", n.name)
			for _, s := range n.subs {
				fmt.Fprintf(&b, "                    %s) words=%q ;;\n", s.name, flagNames(s.flags))
			}
			b.WriteString("                esac ;;\n")
		}
	}
	b.WriteString(`        esac
    elif [[ $COMP_CWORD -eq 2 ]]; then
        case $cmd in
`)
	for _, n := range tree {
		if len(n.subs) > 0 {
			fmt.Fprintf(&b, "            %s) words=%q ;;\n", n.name, nodeNames(n.subs))
		}
	}
	b.WriteString(`        esac
    fi
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _hookline hookline
`)
	return b.String()
}

// zshQuote single-quotes s for zsh.
func zshQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func zshItems(nodes []compNode) string {
	items := make([]string, len(nodes))
	for i, n := range nodes {
		items[i] = zshQuote(strings.ReplaceAll(n.name, ":", `\:`) + ":" + n.desc)
	}
	return strings.Join(items, " ")
}

func zshFlags(flags []compFlag) string {
	items := make([]string, len(flags))
	for i, f := range flags {
		items[i] = zshQuote("--" + f.name)
	}
	return strings.Join(items, " ")
}

func zshCompletion(tree []compNode) string {
	var b strings.Builder
	b.WriteString(`#compdef hookline
# zsh completion for hookline.
# Load it now:      source <(hookline completion zsh)    (after compinit)
# Or install it:    hookline completion zsh > "${fpath[1]}/_hookline"
_hookline() {
    local -a items
    if (( CURRENT == 2 )); then
        items=(` + zshItems(tree) + `)
        _describe -t commands 'hookline command' items
        return
    fi
    if [[ $PREFIX == -* ]]; then
        case $words[2] in
`)
	for _, n := range tree {
		switch {
		case len(n.flags) > 0:
			fmt.Fprintf(&b, "            %s) items=(%s) ;;\n", n.name, zshFlags(n.flags))
		case slices.ContainsFunc(n.subs, func(s compNode) bool { return len(s.flags) > 0 }):
			fmt.Fprintf(&b, "            %s)\n                case $words[3] in\n", n.name)
			for _, s := range n.subs {
				fmt.Fprintf(&b, "                    %s) items=(%s) ;;\n", s.name, zshFlags(s.flags))
			}
			b.WriteString("                esac ;;\n")
		}
	}
	b.WriteString(`        esac
        compadd -a items
        return
    fi
    if (( CURRENT == 3 )); then
        case $words[2] in
`)
	for _, n := range tree {
		if len(n.subs) > 0 {
			fmt.Fprintf(&b, "            %s) items=(%s) ;;\n", n.name, zshItems(n.subs))
		}
	}
	b.WriteString(`        esac
        if (( ${#items} )); then
            _describe -t subcommands 'subcommand' items
            return
        fi
    fi
    _files
}
if [[ ${funcstack[1]} == _hookline ]]; then
    _hookline "$@"
else
    compdef _hookline hookline
fi
`)
	return b.String()
}

// fishQuote single-quotes s for fish.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func fishCompletion(tree []compNode) string {
	var b strings.Builder
	b.WriteString(`# fish completion for hookline.
# Load it now:      hookline completion fish | source
# Or install it:    hookline completion fish > ~/.config/fish/completions/hookline.fish
complete -c hookline -f
`)
	flagLine := func(cond string, f compFlag) {
		extra := ""
		switch {
		case f.file:
			extra = " -r -F"
		case !f.bool:
			extra = " -r"
		}
		fmt.Fprintf(&b, "complete -c hookline -n %s -l %s%s -d %s\n", fishQuote(cond), f.name, extra, fishQuote(f.desc))
	}
	for _, n := range tree {
		fmt.Fprintf(&b, "complete -c hookline -n __fish_use_subcommand -a %s -d %s\n", n.name, fishQuote(n.desc))
	}
	for _, n := range tree {
		if len(n.subs) > 0 {
			cond := "__fish_seen_subcommand_from " + n.name + "; and not __fish_seen_subcommand_from " + nodeNames(n.subs)
			for _, s := range n.subs {
				fmt.Fprintf(&b, "complete -c hookline -n %s -a %s -d %s\n", fishQuote(cond), s.name, fishQuote(s.desc))
			}
			for _, s := range n.subs {
				for _, f := range s.flags {
					flagLine("__fish_seen_subcommand_from "+n.name+"; and __fish_seen_subcommand_from "+s.name, f)
				}
			}
		}
		for _, f := range n.flags {
			flagLine("__fish_seen_subcommand_from "+n.name, f)
		}
	}
	return b.String()
}
