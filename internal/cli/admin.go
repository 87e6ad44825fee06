package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/auth"
)

// adminCmd manages dashboard accounts directly on the configured database,
// like keys: it works while the server is down, and is the way back in
// after a lost password.
func adminCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &usageError{"missing subcommand: reset-password"}
	}
	sub, args := args[0], args[1:]
	if sub != "reset-password" {
		return &usageError{fmt.Sprintf("unknown subcommand %q: use reset-password", sub)}
	}
	fs := newFlagSet("admin "+sub, stderr, "admin reset-password [flags]")
	username := fs.String("username", auth.AdminUser, "the account to reset (created if missing)")
	passwordFile := fs.String("password-file", "", "read the new password from this file instead of generating one")
	cfg, err := parseConfig(fs, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{"unexpected arguments: " + strings.Join(fs.Args(), " ")}
	}
	password, generated := "", true
	if *passwordFile != "" {
		b, err := os.ReadFile(*passwordFile)
		if err != nil {
			return fmt.Errorf("--password-file: %w", err)
		}
		password, generated = strings.TrimRight(string(b), "\r\n"), false
		if err := auth.CheckPasswordPolicy(password); err != nil {
			return &usageError{"--password-file: the password " + strings.TrimPrefix(err.Error(), "invalid: password: ")}
		}
	} else {
		password = auth.GeneratePassword()
	}
	cfg.LogLevel = "warn"
	st, err := app.OpenStore(cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := auth.ResetPassword(ctx, st, *username, password, time.Now()); err != nil {
		return err
	}
	if generated {
		fmt.Fprintln(stdout, password)
		fmt.Fprintf(stderr, "Set a new password for %q and ended its sessions. It is shown only this once.\n", *username)
	} else {
		fmt.Fprintf(stderr, "Set the password of %q from %s and ended its sessions.\n", *username, *passwordFile)
	}
	return nil
}
