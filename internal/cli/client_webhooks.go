package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookline/hookline/client"
)

const webhookHint = "list webhooks with 'hookline webhooks list'"

func webhooksCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return webhooksGroup().run(ctx, args, stdout, stderr)
}

func webhooksGroup() apiGroup {
	return apiGroup{
		name:    "webhooks",
		summary: "manage the webhooks of a Hookline server through its API",
		subs: []apiSub{
			{name: "list", summary: "list webhooks", help: `
Lists webhooks, newest first, one page at a time (--all for every page).

Examples:
  hookline webhooks list
  hookline webhooks list --event-type payment_received --active=true
  hookline webhooks list --all --json | jq -r '.[].url'`, define: webhooksList},
			{name: "get", summary: "show a webhook and its delivery counters", args: "WEBHOOK_ID", help: `
Examples:
  hookline webhooks get wh_01j9z3k4m5n6p7q8r9s0t1v2w3
  hookline webhooks get wh_01j9z3k4m5n6p7q8r9s0t1v2w3 --json`, define: webhooksGet},
			{name: "create", summary: "create a webhook and print its signing secret", help: `
Creates a webhook and prints it with its signing secret (whsec_...), which
the receiver needs to verify requests.

Examples:
  hookline webhooks create --name Billing --url https://billing.example.com/hooks --events payment_received,payment_failed
  hookline webhooks create --name Everything --url https://example.com/in --events '*' --header X-Team=billing
  hookline webhooks create --name Partner --url https://partner.example.com/in --events '*' --secret-header X-Partner-Token=abc
  hookline webhooks create --name Zap --url https://hooks.example.com/1 --events customer_created --format raw --inactive
  hookline webhooks create --name "Big EU" --url https://example.com/in --events payment_received \
    --filter '{"data.amount": {"$gte": 100}, "data.country": {"$in": ["DE", "FR"]}}'
  hookline webhooks create --name CRM --url https://crm.example.com/in --events '*' --rate-limit 50/s
  hookline webhooks create --name Slack --url https://hooks.slack.com/services/T0/B0/x --events payment_received \
    --transform @slack.js
  hookline webhooks create --name Ledger --url https://ledger.example.com/in --events payment_received \
    --ordering fifo --ordering-key data.customer_id
  hookline webhooks create --name Bus --events '*' --destination rabbitmq \
    --destination-url amqp://app:secret@broker.example.com:5672/prod --exchange events --routing-key hookline
  hookline webhooks create --name Stream --events '*' --destination redis --destination-url redis://cache:6379/0 --stream hookline
  hookline webhooks create --name JS --events '*' --destination '{"type":"nats","url":"nats://nats:4222","subject":"hookline.events"}'
  hookline webhooks create --name Orders --events '*' --destination kafka --brokers kafka-1:9092,kafka-2:9092 \
    --topic orders --key-path data.customer.id --tls --sasl-mechanism scram-sha-512 --sasl-username app \
    --sasl-password-file /run/secrets/kafka

A broker destination (rabbitmq, nats, redis, mqtt, kafka) needs no --url: its
messages carry the body and the Standard Webhooks headers (see the README's
Destinations section).`, define: webhooksCreate},
			{name: "update", summary: "change a webhook's fields (only the flags given)", args: "WEBHOOK_ID", help: `
Changes only the fields whose flags are given. --events and --header
replace the whole list (--header and --secret-header together make the new
header list; a header marked secret before stays so while it is in the
list); --clear-headers removes every custom header.

Examples:
  hookline webhooks update wh_01j9... --active=false
  hookline webhooks update wh_01j9... --url https://new.example.com/hooks --events '*'
  hookline webhooks update wh_01j9... --header Authorization='Bearer abc'
  hookline webhooks update wh_01j9... --filter '{"type": "payment_received"}'
  hookline webhooks update wh_01j9... --clear-filter
  hookline webhooks update wh_01j9... --transform @reshape.js
  hookline webhooks update wh_01j9... --clear-transform
  hookline webhooks update wh_01j9... --rate-limit 600/min
  hookline webhooks update wh_01j9... --rate-limit none
  hookline webhooks update wh_01j9... --ordering fifo --ordering-key data.account_id`, define: webhooksUpdate},
			{name: "filter-test", summary: "try a payload filter on an event type's example or on an event", help: `
Checks a payload filter as saving a webhook would, and tries it on the
example payload of --event-type, or on --data (the event's data, JSON) of
that type. Prints whether it matches and, if not, which clause failed; the
exit status is 0 either way (1 for a bad filter).

Examples:
  hookline webhooks filter-test --filter '{"data.payment_total_raw": {"$gte": 100}}' --event-type payment_received
  hookline webhooks filter-test --filter '{"data.items.*.sku": "A-1"}' --event-type order_paid --data '{"items": [{"sku": "A-1"}]}'`, define: webhooksFilterTest},
			{name: "transform-test", summary: "run a transform on an event type's example or on an event", help: transformTestHelp, define: webhooksTransformTest},
			{name: "delete", summary: "delete a webhook (pending deliveries are cancelled)", args: "WEBHOOK_ID", help: `
Examples:
  hookline webhooks delete wh_01j9z3k4m5n6p7q8r9s0t1v2w3`, define: webhooksDelete},
			{name: "test", summary: "send a test event now and show the answer", args: "WEBHOOK_ID", help: `
Sends the example payload of an event type to the webhook, waits for the
answer and prints it. Exits 1 when the receiver did not answer 2xx, so a
script can use it as a health check.

Examples:
  hookline webhooks test wh_01j9...
  hookline webhooks test wh_01j9... --event-type payment_failed --json`, define: webhooksTest},
			{name: "secret", summary: "print the webhook's signing secret", args: "WEBHOOK_ID", help: `
Prints the current signing secret on standard output (and, during a
rotation overlap, the previous one on standard error).

Examples:
  WEBHOOK_SECRET=$(hookline webhooks secret wh_01j9...)`, define: webhooksSecret},
			{name: "rotate-secret", summary: "replace the signing secret (the old one keeps signing for a while)", args: "WEBHOOK_ID", help: `
Examples:
  hookline webhooks rotate-secret wh_01j9...`, define: webhooksRotate},
			{name: "replay", summary: "deliver again the events published since a time", args: "WEBHOOK_ID", help: `
--since takes an RFC 3339 time or a duration back from now.

Examples:
  hookline webhooks replay wh_01j9... --since 2h
  hookline webhooks replay wh_01j9... --since 2026-01-31T09:00:00Z`, define: webhooksReplay},
			{name: "recover", summary: "re-queue the failed deliveries of a time window", args: "WEBHOOK_ID", help: `
Makes the webhook's failed deliveries created in the window pending again,
each with the whole retry schedule, and the server sends them at once.
--since is required, --until defaults to now; the window is at most 31
days. Each takes an RFC 3339 time or a duration back from now. Run with
--dry-run first to see how many it would take. Running it again
re-queues nothing twice. A disabled webhook must be enabled first.

Examples:
  hookline webhooks recover wh_01j9... --since 24h --dry-run
  hookline webhooks recover wh_01j9... --since 2026-01-31T08:00:00Z --until 2026-01-31T12:00:00Z
  hookline webhooks recover wh_01j9... --since 6h --event-type payment_received,payment_refunded`, define: webhooksRecover},
			{name: "attempts", summary: "list the webhook's recent attempts, tests included", args: "WEBHOOK_ID", help: `
Examples:
  hookline webhooks attempts wh_01j9... --limit 20`, define: webhooksAttempts},
			{name: "stats", summary: "show the webhook's health over time (as 'hookline stats webhook')", args: "WEBHOOK_ID", help: statsHelp + `

Examples:
  hookline webhooks stats wh_01j9... --since 24h --bucket 1h
  hookline webhooks stats wh_01j9... --since 30d --json`, define: webhookStats},
		},
	}
}

