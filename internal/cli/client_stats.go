package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/client"
)

func statsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return statsGroup().run(ctx, args, stdout, stderr)
}

// statsHelp is the part of every stats command's help about the window.
const statsHelp = `
Health over time: per UTC bucket, the deliveries that succeeded and that
finally failed, the attempts, those that failed and those that were
retries, and the attempts' p50 and p95 latency; then the window's success
rate (delivered / (delivered + failed)) and totals. Test sends are not
counted. The table shows the buckets with anything in them (--empty for
all of them); --json prints the API's answer, every bucket included.

--since is the window, from 1m to 30d (90m, 24h, 7d); --bucket the bucket
size, from 1m to 1d, at most 1,440 buckets (default: the smallest of 1m,
5m, 15m, 1h, 6h, 1d that gives at most 300).`

func statsGroup() apiGroup {
	return apiGroup{
		name:    "stats",
		summary: "show endpoint health over time: a webhook's, a tenant's or the whole server's",
		subs: []apiSub{
			{name: "webhook", summary: "a webhook's health over time", args: "WEBHOOK_ID", help: statsHelp + `

Examples:
  hookline stats webhook wh_01j9... --since 24h --bucket 1h
  hookline stats webhook wh_01j9... --since 7d --json | jq .success_rate`, define: webhookStats},
			{name: "tenant", summary: "a tenant's health over time, over all its webhooks", args: "TENANT_ID", help: statsHelp + `

A tenant's API key reads its own tenant only.

Examples:
  hookline stats tenant acme --since 7d`, define: tenantStats},
			{name: "server", summary: "the whole server's health over time (operators only)", help: statsHelp + `

Examples:
  hookline stats server --since 1h --bucket 5m`, define: serverStats},
		},
	}
}

// statsFlags are the window flags of the stats commands.
type statsFlags struct {
	since, bucket string
	empty, wide   *bool
}

func addStatsFlags(fs *flag.FlagSet) *statsFlags {
	f := &statsFlags{}
	fs.StringVar(&f.since, "since", "", "the window, from 1m to 30d: 90m, 24h, 7d (default 24h)")
	fs.StringVar(&f.bucket, "bucket", "", "the bucket size, from 1m to 1d (default: picked from --since)")
	f.empty = fs.Bool("empty", false, "show the buckets without any delivery or attempt too")
	f.wide = addWideFlag(fs)
	return f
}

// params reads the flags; the server checks the ranges and says which is
// wrong.
func (f *statsFlags) params() (client.StatsParams, error) {
	var p client.StatsParams
	var err error
	if p.Since, err = statsDuration("since", f.since); err != nil {
		return p, err
	}
	p.Bucket, err = statsDuration("bucket", f.bucket)
	return p, err
}

// statsDuration reads a duration as the API takes it: Go's form, or
// whole days ("7d").
func statsDuration(flagName, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(v, "d"); ok {
		if days, err := strconv.Atoi(n); err == nil && days > 0 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d, nil
	}
	return 0, &usageError{msg: fmt.Sprintf("--%s %q is not a duration: write 90m, 24h or 7d", flagName, v)}
}

func webhookStats(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	f := addStatsFlags(fs)
	return func(ctx context.Context, x *apiCall, args []string) error {
		p, err := f.params()
		if err != nil {
			return err
		}
		s, err := x.c.WebhookStats(ctx, args[0], p)
		if err != nil {
			return notFound(err, "webhook", args[0], webhookHint)
		}
		return f.print(x, s)
	}
}

func tenantStats(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	f := addStatsFlags(fs)
	return func(ctx context.Context, x *apiCall, args []string) error {
		p, err := f.params()
		if err != nil {
			return err
		}
		s, err := x.c.TenantStats(ctx, args[0], p)
		if err != nil {
			return notFound(err, "tenant", args[0], tenantHint)
		}
		return f.print(x, s)
	}
}

func serverStats(fs *flag.FlagSet) func(context.Context, *apiCall, []string) error {
	f := addStatsFlags(fs)
	return func(ctx context.Context, x *apiCall, _ []string) error {
		p, err := f.params()
		if err != nil {
			return err
		}
		s, err := x.c.ServerStats(ctx, p)
		if err != nil {
			return err
		}
		return f.print(x, s)
	}
}

// print writes s as JSON, or as a table of buckets and a summary.
func (f *statsFlags) print(x *apiCall, s *client.Stats) error {
	if x.json {
		return x.printJSON(s)
	}
	t := newTable(fixed("START (UTC)"), fixed("DELIVERED"), fixed("FAILED"), fixed("ATTEMPTS"), fixed("FAILED ATT."),
		fixed("RETRIED"), fixed("P50"), fixed("P95"))
	shown := 0
	for _, b := range s.Buckets {
		if !*f.empty && b.Delivered+b.Failed+b.Attempts == 0 {
			continue
		}
		shown++
		t.row(b.Start.UTC().Format("2006-01-02 15:04"), count(b.Delivered), count(b.Failed), count(b.Attempts),
			count(b.FailedAttempts), count(b.Retried), optMS(b.P50MS), optMS(b.P95MS))
	}
	if shown > 0 {
		if err := t.write(x.stdout, *f.wide); err != nil {
			return err
		}
		fmt.Fprintln(x.stdout)
	}
	w := x.stdout
	plural := "s"
	if len(s.Buckets) == 1 {
		plural = ""
	}
	fmt.Fprintf(w, "Window:       %s to %s UTC, %d bucket%s of %s", s.From.UTC().Format("2006-01-02 15:04"),
		s.To.UTC().Format("2006-01-02 15:04"), len(s.Buckets), plural, s.Bucket)
	if !*f.empty && shown < len(s.Buckets) {
		fmt.Fprintf(w, " (%d with activity shown; --empty for all)", shown)
	}
	fmt.Fprintln(w)
	tot := s.Totals
	rate := "- (no delivery ended in the window)"
	if s.SuccessRate != nil {
		rate = fmt.Sprintf("%s (%d delivered, %d failed)", percent(*s.SuccessRate), tot.Delivered, tot.Failed)
	}
	fmt.Fprintf(w, "Success rate: %s\n", rate)
	fmt.Fprintf(w, "Attempts:     %d (%d failed, %d retries)\n", tot.Attempts, tot.FailedAttempts, tot.Retried)
	fmt.Fprintf(w, "Latency:      p50 %s, p95 %s\n", optMS(tot.P50MS), optMS(tot.P95MS))
	return nil
}

func count(n int64) string { return strconv.FormatInt(n, 10) }

func optMS(ms *float64) string {
	if ms == nil {
		return "-"
	}
	return fmtMS(*ms)
}

// percent writes a rate with one decimal, never rounding a shortfall up
// to 100 %.
func percent(r float64) string {
	v := float64(int64(r*1000)) / 10
	return strconv.FormatFloat(v, 'f', 1, 64) + " %"
}
