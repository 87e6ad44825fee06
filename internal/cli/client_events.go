package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/hookline/hookline/client"
)

func eventsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return eventsGroup().run(ctx, args, stdout, stderr)
}

func eventsGroup() apiGroup {
	return apiGroup{
		name:    "events",
		summary: "publish events and inspect published ones through the API",
		subs: []apiSub{
			{name: "publish", summary: "publish an event to the webhooks subscribed to its type", help: `
Publishes an event. The data is a JSON object given inline (--data), from a
file (--data-file FILE) or from standard input (--data-file -). Prints the
event id. A publish key (scope publish) is enough for this command.

Examples:
  hookline events publish --type payment_received --data '{"payment_id":1042,"amount":49}'
  hookline events publish --type customer_created --data-file customer.json --idempotency-key customer-7
  echo '{"id":7}' | hookline events publish --type customer_updated --data-file - --tenant acme`, define: eventsPublish},
			{name: "list", summary: "list events with their delivery counts", help: `
Examples:
  hookline events list
  hookline events list --type payment_received --limit 10
  hookline events list --all --json`, define: eventsList},
			{name: "get", summary: "show an event, its data and its deliveries", args: "EVENT_ID", help: `
Examples:
  hookline events get evt_01j9z3k4m5n6p7q8r9s0t1v2w3`, define: eventsGet},
		},
	}
}

func eventsPublish(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	var p client.EventPublishParams
	fs.StringVar(&p.Type, "type", "", "the event type slug (required; see 'hookline event-types list')")
	data := fs.String("data", "", "the event data, a JSON object")
	dataFile := fs.String("data-file", "", "read the event data from this file; - reads standard input")
	fs.StringVar(&p.IdempotencyKey, "idempotency-key", "", "publishing again with the same key stores nothing new (safe retries)")
	fs.StringVar(&p.Tenant, "tenant", "", "the tenant whose webhooks receive it (default: default)")
	return func(ctx context.Context, x *apiCall, _ []string) error {
		if p.Type == "" {
			return &usageError{msg: "publish: --type is required"}
		}
		raw, err := readData(*data, *dataFile, os.Stdin, "data", "data-file")
		if err != nil {
			return err
		}
		if raw == nil {
			return &usageError{msg: "publish: give the event data with --data JSON or --data-file FILE (- for standard input)"}
		}
		p.Data = raw
		r, err := x.c.EventPublish(ctx, p)
		if err != nil {
			return err
		}
		if x.json {
			return x.printJSON(r)
		}
		fmt.Fprintln(x.stdout, r.ID)
		if r.Duplicate {
			fmt.Fprintf(x.stderr, "Duplicate: event %s already had idempotency key %q; nothing new was stored (%d deliveries).\n",
				r.ID, p.IdempotencyKey, r.Deliveries)
		} else {
			fmt.Fprintf(x.stderr, "Published %s event %s to %d webhook(s).\n", p.Type, r.ID, r.Deliveries)
		}
		return nil
	}
}

func eventsList(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	var p client.EventListParams
	fs.StringVar(&p.Type, "type", "", "only events of this type")
	fs.StringVar(&p.Tenant, "tenant", "", "only this tenant's events")
	pg := addPageFlags(fs)
	wide := addWideFlag(fs)
	return func(ctx context.Context, x *apiCall, _ []string) error {
		p.Limit, p.Cursor = pg.limit, pg.cursor
		list, next, err := collect(x, pg, x.c.EventListAll(ctx, p), func() (*client.Page[client.EventSummary], error) {
			return x.c.EventList(ctx, p)
		})
		if err != nil {
			return err
		}
		if x.json {
			morePages(x, next, "events")
			return x.printJSON(list)
		}
		if len(list) == 0 {
			fmt.Fprintln(x.stderr, "No events. Publish one with 'hookline events publish'.")
			return nil
		}
		t := newTable(fixed("ID"), flex("TYPE", 10), flex("TENANT", 6), fixed("PUBLISHED"), flex("DELIVERIES", 10))
		for _, e := range list {
			t.row(e.ID, e.Type, e.Tenant, tableTime(e.Timestamp), deliveryCounts(e.Deliveries))
		}
		if err := t.write(x.stdout, *wide); err != nil {
			return err
		}
		morePages(x, next, "events")
		return nil
	}
}