func webhooksList(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	var p client.WebhookListParams
	fs.StringVar(&p.Tenant, "tenant", "", "only this tenant's webhooks")
	fs.StringVar(&p.EventType, "event-type", "", "only webhooks subscribed to this event type")
	fs.StringVar(&p.Search, "search", "", "only webhooks whose name or URL contains this")
	active := fs.Bool("active", false, "--active: only active webhooks; --active=false: only inactive ones (default: both)")
	pg := addPageFlags(fs)
	wide := addWideFlag(fs)
	return func(ctx context.Context, x *apiCall, _ []string) error {
		if flagSet(fs, "active") {
			p.Active = active
		}
		p.Limit, p.Cursor = pg.limit, pg.cursor
		list, next, err := collect(x, pg, x.c.WebhookListAll(ctx, p), func() (*client.Page[client.Webhook], error) {
			return x.c.WebhookList(ctx, p)
		})
		if err != nil {
			return err
		}
		if x.json {
			morePages(x, next, "webhooks")
			return x.printJSON(list)
		}
		if len(list) == 0 {
			fmt.Fprintln(x.stderr, "No webhooks. Create one with 'hookline webhooks create'.")
			return nil
		}
		t := newTable(fixed("ID"), flex("NAME", 8), flex("URL", 16), flex("EVENTS", 8), flex("TENANT", 6),
			fixed("STATE"), fixed("OK"), fixed("FAILED"))
		for _, w := range list {
			t.row(w.ID, w.Name, w.URL, strings.Join(w.Events, ","), w.Tenant, webhookState(w),
				fmt.Sprint(w.Stats.Succeeded), fmt.Sprint(w.Stats.Failed))
		}
		if err := t.write(x.stdout, *wide); err != nil {
			return err
		}
		morePages(x, next, "webhooks")
		return nil
	}
}

