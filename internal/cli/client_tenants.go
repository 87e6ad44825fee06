package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/hookline/hookline/client"
)

const tenantHint = "list tenants with 'hookline tenants list'"

func tenantsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return tenantsGroup().run(ctx, args, stdout, stderr)
}

func tenantsGroup() apiGroup {
	return apiGroup{
		name:    "tenants",
		summary: "manage the tenants (your customers, who own webhooks) of a Hookline server through its API",
		subs: []apiSub{
			{name: "list", summary: "list tenants with their webhook counts", help: `
Lists tenants in ID order, one page at a time (--all for every page), with
how many webhooks each has and how many of them are failing.

Examples:
  hookline tenants list
  hookline tenants list --search acme
  hookline tenants list --all --json | jq -r '.[].id'`, define: tenantsList},
			{name: "get", summary: "show a tenant", args: "TENANT_ID", help: `
Examples:
  hookline tenants get acme
  hookline tenants get acme --json`, define: tenantsGet},
			{name: "stats", summary: "show the tenant's health over time (as 'hookline stats tenant')", args: "TENANT_ID", help: statsHelp + `

Examples:
  hookline tenants stats acme --since 7d`, define: tenantStats},
			{name: "create", summary: "create a tenant", args: "TENANT_ID", help: `
Creating a tenant first is optional: publishing an event or creating a
webhook for an unknown tenant creates it, unless the server runs with
--tenants-strict.

Examples:
  hookline tenants create acme --name 'Acme Inc.' --contact-email ops@acme.example
  hookline tenants create acme --metadata plan=gold --metadata region=eu
  hookline tenants create acme --brand-name Acme --brand-logo-url https://acme.example/logo.svg --brand-accent '#0a7d5a'`, define: tenantsCreate},
			{name: "update", summary: "change a tenant's fields (only the flags given)", args: "TENANT_ID", help: `
Changes only the fields whose flags are given. --metadata replaces the
whole map (--clear-metadata empties it); any --brand-* flag replaces the
whole branding (--clear-branding removes it).

Examples:
  hookline tenants update acme --name 'Acme Europe'
  hookline tenants update acme --contact-email ''
  hookline tenants update acme --clear-branding`, define: tenantsUpdate},
			{name: "delete", summary: "delete a tenant (--cascade: with its webhooks)", args: "TENANT_ID", help: `
A tenant that still has webhooks is refused unless --cascade, which deletes
its webhooks with it (their pending deliveries end as failed).

Examples:
  hookline tenants delete acme
  hookline tenants delete acme --cascade`, define: tenantsDelete},
			{name: "portal", summary: "mint a customer-portal link for a tenant and print it", args: "TENANT_ID", help: `
Prints a magic link into the customer portal: the tenant's own view of its
webhooks. The link opens once, within 15 minutes; the session it opens
lasts --ttl (at most 12h). --return-url must be on an origin the server
allows (--portal-allowed-origins).

Examples:
  hookline tenants portal acme
  hookline tenants portal acme --ttl 30m --read-only
  hookline tenants portal acme --return-url https://app.example.com/settings --event-type 'payment_*'`, define: tenantsPortal},
		},
	}
}

func tenantsList(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	var p client.TenantListParams
	fs.StringVar(&p.Search, "search", "", "only tenants whose ID or name contains this")
	pg := addPageFlags(fs)
	wide := addWideFlag(fs)
	return func(ctx context.Context, x *apiCall, _ []string) error {
		p.Limit, p.Cursor = pg.limit, pg.cursor
		list, next, err := collect(x, pg, x.c.TenantListAll(ctx, p), func() (*client.Page[client.Tenant], error) {
			return x.c.TenantList(ctx, p)
		})
		if err != nil {
			return err
		}
		if x.json {
			morePages(x, next, "tenants")
			return x.printJSON(list)
		}
		if len(list) == 0 {
			fmt.Fprintln(x.stderr, "No tenants. Create one with 'hookline tenants create', or publish an event for one.")
			return nil
		}
		tb := newTable(flex("ID", 12), flex("NAME", 10), flex("CONTACT", 10), fixed("WEBHOOKS"), fixed("FAILING"), fixed("CREATED"))
		for _, t := range list {
			tb.row(t.ID, t.Name, t.ContactEmail, fmt.Sprint(t.Webhooks), fmt.Sprint(t.FailingWebhooks), tableTime(t.CreatedAt))
		}
		if err := tb.write(x.stdout, *wide); err != nil {
			return err
		}
		morePages(x, next, "tenants")
		return nil
	}
}

func tenantsGet(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	return func(ctx context.Context, x *apiCall, args []string) error {
		t, err := x.c.TenantGet(ctx, args[0])
		if err != nil {
			return notFound(err, "tenant", args[0], tenantHint)
		}
		if x.json {
			return x.printJSON(t)
		}
		return printTenant(x.stdout, t)
	}
}

// tenantFlags are the flags create and update share.
type tenantFlags struct {
	name, email                     *string
	brandName, brandLogo, brandTint *string
	metadata                        headerFlags
}

