// Package bench is `hookline bench`: it measures a whole Hookline end to end
// the way a user would, through the public API, with its own receiver on
// loopback. Every loop is bounded by a count and a time.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one benchmark run.
type Config struct {
	// Executable is the hookline binary to start for a local server.
	Executable string
	// ServerArgs are extra flags for the local server.
	ServerArgs []string
	// Server and APIKey target an existing server instead.
	Server string
	APIKey string
	// DatabaseURL runs the local server(s) on PostgreSQL: the bench makes
	// a fresh schema in that database and a shared secret key, and drops
	// the schema at the end.
	DatabaseURL string
	// Instances is how many local servers share the database (more than
	// one needs DatabaseURL); the publishers spread over them.
	Instances int
	// InstanceCPU, when positive, holds each local server to that many
	// CPUs through a cgroup (Linux, root), so that a scaling experiment
	// gives every instance the same share whatever else runs.
	InstanceCPU float64
	// ServerLog, when set, is a file the local servers' logs are
	// appended to (they are otherwise kept only for an error message).
	ServerLog string
	// Baseline measures the trivial Go HTTP pair on loopback first, for
	// BaselineDuration (default: the publishing duration, at most 10s).
	Baseline         bool
	BaselineDuration time.Duration

	Rate        float64 // events/s; 0 = as fast as accepted
	Events      int     // stop after this many events...
	Duration    time.Duration
	Concurrency int
	Webhooks    int // webhooks per event type (fan-out)
	// ExtraWebhooks are idle webhooks subscribed to other types, to
	// measure matching with many webhooks stored.
	ExtraWebhooks int
	SlowWebhooks  int
	SlowLatency   time.Duration
	PayloadSize   int
	Latency       time.Duration // receiver latency
	FailRate      float64
	FailStatus    int
	// FIFOKeys, when set, makes the healthy webhooks FIFO (ordering
	// "fifo", keyed by data.key) and spreads the events over that many
	// keys.
	FIFOKeys int
	// DrainTimeout bounds the wait for deliveries after publishing ends.
	DrainTimeout time.Duration
	EventType    string
	Progress     io.Writer // nil: no live line
	// Destination is the destination type of the Webhooks healthy
	// webhooks: "http" (the default, to the bench's receiver) or a broker
	// type, at DestinationURL (Kafka: Brokers), which the bench consumes
	// to time each arrival.
	Destination    string
	DestinationURL string
	Brokers        []string
}