func webhooksGet(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	return func(ctx context.Context, x *apiCall, args []string) error {
		w, err := x.c.WebhookGet(ctx, args[0])
		if err != nil {
			return notFound(err, "webhook", args[0], webhookHint)
		}
		if x.json {
			return x.printJSON(w)
		}
		return printWebhook(x.stdout, w, "")
	}
}

func webhooksCreate(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	var p client.WebhookCreateParams
	headers := headerFlags{}
	fs.StringVar(&p.Name, "name", "", "a name people recognise, 2 to 200 characters (required)")
	fs.StringVar(&p.URL, "url", "", "the receiver's http(s) URL (required)")
	events := fs.String("events", "", "comma-separated event types to subscribe to, or '*' for all (required)")
	fs.Var(headers, "header", "add this `NAME=VALUE` header to every request (repeatable)")
	secret := headerFlags{}
	fs.Var(secret, "secret-header", "like --header, and attempts show its value masked (repeatable)")
	fs.StringVar(&p.Format, "format", "", "payload format: envelope (default) or raw (the data object alone)")
	inactive := fs.Bool("inactive", false, "create it switched off (no deliveries until activated)")
	fs.StringVar(&p.Tenant, "tenant", "", "the tenant whose events it receives (default: default)")
	fs.StringVar(&p.Description, "description", "", "free text for people")
	fs.StringVar(&p.Integration, "integration", "", "who creates it, e.g. manual (default), zapier")
	filter := fs.String("filter", "", "a payload filter (JSON) events must also match; try it with 'webhooks filter-test'")
	transform := fs.String("transform", "", "JavaScript defining handler(webhook), or @FILE to read it from; try it with 'webhooks transform-test'")
	fs.StringVar(&p.Signature, "signature", "", "hmac-sha256 (default) or ed25519: receivers then verify with a public key (whpk_...)")
	rate := fs.String("rate-limit", "", "at most this many requests, like 50/s or 600/min (deliveries wait, retries are not spent)")
	fs.StringVar(&p.Ordering, "ordering", "", "none (default: in parallel) or fifo (one at a time per ordering key, in publish order)")
	fs.StringVar(&p.OrderingKey, "ordering-key", "", "with --ordering fifo: the event path that keys the order, e.g. data.customer_id")
	dest := addDestinationFlags(fs)
	return func(ctx context.Context, x *apiCall, _ []string) error {
		if *rate != "" {
			rl, err := parseRateLimit("create", *rate, false)
			if err != nil {
				return err
			}
			p.RateLimit = rl
		}
		d, err := dest.destination("create")
		if err != nil {
			return err
		}
		p.Destination = d
		broker := d != nil && d.Type != client.DestinationHTTP
		var missing []string
		for _, f := range []struct{ name, v string }{{"name", p.Name}, {"url", p.URL}, {"events", *events}} {
			if strings.TrimSpace(f.v) == "" && !(f.name == "url" && broker) {
				missing = append(missing, "--"+f.name)
			}
		}
		if len(missing) > 0 {
			return &usageError{msg: "create: " + strings.Join(missing, ", ") + " required"}
		}
		p.Events = splitList(*events)
		if *filter != "" {
			if !json.Valid([]byte(*filter)) {
				return &usageError{msg: "create: --filter is not valid JSON"}
			}
			p.Filter = json.RawMessage(*filter)
		}
		if p.Transform, err = readSource("create", "--transform", *transform); err != nil {
			return err
		}
		p.SecretHeaders = headers.addSecret(secret)
		if len(headers) > 0 {
			p.Headers = headers
		}
		if *inactive {
			p.Active = client.Ptr(false)
		}
		w, err := x.c.WebhookCreate(ctx, p)
		if err != nil {
			return err
		}
		if x.json {
			return x.printJSON(w)
		}
		fmt.Fprintf(x.stdout, "Created webhook %s.\n\n", w.ID)
		return printWebhook(x.stdout, &w.Webhook, w.Secret)
	}
}

