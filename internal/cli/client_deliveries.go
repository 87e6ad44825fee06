package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookline/hookline/client"
)

const deliveryHint = "list deliveries with 'hookline deliveries list'"

func deliveriesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return deliveriesGroup().run(ctx, args, stdout, stderr)
}

func deliveriesGroup() apiGroup {
	return apiGroup{
		name:    "deliveries",
		summary: "inspect deliveries (one event to one webhook) and retry them",
		subs: []apiSub{
			{name: "list", summary: "list deliveries, newest first", help: `
Examples:
  hookline deliveries list --status failed
  hookline deliveries list --webhook wh_01j9... --status failed,pending --event-type payment_received --since 24h
  hookline deliveries list --search evt_01j9z3k4m5n6p7q8r9s0t1v2w3
  hookline deliveries list --webhook wh_01j9... --limit 20
  hookline deliveries list --event evt_01j9... --json`, define: deliveriesList},
			{name: "get", summary: "show a delivery with every attempt", args: "DELIVERY_ID", help: `
Examples:
  hookline deliveries get dlv_01j9z3k4m5n6p7q8r9s0t1v2w3`, define: deliveriesGet},
			{name: "retry", summary: "attempt a delivery again now, whatever its state", args: "DELIVERY_ID", help: `
Makes the delivery pending and due now; the server's workers attempt it at
once. Works on failed deliveries and, to deliver again, on succeeded ones.

Examples:
  hookline deliveries retry dlv_01j9z3k4m5n6p7q8r9s0t1v2w3
  hookline deliveries list --status failed --json | jq -r '.[].id' | xargs -n1 hookline deliveries retry`, define: deliveriesRetry},
		},
	}
}

func deliveriesList(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	var p client.DeliveryListParams
	var since, until string
	fs.StringVar(&p.WebhookID, "webhook", "", "only deliveries to this webhook id")
	fs.StringVar(&p.EventID, "event", "", "only deliveries of this event id")
	fs.StringVar(&p.Status, "status", "", "only deliveries in these states: pending, succeeded, failed (comma-separated)")
	fs.StringVar(&p.EventType, "event-type", "", "only deliveries of this event type")
	fs.StringVar(&since, "since", "", "only deliveries created since: an RFC 3339 time or a duration back from now (24h)")
	fs.StringVar(&until, "until", "", "only deliveries created before: an RFC 3339 time or a duration back from now")
	fs.StringVar(&p.Query, "search", "", "a delivery or event id, or the start of one")
	fs.StringVar(&p.Tenant, "tenant", "", "only this tenant's deliveries")
	pg := addPageFlags(fs)
	wide := addWideFlag(fs)
	return func(ctx context.Context, x *apiCall, _ []string) error {
		for st := range strings.SplitSeq(p.Status, ",") {
			switch strings.TrimSpace(st) {
			case "", client.DeliveryPending, client.DeliverySucceeded, client.DeliveryFailed:
			default:
				return &usageError{msg: fmt.Sprintf("list: --status must be pending, succeeded or failed (several: separated by commas), not %q", st)}
			}
		}
		now := time.Now()
		var err error
		if since != "" {
			if p.Since, err = parseTimeFlag("since", since, now); err != nil {
				return err
			}
		}
		if until != "" {
			if p.Until, err = parseTimeFlag("until", until, now); err != nil {
				return err
			}
		}
		p.Limit, p.Cursor = pg.limit, pg.cursor
		list, next, err := collect(x, pg, x.c.DeliveryListAll(ctx, p), func() (*client.Page[client.Delivery], error) {
			return x.c.DeliveryList(ctx, p)
		})
		if err != nil {
			return err
		}
		if x.json {
			morePages(x, next, "deliveries")
			return x.printJSON(list)
		}
		if len(list) == 0 {
			fmt.Fprintln(x.stderr, "No deliveries match.")
			return nil
		}
		if err := deliveryTable(x.stdout, list, *wide, false); err != nil {
			return err
		}
		morePages(x, next, "deliveries")
		return nil
	}
}

// parseTimeFlag reads a time flag as parseSince does, naming the flag
// in its error.
func parseTimeFlag(name, v string, now time.Time) (time.Time, error) {
	t, err := parseSince(v, now)
	if err != nil {
		return t, &usageError{msg: fmt.Sprintf("--%s %q: want an RFC 3339 time (2026-01-31T09:00:00Z) or a duration back from now (2h)", name, v)}
	}
	return t, nil
}

