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
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/webhook"
)

var keysSubs = []subcommand{
	{"create", "create an API key and print it (shown only this once)"},
	{"list", "list API keys with their scopes, tenant and state"},
	{"revoke", "revoke an API key at once"},
}

const keysAbout = `API keys authenticate the API and the API commands.

With a server (--server, HOOKLINE_URL or 'hookline login') these commands
go through its API with an admin key: the normal path. With --data-dir or
--database-url, or when no server is set, they work on the server's
database directly, to make the first key or to recover; they never create
a database.`

// keysHelp is the help text of each keys subcommand after its synopsis.
var keysHelp = map[string]string{
	"create": `keys create --name NAME [flags]

Creates an API key and prints it alone on standard output, once: only its
hash is kept. Creations are in the audit log (by the calling key, or by
"system" on the database directly).

Examples:
  hookline keys create --name deploy-bot --scopes publish
  hookline keys create --name acme --tenant acme --expires-in 720h --server https://hooks.example.com
  hookline keys create --name me --data-dir /var/lib/hookline | hookline login`,
	"list": `keys list [flags]

Lists every API key, revoked and expired ones too.

Examples:
  hookline keys list
  hookline keys list --data-dir /var/lib/hookline --json`,
	"revoke": `keys revoke KEY_ID [flags]

Revokes an API key at once; revoking it again does nothing.

Examples:
  hookline keys revoke key_01jbx5kq4w7a0j6s5yq6d1j2c9
  hookline keys revoke key_01jbx5kq4w7a0j6s5yq6d1j2c9 --database-url postgres://hookline@db/hookline`,
}

const keyHint = "list keys with 'hookline keys list'"

// keyOps is where the keys commands act: the server's API or its
// database.
type keyOps struct {
	create func(context.Context, client.KeyCreateParams) (*client.CreatedKey, error)
	list   func(context.Context) ([]client.APIKey, error)
	revoke func(context.Context, string) error
	// where says where, for messages: "on URL" or "in DIR".
	where string
}

func keys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, args, err := groupSub(args, "keys", keysAbout, keysSubs, stdout)
	if err != nil {
		return err
	}
	fs := newFlagSet("keys "+sub, stdout, keysHelp[sub]+"\n\n"+strings.TrimSpace(keysModes))
	var name, scopes, tenant *string
	var expires *time.Duration
	var wide *bool
	switch sub {
	case "create":
		name = fs.String("name", "", "a name for the key, e.g. who uses it (required)")
		scopes = fs.String("scopes", "admin", "comma-separated scopes: owner (admin and managing users), admin, publish, read")
		tenant = fs.String("tenant", "", "bind the key to this tenant: it reaches only that tenant's data (default every tenant)")
		expires = fs.Duration("expires-in", 0, "make the key expire after this long, e.g. 720h (default never)")
	case "list":
		wide = addWideFlag(fs)
	}
	asJSON := fs.Bool("json", false, "print JSON, for scripts")
	conn := &connFlags{}
	fs.StringVar(&conn.server, "server", "", "go through this server's API (env HOOKLINE_URL; default from 'hookline login')")
	fs.StringVar(&conn.apiKey, "api-key", "", "admin API key for the server (env HOOKLINE_API_KEY; default from 'hookline login')")
	fs.DurationVar(&conn.timeout, "timeout", 60*time.Second, "give up when the server has not answered within this time")
	cfg, pos, err := parseConfig(fs, args, localOptions...)
	if err != nil {
		return err
	}
	wantArgs := 0
	if sub == "revoke" {
		wantArgs = 1
	}
	switch {
	case len(pos) < wantArgs:
		return &usageError{msg: "missing KEY_ID (usage: hookline keys revoke KEY_ID)", cmd: "keys revoke"}
	case len(pos) > wantArgs:
		return &usageError{msg: "unexpected arguments: " + strings.Join(pos[wantArgs:], " "), cmd: "keys " + sub}
	}
	local := false
	for _, f := range append([]string{"config"}, localOptions...) {
		local = local || flagSet(fs, f)
	}
	if local && conn.server != "" {
		return &usageError{msg: "give --server (through the API) or --data-dir/--database-url (the database directly), not both", cmd: "keys " + sub}
	}
	var ops keyOps
	var explainErr func(error) error
	if !local && throughServer(conn.server, stderr) {
		x, err := conn.connect(stdout, stderr)
		if err != nil {
			return inCommand(withLocalHint(err), "keys "+sub)
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, conn.timeout)
		defer cancel()
		ops = keyOps{create: x.c.KeyCreate, list: x.c.KeyList, revoke: x.c.KeyRevoke, where: "on " + x.server}
		explainErr = func(err error) error { return withLocalHint(explain(err, x, conn.timeout)) }
	} else {
		// The command line acts as the system: it has the database itself.
		// Its changes are audited like the API's and the dashboard's.
		cfg.LogLevel = "warn"
		log := newLogger(cfg, stderr)
		st, err := openExistingStore(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer st.Close()
		ks := auth.NewKeys(auth.KeysConfig{Store: st, Audit: st, Now: time.Now, Logger: log,
			TenantKnown: registry.TenantCheck(st, cfg.TenantsStrict)})
		ops = localKeyOps(ks)
		ops.where = "in the database at " + cfg.DataDir
		if cfg.DatabaseURL != "" {
			ops.where = "in the database at " + redactURL(cfg.DatabaseURL)
		}
		explainErr = func(err error) error { return err }
	}

	switch sub {
	case "create":
		if *name == "" {
			return &usageError{msg: "--name is required", cmd: "keys create"}
		}
		p := client.KeyCreateParams{Name: *name, Scopes: splitList(*scopes), Tenant: *tenant}
		if *expires > 0 {
			t := time.Now().Add(*expires).UTC()
			p.ExpiresAt = &t
		}
		k, err := ops.create(ctx, p)
		if err != nil {
			return explainErr(err)
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(k)
		}
		fmt.Fprintln(stdout, k.Key)
		fmt.Fprintf(stderr, "Created API key %s (%s, scopes %s, %s) %s. It is shown only this once.\n", k.ID, k.Name,
			strings.Join(k.Scopes, ","), keyTenant(k.Tenant), ops.where)
		return nil
	case "list":
		list, err := ops.list(ctx)
		if err != nil {
			return explainErr(err)
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(nonNil(list))
		}
		return keyTable(stdout, list, time.Now(), *wide)
	default: // revoke
		if err := ops.revoke(ctx, pos[0]); err != nil {
			if webhook.ErrorCode(err) == webhook.ENOTFOUND {
				return &notFoundError{what: "API key", id: pos[0], hint: keyHint, err: err}
			}
			return explainErr(notFound(err, "API key", pos[0], keyHint))
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(map[string]any{"id": pos[0], "revoked": true})
		}
		fmt.Fprintf(stderr, "Revoked %s %s.\n", pos[0], ops.where)
		return nil
	}
}