func webhooksUpdate(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	name := fs.String("name", "", "new name")
	u := fs.String("url", "", "new receiver URL")
	events := fs.String("events", "", "new comma-separated event types, or '*' (replaces the list)")
	active := fs.Bool("active", false, "--active switches deliveries on, --active=false off")
	headers := headerFlags{}
	fs.Var(headers, "header", "`NAME=VALUE` header (repeatable; replaces every custom header)")
	secret := headerFlags{}
	fs.Var(secret, "secret-header", "like --header, and attempts show its value masked (repeatable)")
	clearHeaders := fs.Bool("clear-headers", false, "remove every custom header")
	format := fs.String("format", "", "new payload format: envelope or raw")
	desc := fs.String("description", "", "new description")
	integration := fs.String("integration", "", "new integration label")
	filter := fs.String("filter", "", "a new payload filter (JSON)")
	clearFilter := fs.Bool("clear-filter", false, "remove the payload filter")
	transform := fs.String("transform", "", "a new transform: JavaScript defining handler(webhook), or @FILE")
	clearTransform := fs.Bool("clear-transform", false, "remove the transform")
	signature := fs.String("signature", "", "a new signature scheme, hmac-sha256 or ed25519 (a new key; the previous one signs during the overlap)")
	rate := fs.String("rate-limit", "", "a new rate limit, like 50/s or 600/min; none removes it")
	ordering := fs.String("ordering", "", "none (in parallel) or fifo (one at a time per ordering key)")
	orderingKey := fs.String("ordering-key", "", "the event path that keys a FIFO order, e.g. data.customer_id ('' for one sequence)")
	dest := addDestinationFlags(fs)
	return func(ctx context.Context, x *apiCall, args []string) error {
		var p client.WebhookUpdateParams
		if flagSet(fs, "rate-limit") {
			rl, err := parseRateLimit("update", *rate, true)
			if err != nil {
				return err
			}
			p.RateLimit = rl
		}
		d, err := dest.destination("update")
		if err != nil {
			return err
		}
		p.Destination = d
		switch {
		case *clearFilter && flagSet(fs, "filter"):
			return &usageError{msg: "update: give --filter or --clear-filter, not both"}
		case *clearFilter:
			p.Filter = client.NoFilter
		case flagSet(fs, "filter"):
			if !json.Valid([]byte(*filter)) {
				return &usageError{msg: "update: --filter is not valid JSON"}
			}
			p.Filter = json.RawMessage(*filter)
		}
		switch {
		case *clearTransform && flagSet(fs, "transform"):
			return &usageError{msg: "update: give --transform or --clear-transform, not both"}
		case *clearTransform:
			p.Transform = new(string)
		case flagSet(fs, "transform"):
			src, err := readSource("update", "--transform", *transform)
			if err != nil {
				return err
			}
			if strings.TrimSpace(src) == "" {
				return &usageError{msg: "update: --transform is empty (use --clear-transform to remove it)"}
			}
			p.Transform = &src
		}
		set := func(flagName string, v *string) *string {
			if flagSet(fs, flagName) {
				return v
			}
			return nil
		}
		p.Name, p.URL, p.Format, p.Description, p.Integration, p.Signature =
			set("name", name), set("url", u), set("format", format), set("description", desc), set("integration", integration),
			set("signature", signature)
		p.Ordering, p.OrderingKey = set("ordering", ordering), set("ordering-key", orderingKey)
		if flagSet(fs, "events") {
			p.Events = splitList(*events)
			if len(p.Events) == 0 {
				return &usageError{msg: "update: --events needs at least one event type (or '*')"}
			}
		}
		if flagSet(fs, "active") {
			p.Active = active
		}
		names := headers.addSecret(secret)
		switch {
		case *clearHeaders && len(headers) > 0:
			return &usageError{msg: "update: give --header or --clear-headers, not both"}
		case *clearHeaders:
			p.Headers = map[string]string{}
		case len(headers) > 0:
			p.Headers = headers
		}
		if len(names) > 0 {
			p.SecretHeaders = names
		}
		changed := p.Name != nil || p.URL != nil || p.Format != nil || p.Description != nil || p.Integration != nil ||
			p.Events != nil || p.Active != nil || p.Headers != nil || p.Filter != nil || p.Signature != nil || p.Destination != nil ||
			p.RateLimit != nil || p.Ordering != nil || p.OrderingKey != nil || p.Transform != nil
		if !changed {
			return &usageError{msg: "update: nothing to change: give at least one of --name, --url, --events, --filter, --clear-filter, --transform, --clear-transform, --signature, --rate-limit, --ordering, --ordering-key, --active, --header, --secret-header, --clear-headers, --format, --description, --integration, --destination"}
		}
		w, err := x.c.WebhookUpdate(ctx, args[0], p)
		if err != nil {
			return notFound(err, "webhook", args[0], webhookHint)
		}
		if x.json {
			return x.printJSON(w)
		}
		fmt.Fprintf(x.stdout, "Updated webhook %s.\n\n", w.ID)
		return printWebhook(x.stdout, w, "")
	}
}