func addTenantFlags(fs *flag.FlagSet) *tenantFlags {
	f := &tenantFlags{metadata: headerFlags{}}
	f.name = fs.String("name", "", "display name (default on create: the ID)")
	f.email = fs.String("contact-email", "", "who hears about the tenant's failing endpoints ('' for none)")
	f.brandName = fs.String("brand-name", "", "branding: product name shown to the tenant")
	f.brandLogo = fs.String("brand-logo-url", "", "branding: http(s) URL of a logo")
	f.brandTint = fs.String("brand-accent", "", "branding: accent colour, e.g. '#0a7d5a'")
	fs.Var(f.metadata, "metadata", "`KEY=VALUE` of your own to keep with the tenant (repeatable)")
	return f
}

// branding returns the branding the --brand-* flags give, or nil.
func (f *tenantFlags) branding(fs *flag.FlagSet) *client.Branding {
	if !flagSet(fs, "brand-name") && !flagSet(fs, "brand-logo-url") && !flagSet(fs, "brand-accent") {
		return nil
	}
	return &client.Branding{Name: *f.brandName, LogoURL: *f.brandLogo, Accent: *f.brandTint}
}

func tenantsCreate(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	f := addTenantFlags(fs)
	return func(ctx context.Context, x *apiCall, args []string) error {
		p := client.TenantCreateParams{ID: args[0], Name: *f.name, ContactEmail: *f.email, Branding: f.branding(fs)}
		if len(f.metadata) > 0 {
			p.Metadata = f.metadata
		}
		t, err := x.c.TenantCreate(ctx, p)
		if err != nil {
			return err
		}
		if x.json {
			return x.printJSON(t)
		}
		fmt.Fprintf(x.stdout, "Created tenant %s.\n\n", t.ID)
		return printTenant(x.stdout, t)
	}
}

func tenantsUpdate(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	f := addTenantFlags(fs)
	clearBranding := fs.Bool("clear-branding", false, "remove the branding: the tenant sees the server's")
	clearMetadata := fs.Bool("clear-metadata", false, "remove every metadata key")
	return func(ctx context.Context, x *apiCall, args []string) error {
		var p client.TenantUpdateParams
		if flagSet(fs, "name") {
			p.Name = f.name
		}
		if flagSet(fs, "contact-email") {
			p.ContactEmail = f.email
		}
		p.Branding = f.branding(fs)
		switch {
		case *clearBranding && p.Branding != nil:
			return &usageError{msg: "update: give --brand-* flags or --clear-branding, not both"}
		case *clearBranding:
			p.RemoveBranding = true
		}
		switch {
		case *clearMetadata && len(f.metadata) > 0:
			return &usageError{msg: "update: give --metadata or --clear-metadata, not both"}
		case *clearMetadata:
			p.Metadata = map[string]string{}
		case len(f.metadata) > 0:
			p.Metadata = f.metadata
		}
		if p.Name == nil && p.ContactEmail == nil && p.Branding == nil && !p.RemoveBranding && p.Metadata == nil {
			return &usageError{msg: "update: nothing to change: give at least one of --name, --contact-email, --brand-name, --brand-logo-url, --brand-accent, --clear-branding, --metadata, --clear-metadata"}
		}
		t, err := x.c.TenantUpdate(ctx, args[0], p)
		if err != nil {
			return notFound(err, "tenant", args[0], tenantHint)
		}
		if x.json {
			return x.printJSON(t)
		}
		fmt.Fprintf(x.stdout, "Updated tenant %s.\n\n", t.ID)
		return printTenant(x.stdout, t)
	}
}

func tenantsDelete(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	cascade := fs.Bool("cascade", false, "also delete the tenant's webhooks (their pending deliveries end as failed)")
	return func(ctx context.Context, x *apiCall, args []string) error {
		if err := x.c.TenantDelete(ctx, args[0], client.TenantDeleteParams{Cascade: *cascade}); err != nil {
			if client.IsConflict(err) && !*cascade {
				return fmt.Errorf("%w\nTo delete its webhooks with it: hookline tenants delete %s --cascade", err, args[0])
			}
			return notFound(err, "tenant", args[0], tenantHint)
		}
		if x.json {
			return x.printJSON(map[string]any{"id": args[0], "deleted": true})
		}
		fmt.Fprintf(x.stdout, "Deleted tenant %s.\n", args[0])
		return nil
	}
}

func printTenant(w io.Writer, t *client.Tenant) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("ID", t.ID)
	row("Name", t.Name)
	if t.ContactEmail != "" {
		row("Contact", t.ContactEmail)
	}
	row("Webhooks", fmt.Sprintf("%d (%d failing)", t.Webhooks, t.FailingWebhooks))
	if b := t.Branding; b != nil {
		row("Branding", fmt.Sprintf("name %q, logo %q, accent %q", b.Name, b.LogoURL, b.Accent))
	}
	for i, k := range slices.Sorted(maps.Keys(t.Metadata)) {
		label := ""
		if i == 0 {
			label = "Metadata"
		}
		fmt.Fprintf(tw, "%s\t%s=%s\n", label+":", k, t.Metadata[k])
	}
	row("Created", fmtTime(t.CreatedAt))
	row("Updated", fmtTime(t.UpdatedAt))
	return tw.Flush()
}