// keysModes is the end of every keys subcommand's help: how it chooses
// between the API and the database.
const keysModes = `
Through the server: with --server, HOOKLINE_URL or a 'hookline login',
using an admin API key (--api-key, HOOKLINE_API_KEY or the login's).
On the database directly (bootstrap, recovery): with --data-dir,
--database-url or --config, or when no server is set at all. The database
must exist: these commands never create one.
Exit status: 0 success, 1 error, 2 usage.`

// withLocalHint adds to an error about the API key how to do without
// one: the first key, or a lost one, is made on the database.
func withLocalHint(err error) error {
	const hint = "\nWithout a working admin key (the first key, recovery), work on the server's database: " +
		"give --data-dir or --database-url"
	if ue, ok := errors.AsType[*usageError](err); ok && strings.HasPrefix(ue.msg, "no API key") {
		ue.msg += hint
		return err
	}
	if e, ok := errors.AsType[*client.Error](err); ok && (e.Status == 401 || e.Status == 403) {
		return &explainedError{err.Error() + hint, err}
	}
	return err
}

// throughServer reports whether the keys commands go through a server's
// API: --server or HOOKLINE_URL is set, or 'hookline login' saved one.
func throughServer(flagServer string, stderr io.Writer) bool {
	if flagServer != "" || os.Getenv("HOOKLINE_URL") != "" {
		return true
	}
	saved, _, err := readLoginConfig(os.Getenv, stderr)
	return err != nil || saved.Server != ""
}

// localKeyOps are the keys operations on the database, as the system.
func localKeyOps(ks *auth.Keys) keyOps {
	return keyOps{
		create: func(ctx context.Context, p client.KeyCreateParams) (*client.CreatedKey, error) {
			k, plain, err := ks.Create(ctx, auth.System(), auth.CreateParams{Name: p.Name, Scopes: p.Scopes,
				Tenant: p.Tenant, ExpiresAt: p.ExpiresAt})
			if err != nil {
				return nil, err
			}
			return &client.CreatedKey{APIKey: clientKey(k), Key: plain}, nil
		},
		list: func(ctx context.Context) ([]client.APIKey, error) {
			list, err := ks.List(ctx, auth.System())
			out := make([]client.APIKey, len(list))
			for i, k := range list {
				out[i] = clientKey(k)
			}
			return out, err
		},
		revoke: func(ctx context.Context, id string) error {
			_, err := ks.Revoke(ctx, auth.System(), id)
			return err
		},
	}
}

// clientKey is a key as the API shows it.
func clientKey(k auth.APIKey) client.APIKey {
	return client.APIKey{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: k.Scopes, Tenant: k.Tenant,
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt, LastUsedAt: k.LastUsedAt}
}

func keyTable(w io.Writer, list []client.APIKey, now time.Time, wide bool) error {
	t := newTable(fixed("ID"), flex("NAME", 10), extra("PREFIX"), flex("SCOPES", 6), flex("TENANT", 8),
		fixed("CREATED"), fixed("STATE"))
	for _, k := range list {
		state := "active"
		switch {
		case k.RevokedAt != nil:
			state = "revoked"
		case k.ExpiresAt != nil && now.After(*k.ExpiresAt):
			state = "expired"
		}
		tenant := k.Tenant
		if tenant == "" {
			tenant = "(all)"
		}
		t.row(k.ID, k.Name, k.Prefix+"…", strings.Join(k.Scopes, ","), tenant, k.CreatedAt.Local().Format(time.DateOnly), state)
	}
	return t.write(w, wide)
}

// keyTenant is the tenant column of a key: its tenant, or "all tenants".
func keyTenant(tenant string) string {
	if tenant == "" {
		return "all tenants"
	}
	return "tenant " + tenant
}