func webhooksDelete(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	return func(ctx context.Context, x *apiCall, args []string) error {
		if err := x.c.WebhookDelete(ctx, args[0]); err != nil {
			return notFound(err, "webhook", args[0], webhookHint)
		}
		if x.json {
			return x.printJSON(map[string]any{"id": args[0], "deleted": true})
		}
		fmt.Fprintf(x.stdout, "Deleted webhook %s.\n", args[0])
		return nil
	}
}

func webhooksTest(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	var p client.WebhookTestParams
	fs.StringVar(&p.EventType, "event-type", "", "send this event type's example (default: the webhook's first subscribed type)")
	return func(ctx context.Context, x *apiCall, args []string) error {
		r, err := x.c.WebhookTest(ctx, args[0], p)
		if err != nil {
			return notFound(err, "webhook", args[0], webhookHint)
		}
		if x.json {
			if err := x.printJSON(r); err != nil {
				return err
			}
		} else {
			printTestResult(x.stdout, r)
		}
		if !r.Success {
			return fmt.Errorf("the test send failed: %s", outcome(r.StatusCode, r.ErrorClass, r.Error))
		}
		return nil
	}
}

func webhooksSecret(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	return func(ctx context.Context, x *apiCall, args []string) error {
		s, err := x.c.WebhookSecret(ctx, args[0])
		if err != nil {
			return notFound(err, "webhook", args[0], webhookHint)
		}
		if x.json {
			return x.printJSON(s)
		}
		fmt.Fprintln(x.stdout, s.Secret)
		for _, p := range s.Previous {
			fmt.Fprintf(x.stderr, "The previous secret %s also signs until %s.\n", p.Secret, fmtTime(p.ExpiresAt))
		}
		return nil
	}
}

