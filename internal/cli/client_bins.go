package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookline/hookline/client"
)

func binsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return binsGroup().run(ctx, args, stdout, stderr)
}

func binsGroup() apiGroup {
	return apiGroup{
		name:    "bins",
		summary: "request inspector bins: URLs that capture any request sent to them",
		subs: append([]apiSub{
			{name: "create", summary: "create a bin and print its URL", help: `
Examples:
  hookline bins create --name "payments test"
  hookline webhooks create --name Try --url "$(hookline bins create --json | jq -r .url)" --events '*'`, define: binsCreate},
			{name: "list", summary: "list bins", help: `
Examples:
  hookline bins list
  hookline bins list --json | jq -r '.[].url'`, define: binsList},
			{name: "watch", summary: "print each request a bin captures, as it arrives", args: "BIN_ID", stream: true, help: `
Prints what the bin already holds, then every new request live, until
interrupted (Ctrl-C). It reconnects by itself and misses nothing captured
meanwhile.

Examples:
  hookline bins watch bin_01j9z3k4m5n6p7q8r9s0t1v2w3
  hookline bins watch bin_01j9z3k4m5n6p7q8r9s0t1v2w3 --json | jq .body`, define: binsWatch},
			{name: "delete", summary: "delete a bin and what it captured", args: "BIN_ID", help: `
Examples:
  hookline bins delete bin_01j9z3k4m5n6p7q8r9s0t1v2w3`, define: binsDelete},
		}, binCatcherSubs()...),
	}
}

func binsCreate(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	name := fs.String("name", "", "a name for the bin")
	return func(ctx context.Context, x *apiCall, _ []string) error {
		b, err := x.c.BinCreate(ctx, *name)
		if err != nil {
			return err
		}
		if x.json {
			return x.printJSON(b)
		}
		fmt.Fprintln(x.stdout, b.URL)
		fmt.Fprintf(x.stderr, "Created bin %s; it keeps the last %d requests until %s.\nWatch it: hookline bins watch %s\n",
			b.ID, b.MaxRequests, b.ExpiresAt.Local().Format(time.DateTime), b.ID)
		return nil
	}
}

func binsList(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	wide := addWideFlag(fs)
	return func(ctx context.Context, x *apiCall, _ []string) error {
		bins, err := x.c.BinList(ctx)
		if err != nil {
			return err
		}
		if x.json {
			return x.printJSON(bins)
		}
		if len(bins) == 0 {
			fmt.Fprintln(x.stderr, "No bins. Create one with 'hookline bins create'.")
			return nil
		}
		// The URL is what a bin is for: never cut; its expiry shows with --wide.
		t := newTable(fixed("ID"), flex("NAME", 6), fixed("URL"), extra("EXPIRES"))
		for _, b := range bins {
			t.row(b.ID, b.Name, b.URL, tableTime(b.ExpiresAt))
		}
		return t.write(x.stdout, *wide)
	}
}

func binsDelete(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	return func(ctx context.Context, x *apiCall, args []string) error {
		if err := x.c.BinDelete(ctx, args[0]); err != nil {
			return notFound(err, "bin", args[0], "hookline bins list")
		}
		fmt.Fprintln(x.stderr, "Deleted", args[0])
		return nil
	}
}

func binsWatch(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	after := fs.String("after", "", "only requests after this request id")
	return func(ctx context.Context, x *apiCall, args []string) error {
		err := x.c.BinWatch(ctx, args[0], *after, func(r client.BinRequest) error {
			if x.json {
				return x.printJSON(r)
			}
			fmt.Fprintf(x.stdout, "%s  %s %s%s  %d bytes from %s\n", r.ReceivedAt.Local().Format("15:04:05.000"),
				r.Method, r.Path, query(r.Query), r.Size, r.RemoteAddr)
			if ev := first(r.Headers, "Webhook-Event"); ev != "" {
				fmt.Fprintf(x.stdout, "  event %s  id %s\n", ev, first(r.Headers, "Webhook-Id"))
			}
			if r.BodyEncoding == "" && r.Body != "" {
				fmt.Fprintf(x.stdout, "  %s\n", clip(strings.ReplaceAll(r.Body, "\n", " "), 200))
			}
			return nil
		}, func(state string) { fmt.Fprintln(x.stderr, "bins watch:", state) })
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}
}

func query(q string) string {
	if q == "" {
		return ""
	}
	return "?" + q
}

