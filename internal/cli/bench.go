package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hookline/hookline/internal/bench"
)

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stdout, `bench [flags]

Measures Hookline end to end: starts a receiver on loopback and (unless
--server is given) a hookline server on a temporary data directory, creates
webhooks through the API, publishes events and reports throughput and
latency percentiles.

Examples:
  hookline bench --events 50000 --rate 0
  hookline bench --duration 60s --rate 1000 --concurrency 16
  hookline bench --events 1 --webhooks 10000
  hookline bench --database-url postgres://localhost/hookline --instances 3 --webhooks 6 --duration 20s
  hookline bench --database-url postgres://localhost/hookline --instances 2 --instance-cpu 0.3 --duration 30s
  hookline bench --baseline --duration 20s --rate 0
  hookline bench --server http://127.0.0.1:8080 --api-key hkl_... --events 10000
  hookline bench --destination rabbitmq --destination-url amqp://guest:guest@127.0.0.1:5672/ --duration 20s
  hookline bench --destination kafka --brokers 127.0.0.1:9092 --duration 20s

With --destination a broker type, the webhooks publish to that broker (a
queue, stream or topic of the bench's own, removed at the end) and the
bench consumes from it, timing each message as its HTTP receiver would.

With --database-url the local servers run on PostgreSQL: the bench makes a
fresh schema in that database (dropped at the end) and a shared secret key,
and reports the database's commits and rows written per event and, when
PostgreSQL runs on this machine, its backends' CPU time.`)
	var c bench.Config
	fs.StringVar(&c.Server, "server", "", "drive this existing server instead of starting one")
	fs.StringVar(&c.APIKey, "api-key", "", "admin API key for --server (env HOOKLINE_API_KEY)")
	fs.Float64Var(&c.Rate, "rate", 0, "events per second to publish; 0 = as fast as accepted")
	fs.IntVar(&c.Events, "events", 0, "events to publish (default 10000 when --duration is not set)")
	fs.DurationVar(&c.Duration, "duration", 0, "publish for this long (also bounds --events runs; default 10m)")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "run the local server(s) on this PostgreSQL database, in a fresh schema")
	fs.IntVar(&c.Instances, "instances", 1, "local servers sharing the --database-url database; publishers spread over them")
	fs.Float64Var(&c.InstanceCPU, "instance-cpu", 0, "hold each local server to this many CPUs through a cgroup (Linux, needs root; the cgroup also gets a high CPU weight so that other work does not take its share), e.g. 0.3 for a scaling experiment; 0 = no limit")
	fs.BoolVar(&c.Baseline, "baseline", false, "first measure a trivial Go HTTP POST pair on loopback and report the run's share of it")
	fs.IntVar(&c.Concurrency, "concurrency", 32, "concurrent publishers")
	fs.IntVar(&c.Webhooks, "webhooks", 1, "webhooks subscribed to the bench event type (fan-out)")
	fs.IntVar(&c.ExtraWebhooks, "extra-webhooks", 0, "idle webhooks on other event types (matching with many webhooks stored)")
	fs.IntVar(&c.SlowWebhooks, "slow-webhooks", 0, "webhooks whose endpoint answers after --slow-latency")
	fs.DurationVar(&c.SlowLatency, "slow-latency", 0, "answer time of slow webhooks (default 10s)")
	fs.IntVar(&c.PayloadSize, "payload-size", 1024, "approximate event data size in bytes")
	fs.DurationVar(&c.Latency, "receiver-latency", 0, "answer time of the healthy receiver")
	fs.Float64Var(&c.FailRate, "fail-rate", 0, "share of receiver answers that fail (0-1)")
	fs.IntVar(&c.FailStatus, "fail-status", 500, "status code of failing answers")
	fs.IntVar(&c.FIFOKeys, "fifo-keys", 0, "make the healthy webhooks FIFO (ordering_key data.key) over this many keys")
	fs.DurationVar(&c.DrainTimeout, "drain-timeout", 0, "how long to wait for deliveries after publishing (default 60s)")
	fs.StringVar(&c.Destination, "destination", "http", "destination type of the webhooks: http (to the bench's receiver), rabbitmq, nats, redis, mqtt or kafka (the bench consumes from the broker to time each arrival)")
	fs.StringVar(&c.DestinationURL, "destination-url", "", "the broker's URL for --destination rabbitmq, nats, redis or mqtt (e.g. amqp://guest:guest@127.0.0.1:5672/)")
	brokers := fs.String("brokers", "", "Kafka brokers for --destination kafka, host:port,host:port")
	serverArgs := fs.String("server-args", "", "extra flags for the local server, space-separated (e.g. \"--workers 512\")")
	fs.StringVar(&c.ServerLog, "server-log", "", "append the local servers' logs to this file")
	pprof := fs.String("pprof", "", "expose the local server's pprof on this address (e.g. 127.0.0.1:6060)")
	backlog := fs.Bool("backlog", false, "measure recovery: publish --events with the receiver down, then bring it up and measure the drain while new events arrive at --rate (default 1000/s) for at most --duration")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if c.Server != "" && c.APIKey == "" {
		c.APIKey = os.Getenv("HOOKLINE_API_KEY")
	}
	if *brokers != "" {
		c.Brokers = strings.Split(*brokers, ",")
	}
	if *serverArgs != "" {
		c.ServerArgs = strings.Fields(*serverArgs)
	}
	if *pprof != "" {
		c.ServerArgs = append(c.ServerArgs, "--pprof", *pprof)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	c.Executable = exe
	if !*asJSON {
		c.Progress = stderr
	}
	var rep interface{ WriteText(io.Writer) }
	if *backlog {
		rep, err = bench.RunBacklog(ctx, c)
	} else {
		rep, err = bench.Run(ctx, c)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.WriteText(stdout)
	if !*backlog {
		fmt.Fprintln(stdout)
	}
	return nil
}