func webhooksRotate(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	return func(ctx context.Context, x *apiCall, args []string) error {
		r, err := x.c.WebhookRotateSecret(ctx, args[0])
		if err != nil {
			return notFound(err, "webhook", args[0], webhookHint)
		}
		if x.json {
			return x.printJSON(r)
		}
		fmt.Fprintln(x.stdout, r.Secret)
		fmt.Fprintf(x.stderr, "Requests are signed with the new and the old secret until %s: update the receiver before then.\n",
			fmtTime(r.PreviousExpiresAt))
		return nil
	}
}

func webhooksReplay(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	since := fs.String("since", "", "RFC 3339 time or a duration back from now, e.g. 2h (required)")
	return func(ctx context.Context, x *apiCall, args []string) error {
		if *since == "" {
			return &usageError{msg: "replay: --since is required"}
		}
		t, err := parseSince(*since, time.Now())
		if err != nil {
			return err
		}
		r, err := x.c.WebhookReplay(ctx, args[0], client.WebhookReplayParams{Since: t})
		if err != nil {
			return notFound(err, "webhook", args[0], webhookHint)
		}
		if x.json {
			return x.printJSON(r)
		}
		fmt.Fprintf(x.stdout, "Queued %d deliveries of events since %s.\n", r.Deliveries, fmtTime(t))
		return nil
	}
}

func webhooksRecover(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	since := fs.String("since", "", "start of the window: RFC 3339 time or a duration back from now, e.g. 24h (required)")
	until := fs.String("until", "", "end of the window (default now): RFC 3339 time or a duration back from now")
	types := fs.String("event-type", "", "only deliveries of these event types (comma-separated)")
	dry := fs.Bool("dry-run", false, "only count the deliveries it would re-queue")
	return func(ctx context.Context, x *apiCall, args []string) error {
		if *since == "" {
			return &usageError{msg: "recover: --since is required"}
		}
		now := time.Now()
		p := client.WebhookRecoverParams{DryRun: *dry}
		var err error
		if p.Since, err = parseTimeFlag("since", *since, now); err != nil {
			return err
		}
		if *until != "" {
			t, err := parseTimeFlag("until", *until, now)
			if err != nil {
				return err
			}
			p.Until = &t
		}
		for t := range strings.SplitSeq(*types, ",") {
			if t = strings.TrimSpace(t); t != "" {
				p.EventTypes = append(p.EventTypes, t)
			}
		}
		r, err := x.c.WebhookRecover(ctx, args[0], p)
		if err != nil {
			return notFound(err, "webhook", args[0], webhookHint)
		}
		if x.json {
			return x.printJSON(r)
		}
		window := fmtTime(r.Since) + " to " + fmtTime(r.Until)
		if r.DryRun {
			fmt.Fprintf(x.stdout, "%d failed deliveries created from %s would be re-queued. Run again without --dry-run to do it.\n",
				r.Count, window)
			return nil
		}
		fmt.Fprintf(x.stdout, "Re-queued %d failed deliveries created from %s; they are being sent now.\n", r.Count, window)
		return nil
	}
}

func webhooksAttempts(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	limit := fs.Int("limit", 50, "how many recent attempts, 1 to 1000")
	wide := addWideFlag(fs)
	return func(ctx context.Context, x *apiCall, args []string) error {
		atts, err := x.c.WebhookAttempts(ctx, args[0], client.WebhookAttemptsParams{Limit: *limit})
		if err != nil {
			return notFound(err, "webhook", args[0], webhookHint)
		}
		if x.json {
			return x.printJSON(nonNil(atts))
		}
		if len(atts) == 0 {
			fmt.Fprintln(x.stderr, "No attempts yet.")
			return nil
		}
		t := newTable(extra("ATTEMPT"), fixed("STARTED"), flex("EVENT TYPE", 10), flex("DELIVERY", 12),
			flex("RESULT", 12), flex("OUTCOME", 7), fixed("DURATION"))
		for _, a := range atts {
			dlv := a.DeliveryID
			if a.Test {
				dlv = "(test)"
			}
			t.row(a.ID, tableTime(a.StartedAt), a.EventType, dlv,
				oneLine(answer(a.Answer, a.StatusCode, a.ErrorClass, a.Error)), orDash(a.Outcome), fmtMS(a.DurationMS))
		}
		return t.write(x.stdout, *wide)
	}
}