func first(h map[string][]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// hopHeaders are not forwarded by listen: they describe the connection to
// Hookline, not the request.
var hopHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Proxy-Connection": true,
	"Transfer-Encoding": true, "Te": true, "Trailer": true, "Upgrade": true, "Host": true, "Content-Length": true,
	"Accept-Encoding": true}

func listenCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("listen", stdout, `listen --forward-to URL [flags]

Develops a receiver behind NAT, as Stripe's and Svix's CLIs do: creates a
temporary webhook on the server, backed by a request-inspector bin, streams
each request it gets and re-sends it (same method, headers and body, so the
signature still verifies) to your local URL, printing one line per request.
Ctrl-C removes the temporary webhook and bin. A network blip is retried
without losing requests captured meanwhile.

Examples:
  hookline listen --forward-to http://localhost:3000/webhooks
  hookline listen --forward-to http://localhost:3000/webhooks --events payment_received,customer_created

`+connectionHelp)
	conn := addConnFlags(fs)
	forward := fs.String("forward-to", "", "local URL to re-send each request to (required)")
	events := fs.String("events", "*", "comma-separated event types to subscribe to")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if *forward == "" {
		return &usageError{msg: "--forward-to URL is required"}
	}
	target, err := url.Parse(*forward)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return &usageError{msg: "--forward-to must be an absolute http:// or https:// URL"}
	}
	x, err := conn.connect(stdout, stderr)
	if err != nil {
		return err
	}
	err = listen(ctx, x, *forward, splitList(*events), conn.timeout)
	return explain(err, x, conn.timeout)
}

func listen(ctx context.Context, x *apiCall, forward string, events []string, timeout time.Duration) error {
	setup, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	bin, err := x.c.BinCreate(setup, "hookline listen")
	if err != nil {
		return err
	}
	res, err := x.c.WebhookCreate(setup, client.WebhookCreateParams{
		Name: "hookline listen → " + forward, URL: bin.URL, Events: events,
		Description: "Temporary: removed when 'hookline listen' stops.",
	})
	if err != nil {
		x.c.BinDelete(setup, bin.ID)
		return err
	}
	wh := res.Webhook
	defer func() {
		// Clean up even though ctx is done (Ctrl-C).
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := x.c.WebhookDelete(cctx, wh.ID); err != nil && !client.IsNotFound(err) {
			fmt.Fprintln(x.stderr, "listen: could not remove the temporary webhook", wh.ID+":", err)
		}
		x.c.BinDelete(cctx, bin.ID)
		fmt.Fprintln(x.stderr, "listen: removed the temporary webhook", wh.ID)
	}()
	fmt.Fprintf(x.stderr, "Ready. Forwarding %s events to %s (webhook %s, secret %s). Ctrl-C to stop.\n",
		strings.Join(events, ","), forward, wh.ID, res.Secret)
	local := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	err = x.c.BinWatch(ctx, bin.ID, "", func(r client.BinRequest) error {
		forwardOne(ctx, x, local, forward, r)
		return nil
	}, func(state string) {
		if state != "connected" {
			fmt.Fprintln(x.stderr, "listen:", state)
		}
	})
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		return nil
	}
	return err
}

// forwardOne re-sends a captured request to the local URL and prints a
// line: time, event type, local status and latency.
func forwardOne(ctx context.Context, x *apiCall, local *http.Client, forward string, r client.BinRequest) {
	body, err := r.BodyBytes()
	if err != nil {
		fmt.Fprintln(x.stderr, "listen: bad body:", err)
		return
	}
	if r.Truncated {
		fmt.Fprintf(x.stderr, "listen: request %s was larger than the bin keeps; forwarding the first %d bytes\n", r.ID, len(body))
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, forward, bytes.NewReader(body))
	if err != nil {
		fmt.Fprintln(x.stderr, "listen:", err)
		return
	}
	for k, vs := range r.Headers {
		if hopHeaders[http.CanonicalHeaderKey(k)] {
			continue
		}
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	event := first(r.Headers, "Webhook-Event")
	if event == "" {
		event = r.Method
	}
	start := time.Now()
	resp, err := local.Do(req)
	took := time.Since(start).Round(time.Millisecond)
	stamp := time.Now().Format("15:04:05")
	if err != nil {
		fmt.Fprintf(x.stdout, "%s  %-28s  --> %s  error: %v\n", stamp, event, forward, err)
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	fmt.Fprintf(x.stdout, "%s  %-28s  --> %s  [%d] %s\n", stamp, event, forward, resp.StatusCode, took)
}
