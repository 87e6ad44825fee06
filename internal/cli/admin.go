package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/auth"
)

var adminSubs = []subcommand{{"reset-password", "set a new dashboard password and end the account's sessions"}}

const adminAbout = `Dashboard accounts, on the server's database directly: it works while
the server is down, and is the way back in after a lost password. The
database must exist: these commands never create one.`

// adminCmd manages dashboard accounts directly on the configured database,
// like keys: it works while the server is down, and is the way back in
// after a lost password.
func adminCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	_, args, err := groupSub(args, "admin", adminAbout, adminSubs, stdout)
	if err != nil {
		return err
	}
	fs := newFlagSet("admin reset-password", stdout, `admin reset-password [flags]

Sets a new password for a dashboard account (created if missing) and ends
its sessions. A generated password is printed once on standard output.
It works on the server's database directly (--data-dir or --database-url,
as the server has them; the server may be running), which must exist.

Examples:
  hookline admin reset-password --data-dir /var/lib/hookline
  hookline admin reset-password --password-file /run/secrets/admin-password
  hookline admin reset-password --database-url postgres://hookline@db/hookline --secret-key-file /etc/hookline/secret.key`)
	username := fs.String("username", auth.AdminUser, "the account to reset (created if missing)")
	passwordFile := fs.String("password-file", "", "read the new password from this file instead of generating one")
	cfg, pos, err := parseConfig(fs, args, localOptions...)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{msg: "unexpected arguments: " + strings.Join(pos, " "), cmd: "admin reset-password"}
	}
	password, generated := "", true
	if *passwordFile != "" {
		b, err := os.ReadFile(*passwordFile)
		if err != nil {
			return fmt.Errorf("--password-file: %w", err)
		}
		password, generated = strings.TrimRight(string(b), "\r\n"), false
		if err := auth.CheckPasswordPolicy(password); err != nil {
			return &usageError{cmd: "admin reset-password", msg: "--password-file: the password " + strings.TrimPrefix(err.Error(), "invalid: password: ")}
		}
	} else {
		password = auth.GeneratePassword()
	}
	cfg.LogLevel = "warn"
	st, err := openExistingStore(ctx, cfg, newLogger(cfg, stderr))
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
