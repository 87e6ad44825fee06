package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hookline/hookline/client"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

var usersSubs = []subcommand{
	{"list", "list dashboard users and their roles"},
	{"add", "add a dashboard user with a role (owner, admin or viewer)"},
	{"set-role", "change a user's role"},
	{"reset-password", "set a user's password and end their sessions"},
	{"remove", "remove a user and end their sessions"},
}

const usersAbout = `Dashboard users and their roles: owner (everything, users included),
admin (everything but users) and viewer (looks, changes nothing). To let
someone choose their own password, invite them from the dashboard's Users
page instead.

With a server (--server, HOOKLINE_URL or 'hookline login') these commands
go through its API with an API key of the owner scope: the normal path.
With --data-dir or --database-url, or when no server is set, they work on
the server's database directly (recovery); they never create a database.`

var usersHelp = map[string]string{
	"list": `users list [flags]

Lists every dashboard user with their role.

Examples:
  hookline users list
  hookline users list --data-dir /var/lib/hookline --json`,
	"add": `users add USERNAME --role ROLE [flags]

Adds a dashboard user. Without --password-file a password is generated
and printed alone on standard output, once.

Examples:
  hookline users add grace@example.com --role viewer
  hookline users add ops --role admin --password-file /run/secrets/ops-password`,
	"set-role": `users set-role USERNAME ROLE [flags]

Changes a user's role (owner, admin or viewer); it applies from the
user's next request. The last owner cannot be demoted.

Examples:
  hookline users set-role grace@example.com admin`,
	"reset-password": `users reset-password USERNAME [flags]

Sets a new password for a user and ends their sessions. Without
--password-file a password is generated and printed alone on standard
output, once. (To recover the first account without any key, see
'hookline admin reset-password'.)

Examples:
  hookline users reset-password grace@example.com
  hookline users reset-password ops --password-file new-password.txt`,
	"remove": `users remove USERNAME [flags]

Removes a user: they can no longer sign in, and their sessions end. The
last owner cannot be removed.

Examples:
  hookline users remove grace@example.com`,
}

// usersArgs are the positional arguments of each users subcommand.
var usersArgs = map[string][]string{
	"list": nil, "add": {"USERNAME"}, "set-role": {"USERNAME", "ROLE"},
	"reset-password": {"USERNAME"}, "remove": {"USERNAME"},
}

const userHint = "list users with 'hookline users list'"

// userOps is where the users commands act: the server's API or its
// database.
type userOps struct {
	list   func(context.Context) ([]client.User, error)
	create func(context.Context, client.UserCreateParams) (*client.User, error)
	update func(context.Context, string, client.UserUpdateParams) (*client.User, error)
	remove func(context.Context, string) error
	where  string
}

func usersCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, args, err := groupSub(args, "users", usersAbout, usersSubs, stdout)
	if err != nil {
		return err
	}
	fs := newFlagSet("users "+sub, stdout, usersHelp[sub]+"\n\n"+strings.TrimSpace(strings.ReplaceAll(keysModes, "an admin API key", "an owner API key")))
	var role, passwordFile *string
	var wide *bool
	switch sub {
	case "add":
		role = fs.String("role", "", "owner, admin or viewer (required)")
		passwordFile = fs.String("password-file", "", "read the password from this file instead of generating one")
	case "reset-password":
		passwordFile = fs.String("password-file", "", "read the new password from this file instead of generating one")
	case "list":
		wide = addWideFlag(fs)
	}
	asJSON := fs.Bool("json", false, "print JSON, for scripts")
	conn := &connFlags{}
	fs.StringVar(&conn.server, "server", "", "go through this server's API (env HOOKLINE_URL; default from 'hookline login')")
	fs.StringVar(&conn.apiKey, "api-key", "", "API key of the owner scope for the server (env HOOKLINE_API_KEY; default from 'hookline login')")
	fs.DurationVar(&conn.timeout, "timeout", 60*time.Second, "give up when the server has not answered within this time")
	cfg, pos, err := parseConfig(fs, args, localOptions...)
	if err != nil {
		return err
	}
	want := usersArgs[sub]
	switch {
	case len(pos) < len(want):
		return &usageError{msg: "missing " + strings.Join(want[len(pos):], " ") + " (usage: hookline users " + sub + " " +
			strings.Join(want, " ") + ")", cmd: "users " + sub}
	case len(pos) > len(want):
		return &usageError{msg: "unexpected arguments: " + strings.Join(pos[len(want):], " "), cmd: "users " + sub}
	}
	password := ""
	if passwordFile != nil && *passwordFile != "" {
		b, err := os.ReadFile(*passwordFile)
		if err != nil {
			return fmt.Errorf("--password-file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
		if err := auth.CheckPasswordPolicy(password); err != nil {
			return &usageError{cmd: "users " + sub, msg: "--password-file: the password " + strings.TrimPrefix(err.Error(), "invalid: password: ")}
		}
	}
	if sub == "add" && *role == "" {
		return &usageError{msg: "--role is required: owner, admin or viewer", cmd: "users add"}
	}
	local := false
	for _, f := range append([]string{"config"}, localOptions...) {
		local = local || flagSet(fs, f)
	}
	if local && conn.server != "" {
		return &usageError{msg: "give --server (through the API) or --data-dir/--database-url (the database directly), not both", cmd: "users " + sub}
	}
	var ops userOps
	explainErr := func(err error) error { return err }
	if !local && throughServer(conn.server, stderr) {
		x, err := conn.connect(stdout, stderr)
		if err != nil {
			return inCommand(withLocalHint(err), "users "+sub)
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, conn.timeout)
		defer cancel()
		ops = userOps{list: x.c.UserList, create: x.c.UserCreate, update: x.c.UserUpdate, remove: x.c.UserDelete,
			where: "on " + x.server}
		explainErr = func(err error) error { return withLocalHint(explain(err, x, conn.timeout)) }
	} else {
		// On the database the command line acts as the system, an owner;
		// its changes are audited as "system".
		cfg.LogLevel = "warn"
		log := newLogger(cfg, stderr)
		st, err := openExistingStore(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer st.Close()
		ops = localUserOps(auth.NewUsers(auth.UsersConfig{Store: st, Logger: log}))
		ops.where = "in the database at " + cfg.DataDir
		if cfg.DatabaseURL != "" {
			ops.where = "in the database at " + redactURL(cfg.DatabaseURL)
		}
	}

	fail := func(err error) error {
		if webhook.ErrorCode(err) == webhook.ENOTFOUND || isStatus(err, 404) {
			return &notFoundError{what: "user", id: pos[0], hint: userHint, err: err}
		}
		return explainErr(err)
	}
	switch sub {
	case "list":
		list, err := ops.list(ctx)
		if err != nil {
			return explainErr(err)
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(nonNil(list))
		}
		t := newTable(flex("USERNAME", 12), fixed("ROLE"), fixed("CREATED"))
		for _, u := range list {
			t.row(u.Username, u.Role, u.CreatedAt.Local().Format(time.DateOnly))
		}
		return t.write(stdout, *wide)
	case "add":
		u, err := ops.create(ctx, client.UserCreateParams{Username: pos[0], Role: *role, Password: password})
		if err != nil {
			return explainErr(err)
		}
		return printUser(stdout, stderr, *asJSON, u, fmt.Sprintf("Added %s (%s) %s.", u.Username, u.Role, ops.where))
	case "set-role":
		r := pos[1]
		u, err := ops.update(ctx, pos[0], client.UserUpdateParams{Role: &r})
		if err != nil {
			return fail(err)
		}
		return printUser(stdout, stderr, *asJSON, u, fmt.Sprintf("%s is now %s %s.", u.Username, u.Role, ops.where))
	case "reset-password":
		u, err := ops.update(ctx, pos[0], client.UserUpdateParams{Password: &password})
		if err != nil {
			return fail(err)
		}
		return printUser(stdout, stderr, *asJSON, u, fmt.Sprintf("Set a new password for %s and ended their sessions %s.", u.Username, ops.where))
	default: // remove
		if err := ops.remove(ctx, pos[0]); err != nil {
			return fail(err)
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(map[string]any{"username": pos[0], "removed": true})
		}
		fmt.Fprintf(stderr, "Removed %s %s; their sessions have ended.\n", pos[0], ops.where)
		return nil
	}
}

// printUser reports a changed user: JSON, or the generated password alone
// on standard output (for a pipe) with what happened on standard error.
func printUser(stdout, stderr io.Writer, asJSON bool, u *client.User, done string) error {
	if asJSON {
		return json.NewEncoder(stdout).Encode(u)
	}
	if u.Password != "" {
		fmt.Fprintln(stdout, u.Password)
		done += " The generated password is shown only this once."
	}
	fmt.Fprintln(stderr, done)
	return nil
}

// isStatus reports whether err is an API error with that HTTP status.
func isStatus(err error, status int) bool {
	e, ok := errors.AsType[*client.Error](err)
	return ok && e.Status == status
}

// localUserOps are the users operations on the database, as the system.
func localUserOps(us *auth.Users) userOps {
	sys := auth.System()
	view := func(u auth.User, password string) *client.User {
		return &client.User{Username: u.Username, Role: string(u.Role), CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Password: password}
	}
	return userOps{
		list: func(ctx context.Context) ([]client.User, error) {
			list, err := us.List(ctx, sys)
			out := make([]client.User, len(list))
			for i, u := range list {
				out[i] = *view(u, "")
			}
			return out, err
		},
		create: func(ctx context.Context, p client.UserCreateParams) (*client.User, error) {
			u, generated, err := us.Create(ctx, sys, auth.UserParams{Username: p.Username, Role: p.Role, Password: p.Password})
			if err != nil {
				return nil, err
			}
			return view(u, generated), nil
		},
		update: func(ctx context.Context, name string, p client.UserUpdateParams) (*client.User, error) {
			u, err := us.Get(ctx, sys, name)
			if err != nil {
				return nil, err
			}
			if p.Role != nil {
				if u, err = us.SetRole(ctx, sys, name, *p.Role); err != nil {
					return nil, err
				}
			}
			generated := ""
			if p.Password != nil {
				if generated, err = us.SetPassword(ctx, sys, name, *p.Password); err != nil {
					return nil, err
				}
			}
			return view(u, generated), nil
		},
		remove: func(ctx context.Context, name string) error { return us.Delete(ctx, sys, name) },
	}
}
