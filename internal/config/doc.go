package config

import (
	"fmt"
	"strings"
)

// MarkdownTable renders every option as the README's configuration table,
// so the documentation is generated from the code and cannot drift (a test
// compares the README with it).
func MarkdownTable() string {
	c := Default()
	var b strings.Builder
	b.WriteString("| Flag | Environment | Default | Meaning |\n|---|---|---|---|\n")
	for _, o := range c.Options() {
		def := o.Default()
		if def == "" {
			def = "(none)"
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | `%s` | %s |\n", o.Name, o.Env(), def, strings.ReplaceAll(o.Usage, "|", "\\|"))
	}
	return b.String()
}