// deliveryTable writes deliveries as a table within 100 columns: the
// delivery's ID whole, and the event type, or for the deliveries of one
// event (ofEvent) the webhook's ID; the other IDs show with --wide
// ('deliveries get' shows them too).
func deliveryTable(w io.Writer, list []client.Delivery, wide, ofEvent bool) error {
	typ, webhook := flex("TYPE", 10), extra("WEBHOOK")
	if ofEvent {
		typ, webhook = extra("TYPE"), fixed("WEBHOOK")
	}
	t := newTable(fixed("ID"), extra("EVENT"), typ, webhook, fixed("STATUS"),
		fixed("TRIES"), flex("LAST RESULT", 8), fixed("NEXT"))
	for _, d := range list {
		last := "-"
		if d.Attempts > 0 {
			last = oneLine(outcome(d.LastStatusCode, "", d.LastError))
		}
		next := "-"
		if d.NextAttemptAt != nil && d.Status == client.DeliveryPending {
			// A retry is due within days: month, day and minute say when.
			next = d.NextAttemptAt.Local().Format("01-02 15:04")
		}
		t.row(d.ID, d.EventID, d.EventType, d.WebhookID, d.Status, fmt.Sprint(d.Attempts), last, next)
	}
	return t.write(w, wide)
}

func deliveriesGet(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	wide := addWideFlag(fs)
	return func(ctx context.Context, x *apiCall, args []string) error {
		d, err := x.c.DeliveryGet(ctx, args[0])
		if err != nil {
			return notFound(err, "delivery", args[0], deliveryHint)
		}
		if x.json {
			return x.printJSON(d)
		}
		tw := tabwriter.NewWriter(x.stdout, 0, 4, 2, ' ', 0)
		row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
		row("ID", d.ID)
		row("Event", d.EventID+" ("+d.EventType+")")
		row("Webhook", d.WebhookID)
		row("Tenant", d.Tenant)
		row("Status", d.Status)
		row("Attempts", fmt.Sprint(d.Attempts))
		if d.NextAttemptAt != nil && d.Status == client.DeliveryPending {
			row("Next attempt", fmtTime(*d.NextAttemptAt))
		}
		if d.Sequence > 0 {
			row("Order", fmt.Sprintf("#%d of key %q (FIFO)", d.Sequence, d.OrderingKey))
		}
		if d.BlockedBy != "" {
			row("Blocked by", d.BlockedBy+" (the earlier delivery of its key; it goes when that one ends)")
		}
		if d.LastError != "" {
			row("Last error", d.LastError)
		}
		row("Created", fmtTime(d.CreatedAt))
		row("Updated", fmtTime(d.UpdatedAt))
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(d.AttemptLog) == 0 {
			fmt.Fprintln(x.stdout, "\nNo attempts yet.")
			return nil
		}
		fmt.Fprintln(x.stdout, "\nAttempts:")
		t := newTable(fixed("#"), fixed("STARTED"), flex("RESULT", 12), flex("OUTCOME", 7), fixed("DURATION"), flex("RESPONSE", 10))
		t.indent = "  "
		for _, a := range d.AttemptLog {
			body := a.ResponseBody
			if a.ResponseBodyEncoding == "base64" {
				body = "(binary)"
			}
			t.row(fmt.Sprint(a.Number), tableTime(a.StartedAt),
				oneLine(answer(a.Answer, a.StatusCode, a.ErrorClass, a.Error)), orDash(a.Outcome), fmtMS(a.DurationMS),
				clip(oneLine(body), 200))
		}
		return t.write(x.stdout, *wide)
	}
}

func deliveriesRetry(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	return func(ctx context.Context, x *apiCall, args []string) error {
		d, err := x.c.DeliveryRetry(ctx, args[0])
		if err != nil {
			return notFound(err, "delivery", args[0], deliveryHint)
		}
		if x.json {
			return x.printJSON(d)
		}
		fmt.Fprintf(x.stdout, "Delivery %s is pending again; attempt %d starts now. Follow it with 'hookline deliveries get %s'.\n",
			d.ID, d.Attempts+1, d.ID)
		return nil
	}
}

// answer is what the destination said: the status line as the server
// recorded it, or, when none came, the error message (which says more than
// the recorded answer, "timed out"). Older servers record no answer.
func answer(a string, status int, class, msg string) string {
	if status != 0 && a != "" {
		return a
	}
	return outcome(status, class, msg)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