func eventsGet(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	wide := addWideFlag(fs)
	return func(ctx context.Context, x *apiCall, args []string) error {
		e, err := x.c.EventGet(ctx, args[0])
		if err != nil {
			return notFound(err, "event", args[0], "list events with 'hookline events list'")
		}
		if x.json {
			return x.printJSON(e)
		}
		tw := tabwriter.NewWriter(x.stdout, 0, 4, 2, ' ', 0)
		row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
		row("ID", e.ID)
		row("Type", e.Type)
		row("Tenant", e.Tenant)
		row("Published", fmtTime(e.Timestamp))
		if e.IdempotencyKey != "" {
			row("Idempotency key", e.IdempotencyKey)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(x.stdout, "\nData:\n%s\n", indentJSON(e.Data, "  "))
		if len(e.Deliveries) == 0 {
			fmt.Fprintln(x.stdout, "\nNo deliveries: no active webhook of its tenant subscribed to its type.")
			return nil
		}
		fmt.Fprintln(x.stdout, "\nDeliveries:")
		return deliveryTable(x.stdout, e.Deliveries, *wide, true)
	}
}

// deliveryCounts shows {"succeeded":2,"pending":1} as "2 succeeded, 1 pending".
func deliveryCounts(m map[string]int) string {
	var parts []string
	for _, s := range []string{client.DeliverySucceeded, client.DeliveryPending, client.DeliveryFailed} {
		if m[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[s], s))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// indentJSON pretty-prints raw JSON with every line prefixed.
func indentJSON(raw json.RawMessage, prefix string) string {
	if len(raw) == 0 {
		return prefix + "(none)"
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, prefix, "  "); err != nil {
		return prefix + string(raw)
	}
	return prefix + b.String()
}

func eventTypesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return eventTypesGroup().run(ctx, args, stdout, stderr)
}

func eventTypesGroup() apiGroup {
	return apiGroup{
		name:    "event-types",
		summary: "read and extend the server's event catalog",
		subs: []apiSub{
			{name: "list", summary: "list the event types webhooks can subscribe to", help: `
Examples:
  hookline event-types list
  hookline event-types list --json | jq -r '.[].slug'`, define: eventTypesList},
			{name: "get", summary: "show an event type with its example and schema", args: "SLUG", help: `
Examples:
  hookline event-types get payment_received`, define: eventTypesGet},
			{name: "create", summary: "register a custom event type", help: `
Registers a custom event type. With a JSON Schema, published data must
satisfy it (and so must the example).

Examples:
  hookline event-types create --slug order.shipped --name "Order shipped" --example '{"order_id":1}'
  hookline event-types create --slug order.paid --name "Order paid" --schema-file order-paid.schema.json`, define: eventTypesCreate},
			{name: "update", summary: "change an event type, or deprecate it", args: "SLUG", help: `
Changes the fields given. A deprecated type still delivers to the webhooks
subscribed to it; it is only no longer offered when choosing events.
Hookline's own hookline.* types cannot be changed.

Examples:
  hookline event-types update order.shipped --description "The parcel left the warehouse."
  hookline event-types update order.paid --schema-file order-paid.v2.schema.json
  hookline event-types update legacy.signup --deprecated
  hookline event-types update legacy.signup --deprecated=false`, define: eventTypesUpdate},
		},
	}
}

func eventTypesList(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	custom := fs.Bool("custom", false, "only custom (registered) types")
	wide := addWideFlag(fs)
	return func(ctx context.Context, x *apiCall, _ []string) error {
		types, err := x.c.EventTypeList(ctx)
		if err != nil {
			return err
		}
		if *custom {
			types = slices.DeleteFunc(types, func(et client.EventType) bool { return !et.Custom })
		}
		if x.json {
			return x.printJSON(nonNil(types))
		}
		if len(types) == 0 {
			fmt.Fprintln(x.stderr, "No event types. Register one with 'hookline event-types create'.")
			return nil
		}
		t := newTable(flex("SLUG", 16), flex("NAME", 10), fixed("KIND"), fixed("SCHEMA"), flex("DESCRIPTION", 12))
		for _, et := range types {
			kind, schema := "built-in", "-"
			if et.Custom {
				kind = "custom"
			}
			if et.Deprecated {
				kind += ", deprecated"
			}
			if len(et.Schema) > 0 {
				schema = "yes"
			}
			t.row(et.Slug, et.Name, kind, schema, oneLine(et.Description))
		}
		return t.write(x.stdout, *wide)
	}
}

func eventTypesGet(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	return func(ctx context.Context, x *apiCall, args []string) error {
		et, err := x.c.EventTypeGet(ctx, args[0])
		if err != nil {
			return notFound(err, "event type", args[0], "list them with 'hookline event-types list'")
		}
		if x.json {
			return x.printJSON(et)
		}
		printEventType(x.stdout, et)
		return nil
	}
}

func printEventType(w io.Writer, et *client.EventType) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	kind := "built-in"
	if et.Custom {
		kind = "custom"
	}
	if et.Deprecated {
		kind += " (deprecated: still delivers, no longer offered)"
	}
	fmt.Fprintf(tw, "Slug:\t%s\nName:\t%s\nKind:\t%s\nCreated:\t%s\n", et.Slug, et.Name, kind, fmtTime(et.CreatedAt))
	if et.Description != "" {
		fmt.Fprintf(tw, "Description:\t%s\n", et.Description)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nExample data:\n%s\n", indentJSON(et.Example, "  "))
	if len(et.Schema) > 0 {
		fmt.Fprintf(w, "\nSchema:\n%s\n", indentJSON(et.Schema, "  "))
	}
}

func eventTypesCreate(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	var p client.EventTypeCreateParams
	fs.StringVar(&p.Slug, "slug", "", "the slug: lower-case letters, digits, _ . - (required)")
	fs.StringVar(&p.Name, "name", "", "a name people read (required)")
	fs.StringVar(&p.Description, "description", "", "what the event means")
	example := fs.String("example", "", "example data, a JSON object (test sends deliver it)")
	exampleFile := fs.String("example-file", "", "read the example data from this file; - reads standard input")
	schema := fs.String("schema", "", "a JSON Schema published data must satisfy")
	schemaFile := fs.String("schema-file", "", "read the JSON Schema from this file")
	return func(ctx context.Context, x *apiCall, _ []string) error {
		if p.Slug == "" || p.Name == "" {
			return &usageError{msg: "create: --slug and --name are required"}
		}
		var err error
		if p.Example, err = readData(*example, *exampleFile, os.Stdin, "example", "example-file"); err != nil {
			return err
		}
		if p.Schema, err = readData(*schema, *schemaFile, os.Stdin, "schema", "schema-file"); err != nil {
			return err
		}
		et, err := x.c.EventTypeCreate(ctx, p)
		if err != nil {
			return err
		}
		if x.json {
			return x.printJSON(et)
		}
		fmt.Fprintf(x.stdout, "Created event type %s.\n\n", et.Slug)
		printEventType(x.stdout, et)
		return nil
	}
}

func eventTypesUpdate(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	name := fs.String("name", "", "a new name")
	description := fs.String("description", "", "a new description")
	example := fs.String("example", "", "new example data, a JSON object")
	exampleFile := fs.String("example-file", "", "read the example data from this file; - reads standard input")
	schema := fs.String("schema", "", "a new JSON Schema")
	schemaFile := fs.String("schema-file", "", "read the JSON Schema from this file")
	clearSchema := fs.Bool("clear-schema", false, "remove the schema")
	deprecated := fs.Bool("deprecated", false, "deprecate the type (--deprecated=false restores it)")
	return func(ctx context.Context, x *apiCall, args []string) error {
		var p client.EventTypeUpdateParams
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if set["name"] {
			p.Name = name
		}
		if set["description"] {
			p.Description = description
		}
		if set["deprecated"] {
			p.Deprecated = deprecated
		}
		var err error
		if p.Example, err = readData(*example, *exampleFile, os.Stdin, "example", "example-file"); err != nil {
			return err
		}
		if p.Schema, err = readData(*schema, *schemaFile, os.Stdin, "schema", "schema-file"); err != nil {
			return err
		}
		if *clearSchema {
			if p.Schema != nil {
				return &usageError{msg: "update: --clear-schema and a new schema exclude each other"}
			}
			p.Schema = json.RawMessage("null")
		}
		changes := false
		for _, f := range []string{"name", "description", "example", "example-file", "schema", "schema-file", "clear-schema", "deprecated"} {
			changes = changes || set[f]
		}
		if !changes {
			return &usageError{msg: "update: give at least one change (--name, --description, --example, --schema, --clear-schema, --deprecated)"}
		}
		et, err := x.c.EventTypeUpdate(ctx, args[0], p)
		if err != nil {
			return notFound(err, "event type", args[0], "list them with 'hookline event-types list'")
		}
		if x.json {
			return x.printJSON(et)
		}
		fmt.Fprintf(x.stdout, "Updated event type %s.\n\n", et.Slug)
		printEventType(x.stdout, et)
		return nil
	}
}