// printWebhook writes a webhook as aligned "Field: value" lines.
func printWebhook(w io.Writer, wh *client.Webhook, secret string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("ID", wh.ID)
	row("Name", wh.Name)
	row("URL", wh.URL)
	row("Tenant", wh.Tenant)
	row("Events", strings.Join(wh.Events, ", "))
	if len(wh.Filter) > 0 {
		row("Filter", string(wh.Filter))
	}
	if wh.Transform != "" {
		row("Transform", fmt.Sprintf("%d lines of JavaScript (the source: webhooks get --json)", strings.Count(strings.TrimRight(wh.Transform, "\n"), "\n")+1))
	}
	row("State", webhookState(*wh))
	row("Format", wh.Format)
	if wh.Signature == client.SignatureEd25519 {
		row("Signature", "ed25519 (v1a): verify with the public key")
	}
	if wh.Ordering == client.OrderingFIFO {
		key := "one sequence"
		if wh.OrderingKey != "" {
			key = "per " + wh.OrderingKey
		}
		row("Ordering", "FIFO, "+key+" (one at a time, in publish order)")
	}
	if r := rateText(wh.RateLimit); r != "" {
		row("Rate limit", r+" (deliveries wait for it; retries are not spent)")
	}
	if wh.Integration != "" {
		row("Integration", wh.Integration)
	}
	if len(wh.Headers) > 0 {
		keys := make([]string, 0, len(wh.Headers))
		for k := range wh.Headers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			label := ""
			if i == 0 {
				label = "Headers"
			}
			v := wh.Headers[k]
			if slices.Contains(wh.SecretHeaders, k) {
				v += " (secret: write-only, masked in attempts)"
			}
			fmt.Fprintf(tw, "%s\t%s: %s\n", label+":", k, v)
		}
	}
	if d := wh.Destination; d.Type != "" {
		row("Destination", destinationText(d))
	}
	if wh.Description != "" {
		row("Description", wh.Description)
	}
	row("Created", fmtTime(wh.CreatedAt))
	row("Updated", fmtTime(wh.UpdatedAt))
	s := wh.Stats
	row("Deliveries", fmt.Sprintf("%d (%d succeeded, %d failed; %d attempts)", s.Deliveries, s.Succeeded, s.Failed, s.Attempts))
	if s.LastSuccessAt != nil {
		row("Last success", fmtTime(*s.LastSuccessAt))
	}
	if s.LastFailureAt != nil {
		row("Last failure", fmtTime(*s.LastFailureAt))
	}
	if s.FailingSince != nil {
		row("Failing since", fmtTime(*s.FailingSince))
	}
	if s.Throttled > 0 {
		row("Throttled", fmt.Sprintf("%d attempts waited for the rate limit", s.Throttled))
	}
	if secret != "" {
		label := "Secret"
		if strings.HasPrefix(secret, "whpk_") {
			label = "Public key"
		}
		row(label, secret)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if secret != "" {
		fmt.Fprintf(w, "\nThe receiver verifies requests with the secret; 'hookline webhooks secret %s' shows it again.\n", wh.ID)
	}
	return nil
}

func printTestResult(w io.Writer, r *client.TestResult) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	result := "succeeded"
	if !r.Success {
		result = "FAILED"
	}
	row("Result", result)
	row("Event type", r.EventType)
	if r.StatusCode != 0 {
		row("Status", answer(r.Answer, r.StatusCode, r.ErrorClass, r.Error))
	} else if r.Destination != "" && r.Destination != client.DestinationHTTP && r.Answer != "" {
		// A broker has no status: its answer ("ack", "XADD 1-0") is it.
		row("Answer", r.Destination+": "+r.Answer)
	}
	row("Latency", fmtMS(r.DurationMS))
	if r.Error != "" {
		row("Error", r.Error)
	}
	body := r.ResponseBody
	if r.ResponseBodyEncoding == "base64" {
		body = "(binary, base64) " + body
	}
	if r.StatusCode != 0 {
		if body == "" {
			body = "(empty)"
		}
		row("Response", clip(oneLine(body), 200))
	}
	row("Attempt", r.AttemptID)
	tw.Flush()
}