// Defaults fills zero fields.
func (c *Config) Defaults() {
	if c.Concurrency <= 0 {
		c.Concurrency = 32
	}
	if c.Webhooks <= 0 {
		c.Webhooks = 1
	}
	if c.PayloadSize <= 0 {
		c.PayloadSize = 1024
	}
	if c.FailStatus == 0 {
		c.FailStatus = 500
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = 60 * time.Second
	}
	if c.EventType == "" {
		c.EventType = "payment_received"
	}
	if c.SlowLatency <= 0 {
		c.SlowLatency = 10 * time.Second
	}
	if c.Events <= 0 && c.Duration <= 0 {
		c.Events = 10000
	}
	if c.Duration <= 0 {
		c.Duration = 10 * time.Minute // a bound even when counting events
	}
	if c.Instances <= 0 {
		c.Instances = 1
	}
	if c.Destination == "" {
		c.Destination = "http"
	}
	if c.BaselineDuration <= 0 {
		c.BaselineDuration = min(c.Duration, 10*time.Second)
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	switch {
	case c.Rate < 0:
		return errors.New("--rate must be 0 (as fast as accepted) or positive")
	case c.FailRate < 0 || c.FailRate > 1:
		return errors.New("--fail-rate must be between 0 and 1")
	case c.Webhooks > 100000 || c.ExtraWebhooks > 1000000:
		return errors.New("--webhooks at most 100000, --extra-webhooks at most 1000000")
	case c.Server != "" && c.APIKey == "":
		return errors.New("--server needs --api-key")
	case c.Events > 100_000_000:
		return errors.New("--events at most 100000000")
	case c.Server != "" && (c.DatabaseURL != "" || c.Instances > 1):
		return errors.New("--database-url and --instances start local servers; they do not go with --server")
	case c.InstanceCPU < 0 || c.InstanceCPU > 64:
		return errors.New("--instance-cpu must be between 0 (no limit) and 64")
	case c.InstanceCPU > 0 && c.Server != "":
		return errors.New("--instance-cpu limits local servers; it does not go with --server")
	case c.InstanceCPU > 0 && runtime.GOOS != "linux":
		return errors.New("--instance-cpu needs Linux cgroups")
	case c.Instances > 16:
		return errors.New("--instances at most 16")
	case c.Instances > 1 && c.DatabaseURL == "" && !slices.Contains(c.ServerArgs, "--database-url"):
		return errors.New("--instances above 1 needs --database-url (instances share a PostgreSQL database)")
	case !slices.Contains(destinationTypes, c.Destination):
		return fmt.Errorf("--destination must be one of %q", destinationTypes)
	case c.Destination == "kafka" && len(c.Brokers) == 0:
		return errors.New("--destination kafka needs --brokers host:port,…")
	case c.Destination != "http" && c.Destination != "kafka" && c.DestinationURL == "":
		return fmt.Errorf("--destination %s needs --destination-url", c.Destination)
	}
	return nil
}

// Run executes a benchmark and returns its report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var wire float64
	if cfg.Baseline {
		// First, while nothing else of the run is up.
		var err error
		if wire, err = runBaseline(ctx, cfg); err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		progressf(cfg.Progress, "baseline: trivial Go HTTP pair on loopback %.0f POST/s\n", wire)
	}
	rc, err := startReceiver(receiverConfig{
		Latency: cfg.Latency, SlowLatency: cfg.SlowLatency, FailRate: cfg.FailRate, FailStatus: cfg.FailStatus,
	})
	if err != nil {
		return nil, err
	}
	defer rc.close()

	var pg *pgBench
	var locals []*localServer
	apis := []*client{{base: cfg.Server, key: cfg.APIKey}}
	if cfg.Server == "" {
		args := cfg.ServerArgs
		if cfg.DatabaseURL != "" {
			if pg, err = preparePostgres(ctx, cfg.DatabaseURL); err != nil {
				return nil, err
			}
			defer pg.close() // after the servers have stopped (defers run last first)
			args = append(pg.serverArgs(), args...)
		}
		if locals, err = startLocals(cfg.Executable, args, cfg.Instances, cfg.InstanceCPU, cfg.ServerLog); err != nil {
			return nil, err
		}
		defer stopAll(locals)
		apis = apis[:0]
		for _, l := range locals {
			apis = append(apis, &client{base: l.url, key: l.key})
		}
	}
	hc := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency + 8, MaxIdleConns: cfg.Concurrency + 8},
	}
	for _, a := range apis {
		a.base, a.http = strings.TrimRight(a.base, "/"), hc
	}
	var dest map[string]any
	if cfg.Destination != "http" {
		sink, err := startBrokerSink(ctx, cfg, rc)
		if err != nil {
			return nil, fmt.Errorf("%s destination: %w", cfg.Destination, err)
		}
		defer sink.close()
		dest = sink.dest
	}
	if err := setup(ctx, apis[0], cfg, rc.URL(), dest); err != nil {
		return nil, err
	}
	cpu0 := serversCPU(locals)
	trips0 := roundTrips(ctx, apis)
	var pg0 pgSnapshot
	var backend0 map[int]time.Duration
	stopSampling := make(chan struct{})
	sampled := make(chan backendSamples, 1)
	if pg != nil {
		if pg0, err = pg.snapshot(ctx); err != nil {
			return nil, err
		}
		backend0, _ = pg.backendCPU(ctx)
		go func() { sampled <- pg.sampleBackends(ctx, backend0, time.Second, stopSampling) }()
	}

	res := publish(ctx, apis, cfg, rc)
	expected := int64(len(res.ids)) * int64(cfg.Webhooks)
	drainStart := time.Now()
	// The cheap count first; it also counts deliveries of events whose
	// publish was cut off at the end (stored, but never acknowledged), so
	// the exact count of the accepted events' deliveries decides.
	done := func() bool {
		return rc.count.Load()-rc.failed.Load() >= expected && rc.delivered(res.ids) >= expected
	}
	for !done() && time.Since(drainStart) < cfg.DrainTimeout && ctx.Err() == nil {
		progress(cfg.Progress, res.start, res.accepted.Load(), rc)
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	end := time.Now()
	if cfg.Progress != nil {
		fmt.Fprintln(cfg.Progress)
	}
	rep := buildReport(cfg, res, rc.snapshot(), end)
	rep.Instances = len(apis)
	rep.Backend = "sqlite"
	switch {
	case cfg.Server != "":
		rep.Backend = "unknown (--server)"
	case pg != nil || slices.Contains(cfg.ServerArgs, "--database-url"):
		rep.Backend = "postgres"
	}
	if wire > 0 {
		rep.BaselinePostsPerSec = wire
		rep.EventsPerWire = rep.EventsPerSecond / wire
		rep.DeliveriesPerWire = rep.DeliveriesPerSec / wire
	}
	if len(locals) > 0 {
		cpu1 := serversCPU(locals)
		trips := roundTrips(ctx, apis) - trips0
		var samples backendSamples
		if pg != nil {
			close(stopSampling)
			samples = <-sampled
		}
		rep.InstanceCPUQuota = cfg.InstanceCPU
		for _, l := range locals {
			if l.cpu != nil {
				_, _, secs := l.cpu.throttled()
				rep.InstanceThrottledSeconds = append(rep.InstanceThrottledSeconds, secs)
			}
		}
		for i, l := range locals {
			_, rss, ok := l.usage()
			if ok && cpu1[i] > 0 {
				rep.InstanceCPUSeconds = append(rep.InstanceCPUSeconds, (cpu1[i] - cpu0[i]).Seconds())
				rep.ServerCPUSeconds += (cpu1[i] - cpu0[i]).Seconds()
				rep.ServerPeakRSSMB = max(rep.ServerPeakRSSMB, float64(rss)/(1<<20))
			}
		}
		rep.perThousand()
		if pg != nil {
			// Stopped first: a backend reports its last statistics when it
			// goes idle or ends, so the counters are complete afterwards.
			stopAll(locals)
			pg1, err := pg.snapshot(ctx)
			if err != nil {
				return nil, err
			}
			rep.Postgres = pgFigures(pg0, pg1, cpuDelta(backend0, samples.cpu), rep.Events, rep.Deliveries)
			rep.Postgres.Active = waitShares(samples, 6)
			rep.Postgres.RoundTrips = trips
			if rep.Events > 0 {
				rep.Postgres.RoundTripsPerEvent = float64(trips) / float64(rep.Events)
			}
		}
	}
	return rep, nil
}

