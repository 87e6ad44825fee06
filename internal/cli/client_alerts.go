package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hookline/hookline/client"
)

func alertsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return alertsGroup().run(ctx, args, stdout, stderr)
}

const alertsHint = "hookline alerts list"

func alertsGroup() apiGroup {
	return apiGroup{
		name:    "alerts",
		summary: "alert channels: Slack-compatible webhooks and e-mail told when an endpoint fails, is disabled or recovers",
		subs: []apiSub{
			{name: "add", summary: "add an alert channel", help: `
A channel is a Slack-compatible incoming webhook (Slack, Mattermost,
Rocket.Chat, Discord's .../slack URL) or e-mail addresses (the server needs
--smtp-url and --smtp-from). It gets the kinds of alert named by --kinds:
failing (a webhook's failure rate over the threshold), disabled (Hookline
turned a webhook off) and backlog; each alert is followed by a recovery
message on the webhook's first successful delivery.

The Slack URL is a secret: give - to read it from standard input, which
keeps it out of the shell history and process list.

Examples:
  hookline alerts add --slack https://hooks.slack.com/services/T0/B0/XXXX
  pass show slack/hookline | hookline alerts add --slack - --kinds failing,disabled,backlog
  hookline alerts add --email oncall@example.com --email ops@example.com --kinds disabled
  hookline alerts add --email dev@acme.example --tenant acme`, define: alertsAdd},
			{name: "list", summary: "list alert channels (Slack URLs masked)", help: `
Examples:
  hookline alerts list
  hookline alerts list --json | jq -r '.[].id'`, define: alertsList},
			{name: "test", summary: "send a test alert to a channel now and say whether it arrived", args: "CHANNEL_ID", help: `
Examples:
  hookline alerts test ach_01j9z3k4m5n6p7q8r9s0t1v2w3`, define: alertsTest},
			{name: "remove", summary: "remove an alert channel", args: "CHANNEL_ID", help: `
Examples:
  hookline alerts remove ach_01j9z3k4m5n6p7q8r9s0t1v2w3`, define: alertsRemove},
		},
	}
}

// alertKinds reads --kinds: the API's names, or failing, disabled and
// backlog for short.
func alertKinds(s string) []string {
	var out []string
	for _, k := range splitList(s) {
		switch k {
		case "failing", "disabled":
			k = "webhook." + k
		}
		out = append(out, k)
	}
	return out
}

func alertsAdd(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	slack := fs.String("slack", "", "a Slack-compatible incoming-webhook URL (- reads it from standard input)")
	var to listFlag
	fs.Var(&to, "email", "an address to e-mail (repeatable; commas separate too)")
	kinds := fs.String("kinds", "failing,disabled", "the alerts the channel gets: failing, disabled, backlog (comma-separated)")
	tenant := fs.String("tenant", "", "only alerts about this tenant's webhooks")
	return func(ctx context.Context, x *apiCall, _ []string) error {
		p := client.AlertChannelCreateParams{Kinds: alertKinds(*kinds), Tenant: *tenant}
		switch {
		case *slack != "" && len(to) > 0:
			return errors.New("give --slack or --email, not both: a channel is one or the other")
		case *slack == "-":
			line, err := bufio.NewReader(os.Stdin).ReadString('\n')
			if err != nil && line == "" {
				return fmt.Errorf("--slack -: reading the URL from standard input: %w", err)
			}
			p.Type, p.URL = "slack", strings.TrimSpace(line)
		case *slack != "":
			p.Type, p.URL = "slack", *slack
		case len(to) > 0:
			p.Type, p.To = "email", to
		default:
			return errors.New("give --slack URL or --email ADDRESS (see hookline alerts add -h)")
		}
		c, err := x.c.AlertChannelCreate(ctx, p)
		if err != nil {
			return err
		}
		if x.json {
			return x.printJSON(c)
		}
		fmt.Fprintln(x.stdout, c.ID)
		fmt.Fprintf(x.stderr, "Added %s channel %s for %s.\nTry it: hookline alerts test %s\n", c.Type, alertTarget(*c),
			strings.Join(c.Kinds, ", "), c.ID)
		return nil
	}
}

// alertTarget is where a channel sends: its masked URL or its addresses.
func alertTarget(c client.AlertChannel) string {
	if c.Type == "email" {
		return strings.Join(c.To, ", ")
	}
	return c.URL
}

func alertsList(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	wide := addWideFlag(fs)
	return func(ctx context.Context, x *apiCall, _ []string) error {
		cs, err := x.c.AlertChannelList(ctx)
		if err != nil {
			return err
		}
		if x.json {
			if cs == nil {
				cs = []client.AlertChannel{}
			}
			return x.printJSON(cs)
		}
		if len(cs) == 0 {
			fmt.Fprintln(x.stderr, "No alert channels. Add one with 'hookline alerts add'.")
			return nil
		}
		t := newTable(fixed("ID"), fixed("TYPE"), fixed("TO"), flex("KINDS", 8), fixed("TENANT"), extra("CREATED"))
		for _, c := range cs {
			tenant := c.Tenant
			if tenant == "" {
				tenant = "(all)"
			}
			t.row(c.ID, c.Type, alertTarget(c), strings.Join(c.Kinds, ","), tenant, tableTime(c.CreatedAt))
		}
		return t.write(x.stdout, *wide)
	}
}

func alertsTest(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	return func(ctx context.Context, x *apiCall, args []string) error {
		r, err := x.c.AlertChannelTest(ctx, args[0])
		if err != nil {
			return notFound(err, "alert channel", args[0], alertsHint)
		}
		if x.json {
			return x.printJSON(r)
		}
		if !r.OK {
			return fmt.Errorf("the test alert did not arrive: %s", r.Error)
		}
		fmt.Fprintln(x.stdout, "Test alert sent to", args[0])
		return nil
	}
}

func alertsRemove(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	return func(ctx context.Context, x *apiCall, args []string) error {
		if err := x.c.AlertChannelDelete(ctx, args[0]); err != nil {
			return notFound(err, "alert channel", args[0], alertsHint)
		}
		fmt.Fprintln(x.stderr, "Removed", args[0])
		return nil
	}
}
