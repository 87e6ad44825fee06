package cli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/hookline/hookline/client"
)

// The request catcher's subcommands of `hookline bins`.
func binCatcherSubs() []apiSub {
	return []apiSub{
		{name: "respond", summary: "set what a bin answers (status, headers, body, delay)", args: "BIN_ID", help: `
Every request the bin captures is answered with this status, headers and
body, after the delay (at most 30s), so a sender's handling of errors and
slow receivers can be tried. --reset goes back to the default answer.

Examples:
  hookline bins respond bin_01j9z3k4m5n6p7q8r9s0t1v2w3 --status 503 --header Retry-After=30
  hookline bins respond bin_01j9z3k4m5n6p7q8r9s0t1v2w3 --status 200 --body '{"ok":true}' --header Content-Type=application/json --delay 5s
  hookline bins respond bin_01j9z3k4m5n6p7q8r9s0t1v2w3 --reset`, define: binsRespond},
		{name: "requests", summary: "list or search a bin's captured requests", args: "BIN_ID", help: `
Every term given must match: --method (any case), --path (part of the path
and query, any case), --header 'Name' or 'Name: text', --body (bytes of
the body).

Examples:
  hookline bins requests bin_01j9z3k4m5n6p7q8r9s0t1v2w3
  hookline bins requests bin_01j9z3k4m5n6p7q8r9s0t1v2w3 --method POST --header 'Webhook-Event: order.created'
  hookline bins requests bin_01j9z3k4m5n6p7q8r9s0t1v2w3 --body '"amount":0' --json`, define: binsRequests},
		{name: "raw", summary: "print a captured request exactly as received", args: "BIN_ID REQUEST_ID", help: `
Prints the request line, the headers, a blank line and the body bytes
unchanged (binary bodies too: redirect to a file).

Examples:
  hookline bins raw bin_01j9z3k4m5n6p7q8r9s0t1v2w3 req_01j9z3k4m5n6p7q8r9s0t1v2w3
  hookline bins raw bin_01j9z3k4m5n6p7q8r9s0t1v2w3 req_01j9z3k4m5n6p7q8r9s0t1v2w3 > request.http`, define: binsRaw},
		{name: "forward", summary: "send a captured request again, to a URL", args: "BIN_ID REQUEST_ID", help: `
Sends the same method, headers and body through the server (and its SSRF
guard) to --url, and prints the answer's status, headers and the start of
its body.

Examples:
  hookline bins forward bin_01j9z3k4m5n6p7q8r9s0t1v2w3 req_01j9z3k4m5n6p7q8r9s0t1v2w3 --url https://staging.example.com/webhooks`, define: binsForward},
		{name: "export", summary: "download a bin's requests as JSON or HAR", args: "BIN_ID", help: `
Writes the requests (those matching the search flags, if any) to stdout or
--output: --format json (default) or har (HTTP Archive 1.2, for browser
devtools and HAR viewers).

Examples:
  hookline bins export bin_01j9z3k4m5n6p7q8r9s0t1v2w3 --format har --output bin.har
  hookline bins export bin_01j9z3k4m5n6p7q8r9s0t1v2w3 --method POST > posts.json`, define: binsExport},
	}
}

func binsRespond(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	status := fs.Int("status", 200, "the status to answer with (200 to 599)")
	headers := headerFlags{}
	fs.Var(headers, "header", "a header of the answer, NAME=VALUE (repeatable)")
	body := fs.String("body", "", "the body of the answer (UTF-8 text, at most 64 KiB)")
	bodyFile := fs.String("body-file", "", "read the body of the answer from this file")
	delay := fs.Duration("delay", 0, "wait this long before answering (at most 30s)")
	reset := fs.Bool("reset", false, "answer with the default response again")
	return func(ctx context.Context, x *apiCall, args []string) error {
		var b *client.Bin
		var err error
		if *reset {
			b, err = x.c.BinResetResponse(ctx, args[0])
		} else {
			text := *body
			if *bodyFile != "" {
				data, rerr := os.ReadFile(*bodyFile)
				if rerr != nil {
					return &usageError{msg: "--body-file: " + rerr.Error()}
				}
				text = string(data)
			}
			b, err = x.c.BinSetResponse(ctx, args[0], client.BinResponse{Status: *status, Headers: headers, Body: text,
				DelayMS: int(delay.Milliseconds())})
		}
		if err != nil {
			return notFound(err, "bin", args[0], "hookline bins list")
		}
		if x.json {
			return x.printJSON(b)
		}
		if b.Response == nil {
			fmt.Fprintf(x.stderr, "%s answers with the default response (200).\n", b.ID)
			return nil
		}
		fmt.Fprintf(x.stderr, "%s answers %d", b.ID, b.Response.Status)
		if b.Response.DelayMS > 0 {
			fmt.Fprintf(x.stderr, " after %dms", b.Response.DelayMS)
		}
		fmt.Fprintln(x.stderr, ".")
		return nil
	}
}