// serversCPU reads each local server's CPU time (zero where unknown).
func serversCPU(locals []*localServer) []time.Duration {
	out := make([]time.Duration, len(locals))
	for i, l := range locals {
		out[i], _, _ = l.usage()
	}
	return out
}

// client calls the API.
type client struct {
	base, key string
	http      *http.Client
}

func (c *client) post(ctx context.Context, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, out, err
}

// setup creates the webhooks: Webhooks healthy ones (to dest when it is
// a broker destination) and SlowWebhooks slow ones on the bench event
// type, and ExtraWebhooks on other types.
func setup(ctx context.Context, api *client, cfg Config, recv string, dest map[string]any) error {
	create := func(name, url string, events []string, fifo bool) error {
		w := map[string]any{"name": name, "url": url, "events": events}
		if dest != nil && strings.HasPrefix(name, "bench ") {
			w = map[string]any{"name": name, "destination": dest, "events": events}
		}
		if fifo {
			w["ordering"], w["ordering_key"] = "fifo", "data.key"
		}
		body, _ := json.Marshal(w)
		status, out, err := api.post(ctx, "/api/v1/webhooks", body)
		if err != nil {
			return err
		}
		if status != http.StatusCreated {
			return fmt.Errorf("creating webhook: status %d: %s", status, out)
		}
		return nil
	}
	jobs := make(chan func() error)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				if err := job(); err != nil {
					select {
					case errc <- err:
					default:
					}
				}
			}
		}()
	}
	others := []string{"site_published", "domain_created", "customer_created", "membership_created"}
	func() {
		defer close(jobs)
		for i := range cfg.Webhooks + cfg.SlowWebhooks + cfg.ExtraWebhooks {
			var job func() error
			switch {
			case i < cfg.Webhooks:
				job = func() error {
					return create(fmt.Sprintf("bench %d", i), recv+fmt.Sprintf("/ok/%d", i), []string{cfg.EventType}, cfg.FIFOKeys > 0)
				}
			case i < cfg.Webhooks+cfg.SlowWebhooks:
				job = func() error {
					return create(fmt.Sprintf("slow %d", i), recv+fmt.Sprintf("/slow/%d", i), []string{cfg.EventType}, false)
				}
			default:
				ev := others[i%len(others)]
				job = func() error {
					return create(fmt.Sprintf("idle %d", i), recv+fmt.Sprintf("/idle/%d", i), []string{ev}, false)
				}
			}
			select {
			case jobs <- job:
			case err := <-errc:
				errc <- err
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return ctx.Err()
	}
}

type published struct {
	start    time.Time
	end      time.Time
	mu       sync.Mutex
	ids      map[string]time.Time // event id → publish start
	ingest   []time.Duration
	errs     map[string]int
	accepted atomic.Int64
}

// publish runs cfg.Concurrency publishers, spread over apis (one per
// instance) in turn.
func publish(ctx context.Context, apis []*client, cfg Config, rc *receiver) *published {
	res := &published{ids: make(map[string]time.Time, max(cfg.Events, 1024)), errs: map[string]int{}}
	pad := strings.Repeat("x", max(cfg.PayloadSize-40, 0))
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var seq atomic.Int64
	res.start = time.Now()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				progress(cfg.Progress, res.start, res.accepted.Load(), rc)
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range cfg.Concurrency {
		api := apis[w%len(apis)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := seq.Add(1)
				if cfg.Events > 0 && n > int64(cfg.Events) {
					return
				}
				if cfg.Rate > 0 {
					// Open-loop pacing: event n is due at start + n/rate,
					// whatever happened to the ones before it.
					due := res.start.Add(time.Duration(float64(n-1) / cfg.Rate * float64(time.Second)))
					if d := time.Until(due); d > 0 {
						select {
						case <-time.After(d):
						case <-ctx.Done():
							return
						}
					}
				}
				if ctx.Err() != nil {
					return
				}
				body := fmt.Appendf(nil, `{"type":%q,"data":{"seq":%d,"pad":%q}}`, cfg.EventType, n, pad)
				if cfg.FIFOKeys > 0 {
					body = fmt.Appendf(nil, `{"type":%q,"data":{"seq":%d,"key":"k%d","pad":%q}}`, cfg.EventType, n, n%int64(cfg.FIFOKeys), pad)
				}
				t0 := time.Now()
				status, out, err := api.post(ctx, "/api/v1/events", body)
				d := time.Since(t0)
				res.mu.Lock()
				switch {
				case err != nil:
					if ctx.Err() == nil {
						res.errs["transport"]++
					}
				case status != http.StatusAccepted:
					res.errs[fmt.Sprintf("http_%d", status)]++
				default:
					var r struct{ ID string }
					if json.Unmarshal(out, &r) == nil {
						res.ids[r.ID] = t0
						res.ingest = append(res.ingest, d)
						res.accepted.Add(1)
					}
				}
				res.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(done)
	res.end = time.Now()
	return res
}

func progress(w io.Writer, start time.Time, accepted int64, rc *receiver) {
	if w == nil {
		return
	}
	el := time.Since(start).Seconds()
	var got int64
	if rc != nil {
		got = rc.count.Load()
	}
	fmt.Fprintf(w, "\r%6.1fs  accepted %9d (%8.0f/s)  delivered %9d (%8.0f/s)   ", el, accepted,
		float64(accepted)/el, got, float64(got)/el)
}
