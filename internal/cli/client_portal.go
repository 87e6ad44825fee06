package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/hookline/hookline/client"
)

// listFlag collects a repeatable flag; commas separate values too.
type listFlag []string

func (l *listFlag) String() string { return fmt.Sprint([]string(*l)) }

func (l *listFlag) Set(v string) error {
	*l = append(*l, splitList(v)...)
	return nil
}

func tenantsPortal(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	var p client.PortalSessionParams
	var events listFlag
	fs.StringVar(&p.TTL, "ttl", "", "how long the session lasts once opened, e.g. 30m (default 1h, at most 12h)")
	fs.BoolVar(&p.ReadOnly, "read-only", false, "the session sees everything and changes nothing")
	fs.StringVar(&p.ReturnURL, "return-url", "", "where the portal links back to in your application")
	fs.Var(&events, "event-type", "an event type the session may subscribe to, or a prefix glob such as 'payment_*' (repeatable; default every type)")
	return func(ctx context.Context, x *apiCall, args []string) error {
		p.EventTypes = events
		s, err := x.c.PortalSessionCreate(ctx, args[0], p)
		if err != nil {
			return notFound(err, "tenant", args[0], tenantHint)
		}
		if x.json {
			return x.printJSON(s)
		}
		fmt.Fprintln(x.stdout, s.URL)
		fmt.Fprintf(x.stderr, "Opens once, until %s.\n", fmtTime(s.ExpiresAt))
		return nil
	}
}
