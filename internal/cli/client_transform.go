package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/hookline/hookline/client"
)

const transformTestHelp = `
Compiles a transform as saving a webhook would and runs it, under the
server's limits, on the example payload of --event-type, or on --data (the
event's data, JSON) of that type, as a delivery to --url would. Prints the
request it makes (method, URL, headers, payload), that it cancels the
delivery, or the error that would fail the attempt (exit status 1).

The transform is JavaScript defining function handler(webhook); webhook is
{method, url, headers, payload, event_type, event_id, tenant}. Give the
source inline or as @FILE.

Examples:
  hookline webhooks transform-test --transform @slack.js --event-type payment_received
  hookline webhooks transform-test --transform 'function handler(w) { w.cancel = w.payload.data.amount < 100; return w }' \
    --event-type payment_received --data '{"amount": 42}'`

// maxSourceFile bounds what readSource reads: the server refuses more
// than 64 KiB anyway; one byte over lets it say so.
const maxSourceFile = 64<<10 + 1

// readSource reads a flag that takes source text inline or as @FILE.
func readSource(cmd, flagName, v string) (string, error) {
	name, ok := strings.CutPrefix(v, "@")
	if !ok {
		return v, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return "", &usageError{msg: fmt.Sprintf("%s: %s: %v", cmd, flagName, err)}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSourceFile))
	if err != nil {
		return "", &usageError{msg: fmt.Sprintf("%s: %s: %v", cmd, flagName, err)}
	}
	return string(b), nil
}

func webhooksTransformTest(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	transform := fs.String("transform", "", "the transform, JavaScript or @FILE (required)")
	eventType := fs.String("event-type", "", "the event type whose example payload it runs on (required)")
	data := fs.String("data", "", "the event's data (JSON) to run it on instead of the example")
	u := fs.String("url", "", "the webhook URL the request starts with (default https://example.com/webhook)")
	format := fs.String("format", "", "the payload format the request starts with: envelope (default) or raw")
	return func(ctx context.Context, x *apiCall, _ []string) error {
		src, err := readSource("transform-test", "--transform", *transform)
		if err != nil {
			return err
		}
		if strings.TrimSpace(src) == "" || strings.TrimSpace(*eventType) == "" {
			return &usageError{msg: "transform-test: --transform and --event-type required"}
		}
		if *data != "" && !json.Valid([]byte(*data)) {
			return &usageError{msg: "transform-test: --data is not valid JSON"}
		}
		p := client.TransformTestParams{Transform: src, EventType: *eventType, URL: *u, Format: *format}
		if *data != "" {
			p.Event = &client.FilterTestEvent{Type: *eventType, Data: json.RawMessage(*data)}
			p.EventType = ""
		}
		res, err := x.c.WebhookTransformTest(ctx, p)
		if err != nil {
			return err
		}
		if x.json {
			if err := x.printJSON(res); err != nil {
				return err
			}
		} else {
			printTransformResult(x.stdout, res)
		}
		if res.Error != nil {
			return fmt.Errorf("the transform failed (%s)", res.Error.Kind)
		}
		return nil
	}
}

func printTransformResult(w io.Writer, res *client.TransformTestResult) {
	switch {
	case res.Error != nil:
		e := res.Error
		at := ""
		if e.Line > 0 {
			at = fmt.Sprintf(" at line %d, column %d", e.Line, e.Column)
		}
		fmt.Fprintf(w, "Error (%s)%s: %s\n", e.Kind, at, e.Message)
	case res.Cancelled:
		fmt.Fprintln(w, "Cancelled: the delivery would be skipped (nothing sent).")
	case res.Result != nil:
		r := res.Result
		fmt.Fprintf(w, "%s %s\n", r.Method, r.URL)
		for _, k := range slices.Sorted(maps.Keys(r.Headers)) {
			fmt.Fprintf(w, "%s: %s\n", k, r.Headers[k])
		}
		fmt.Fprintln(w)
		var s string
		if json.Unmarshal(r.Payload, &s) == nil {
			fmt.Fprintln(w, s) // a text body
		} else {
			var out bytes.Buffer
			if json.Indent(&out, r.Payload, "", "  ") != nil {
				out.Write(r.Payload)
			}
			fmt.Fprintln(w, out.String())
		}
	}
	fmt.Fprintf(w, "(ran in %.2f ms)\n", res.DurationMS)
}