func binSearchFlags(fs *flag.FlagSet) *client.BinSearch {
	var s client.BinSearch
	fs.StringVar(&s.Method, "method", "", "only requests with this method")
	fs.StringVar(&s.Path, "path", "", "only requests whose path and query contain this text")
	fs.StringVar(&s.Header, "header", "", "only requests with this header: 'Name' or 'Name: text'")
	fs.StringVar(&s.Body, "body", "", "only requests whose body contains this text")
	fs.IntVar(&s.Limit, "limit", 0, "at most this many requests, newest first (0: all)")
	return &s
}

func binsRequests(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	s := binSearchFlags(fs)
	wide := addWideFlag(fs)
	return func(ctx context.Context, x *apiCall, args []string) error {
		reqs, err := x.c.BinSearch(ctx, args[0], *s)
		if err != nil {
			return notFound(err, "bin", args[0], "hookline bins list")
		}
		if x.json {
			return x.printJSON(reqs)
		}
		if len(reqs) == 0 {
			fmt.Fprintln(x.stderr, "No requests match.")
			return nil
		}
		t := newTable(fixed("ID"), fixed("RECEIVED"), fixed("METHOD"), flex("PATH", 10), fixed("SIZE"), extra("ANSWERED"))
		for _, r := range reqs {
			t.row(r.ID, tableTime(r.ReceivedAt), r.Method, r.Path+query(r.Query), fmt.Sprint(r.Size), fmt.Sprint(r.Answered))
		}
		return t.write(x.stdout, *wide)
	}
}

func binsRaw(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	return func(ctx context.Context, x *apiCall, args []string) error {
		raw, err := x.c.BinRequestRaw(ctx, args[0], args[1])
		if err != nil {
			return notFound(err, "request", args[1], "hookline bins requests "+args[0])
		}
		_, err = x.stdout.Write(raw)
		return err
	}
}

func binsForward(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	to := fs.String("url", "", "where to send the request (required)")
	return func(ctx context.Context, x *apiCall, args []string) error {
		if *to == "" {
			return &usageError{msg: "--url is required"}
		}
		f, err := x.c.BinForward(ctx, args[0], args[1], *to)
		if err != nil {
			return notFound(err, "request", args[1], "hookline bins requests "+args[0])
		}
		if x.json {
			return x.printJSON(f)
		}
		fmt.Fprintf(x.stdout, "%d from %s in %dms\n", f.Status, f.URL, f.DurationMS)
		for k, vs := range f.Headers {
			for _, v := range vs {
				fmt.Fprintf(x.stdout, "%s: %s\n", k, v)
			}
		}
		if f.Body != "" {
			fmt.Fprintln(x.stdout)
			if f.BodyEncoding != "" {
				fmt.Fprintf(x.stdout, "(%s) ", f.BodyEncoding)
			}
			fmt.Fprintln(x.stdout, f.Body)
		}
		if f.Truncated {
			fmt.Fprintln(x.stderr, "(the body goes on; only its first 4 KiB are shown)")
		}
		return nil
	}
}

func binsExport(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	format := fs.String("format", "json", "json or har")
	out := fs.String("output", "", "write to this file instead of stdout")
	s := binSearchFlags(fs)
	return func(ctx context.Context, x *apiCall, args []string) error {
		if *format != "json" && *format != "har" {
			return &usageError{msg: "--format must be json or har"}
		}
		doc, err := x.c.BinExport(ctx, args[0], *format, *s)
		if err != nil {
			return notFound(err, "bin", args[0], "hookline bins list")
		}
		if *out == "" {
			_, err = x.stdout.Write(doc)
			return err
		}
		if err := os.WriteFile(*out, doc, 0o600); err != nil {
			return err
		}
		fmt.Fprintf(x.stderr, "Wrote %s (%d bytes)\n", *out, len(doc))
		return nil
	}
}