// webhookState is "active", "inactive" or "disabled: REASON".
func webhookState(w client.Webhook) string {
	switch {
	case w.Active:
		return "active"
	case w.DisabledReason != "":
		return "disabled: " + w.DisabledReason
	}
	return "inactive"
}

// outcome describes an attempt's result in a few words: the status when
// an answer came, else what went wrong.
func outcome(status int, class, msg string) string {
	switch {
	case status != 0:
		return fmt.Sprintf("%d %s", status, http.StatusText(status))
	case msg != "":
		return msg
	case class != "":
		return class
	}
	return "no answer"
}

// parseSince reads an RFC 3339 time or a duration back from now.
func parseSince(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return now.Add(-d).UTC().Truncate(time.Second), nil
	}
	return time.Time{}, &usageError{msg: fmt.Sprintf("--since %q: want an RFC 3339 time (2026-01-31T09:00:00Z) or a duration (2h)", v)}
}

// pageFlags are the paging flags of list commands.
type pageFlags struct {
	limit  int
	cursor string
	all    bool
}

func addPageFlags(fs *flag.FlagSet) *pageFlags {
	p := &pageFlags{}
	fs.IntVar(&p.limit, "limit", 50, "page size, 1 to 1000")
	fs.StringVar(&p.cursor, "cursor", "", "start at this page (the cursor a previous list printed)")
	fs.BoolVar(&p.all, "all", false, "follow the pages to the end")
	return p
}

// collect returns one page (and the next cursor) or, with --all, every
// item of every page.
func collect[T any](x *apiCall, pg *pageFlags, all func(func(T, error) bool), one func() (*client.Page[T], error)) ([]T, string, error) {
	if pg.limit < 1 || pg.limit > 1000 {
		return nil, "", &usageError{msg: "--limit must be from 1 to 1000"}
	}
	if !pg.all {
		page, err := one()
		if err != nil {
			return nil, "", err
		}
		return nonNil(page.Data), page.NextCursor, nil
	}
	out := []T{}
	for v, err := range all {
		if err != nil {
			return nil, "", err
		}
		out = append(out, v)
	}
	return out, "", nil
}

// morePages tells that the list goes on, on standard error so that
// standard output stays the list alone (also with --json).
func morePages(x *apiCall, next, what string) {
	if next == "" {
		return
	}
	fmt.Fprintf(x.stderr, "More %s: add --cursor %s for the next page, or --all for every page.\n", what, next)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05 MST")
}

func fmtMS(ms float64) string {
	if ms >= 1000 {
		return fmt.Sprintf("%.2f s", ms/1000)
	}
	return fmt.Sprintf("%.1f ms", ms)
}

// clip shortens s to n runes with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func webhooksFilterTest(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	filter := fs.String("filter", "", "the payload filter, JSON (required)")
	eventType := fs.String("event-type", "", "the event type whose example payload it is tried on (required)")
	data := fs.String("data", "", "the event's data (JSON) to try it on instead of the example")
	return func(ctx context.Context, x *apiCall, _ []string) error {
		if strings.TrimSpace(*filter) == "" || strings.TrimSpace(*eventType) == "" {
			return &usageError{msg: "filter-test: --filter and --event-type required"}
		}
		for _, f := range []struct{ name, v string }{{"--filter", *filter}, {"--data", *data}} {
			if f.v != "" && !json.Valid([]byte(f.v)) {
				return &usageError{msg: "filter-test: " + f.name + " is not valid JSON"}
			}
		}
		p := client.FilterTestParams{Filter: json.RawMessage(*filter), EventType: *eventType}
		if *data != "" {
			p.Event = &client.FilterTestEvent{Type: *eventType, Data: json.RawMessage(*data)}
			p.EventType = ""
		}
		res, err := x.c.WebhookFilterTest(ctx, p)
		if err != nil {
			return err
		}
		if x.json {
			return x.printJSON(res)
		}
		if res.Matches {
			fmt.Fprintf(x.stdout, "Matches: %s.\n", res.Explanation)
		} else {
			fmt.Fprintf(x.stdout, "No match: %s.\n", res.Explanation)
		}
		return nil
	}
}
