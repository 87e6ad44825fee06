package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/registry"
)

func keys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &usageError{"missing subcommand: create, list or revoke"}
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("keys "+sub, stderr, "keys "+sub+" [flags]")
	name := fs.String("name", "", "a name for the key, e.g. who uses it (create)")
	scopes := fs.String("scopes", "admin", "comma-separated scopes: admin, publish, read (create)")
	tenant := fs.String("tenant", "", "bind the key to this tenant: it reaches only that tenant's data (create; default every tenant)")
	expires := fs.Duration("expires-in", 0, "make the key expire after this long, e.g. 720h (create; default never)")
	asJSON := fs.Bool("json", false, "print JSON")
	cfg, err := parseConfig(fs, args)
	if err != nil {
		return err
	}
	// Keys commands talk to the database directly; keep their log quiet.
	cfg.LogLevel = "warn"
	log := newLogger(cfg, stderr)
	st, err := app.OpenStore(cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	// The command line acts as the system: it has the database itself.
	// Its changes are audited like the API's and the dashboard's.
	keys := auth.NewKeys(auth.KeysConfig{Store: st, Audit: st, Now: func() time.Time { return now }, Logger: log,
		TenantKnown: registry.TenantCheck(st, cfg.TenantsStrict)})
	switch sub {
	case "create":
		if *name == "" {
			return &usageError{"--name is required"}
		}
		p := auth.CreateParams{Name: *name, Scopes: strings.Split(*scopes, ","), Tenant: *tenant}
		if *expires > 0 {
			t := now.Add(*expires).UTC()
			p.ExpiresAt = &t
		}
		k, plain, err := keys.Create(ctx, auth.System(), p)
		if err != nil {
			return err
		}
		if *asJSON {
			out := map[string]any{"key": plain, "id": k.ID, "name": k.Name, "scopes": k.Scopes}
			if k.Tenant != "" {
				out["tenant"] = k.Tenant
			}
			return json.NewEncoder(stdout).Encode(out)
		}
		fmt.Fprintln(stdout, plain)
		fmt.Fprintf(stderr, "Created API key %s (%s, scopes %s, %s). It is shown only this once.\n", k.ID, k.Name,
			strings.Join(k.Scopes, ","), keyTenant(k))
		return nil
	case "list":
		list, err := keys.List(ctx, auth.System())
		if err != nil {
			return err
		}
		if *asJSON {
			if list == nil {
				list = []auth.APIKey{}
			}
			return json.NewEncoder(stdout).Encode(list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tSCOPES\tTENANT\tCREATED\tSTATE")
		for _, k := range list {
			state := "active"
			switch {
			case k.RevokedAt != nil:
				state = "revoked"
			case k.ExpiresAt != nil && now.After(*k.ExpiresAt):
				state = "expired"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s…\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, strings.Join(k.Scopes, ","),
				keyTenant(k), k.CreatedAt.Format(time.RFC3339), state)
		}
		return tw.Flush()
	case "revoke":
		if fs.NArg() != 1 {
			return &usageError{"usage: hookline keys revoke KEY_ID"}
		}
		if _, err := keys.Revoke(ctx, auth.System(), fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintln(stderr, "Revoked", fs.Arg(0))
		return nil
	}
	return &usageError{fmt.Sprintf("unknown subcommand %q: use create, list or revoke", sub)}
}

// keyTenant is the tenant column of a key: its tenant, or "all tenants".
func keyTenant(k auth.APIKey) string {
	if k.Tenant == "" {
		return "all tenants"
	}
	return "tenant " + k.Tenant
}
