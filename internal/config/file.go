package config

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// secretOptions are masked by `config print` and can be given as a file
// through HOOKLINE_<NAME>_FILE, so they stay out of process listings.
var secretOptions = map[string]bool{"secret-key": true, "database-url": true, "admin-password": true, "smtp-url": true}

// Secret reports whether the option holds a secret.
func (o Option) Secret() bool { return secretOptions[o.Name] }

// Display returns the option's value for people, secrets masked.
func (o Option) Display() string {
	v := o.value.String()
	if o.Secret() && v != "" {
		return "******"
	}
	return v
}

// ReadFile parses a configuration file: one `name = value` per line with
// the flag names as keys (a flat TOML subset), `#` comments, values
// optionally in double quotes.
func ReadFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want `name = value`", path, n)
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if strings.HasPrefix(value, `"`) {
			uq, err := strconv.Unquote(value)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: bad quoted value: %v", path, n, err)
			}
			value = uq
		} else if i := strings.Index(value, " #"); i >= 0 {
			value = strings.TrimSpace(value[:i])
		}
		out[strings.ReplaceAll(name, "_", "-")] = value
	}
	return out, sc.Err()
}

// Resolve applies, for every option not given as a flag, its environment
// variable, else its HOOKLINE_<NAME>_FILE variable for secrets, else the
// configuration file's value: flag > environment > file > default.
func Resolve(fs *flag.FlagSet, opts []Option, getenv func(string) string, file map[string]string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	known := map[string]bool{}
	for _, o := range opts {
		known[o.Name] = true
		if set[o.Name] {
			continue
		}
		if v := getenv(o.Env()); v != "" {
			if err := o.value.Set(v); err != nil {
				return fmt.Errorf("%s=%q: %w", o.Env(), v, err)
			}
			continue
		}
		if o.Secret() {
			if path := getenv(o.Env() + "_FILE"); path != "" {
				b, err := os.ReadFile(path)
				if err != nil {
					return fmt.Errorf("%s_FILE: %w", o.Env(), err)
				}
				if err := o.value.Set(strings.TrimSpace(string(b))); err != nil {
					return fmt.Errorf("%s_FILE %s: %w", o.Env(), path, err)
				}
				continue
			}
		}
		if v, ok := file[o.Name]; ok {
			if err := o.value.Set(v); err != nil {
				return fmt.Errorf("config file %s = %q: %w", o.Name, v, err)
			}
		}
	}
	var unknown []string
	for name := range file {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		return errors.New("config file: unknown option(s): " + strings.Join(unknown, ", "))
	}
	return nil
}
