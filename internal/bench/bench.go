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
	"sort"
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
	// DrainTimeout bounds the wait for deliveries after publishing ends.
	DrainTimeout time.Duration
	EventType    string
	Progress     io.Writer // nil: no live line
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
	}
	return nil
}

// Run executes a benchmark and returns its report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rc, err := startReceiver(receiverConfig{
		Latency: cfg.Latency, SlowLatency: cfg.SlowLatency, FailRate: cfg.FailRate, FailStatus: cfg.FailStatus,
	})
	if err != nil {
		return nil, err
	}
	defer rc.close()

	var local *localServer
	base, key := cfg.Server, cfg.APIKey
	if base == "" {
		local, err = startLocal(cfg.Executable, cfg.ServerArgs)
		if err != nil {
			return nil, err
		}
		defer local.stop()
		base, key = local.url, local.key
	}
	api := &client{base: strings.TrimRight(base, "/"), key: key, http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency + 8, MaxIdleConns: cfg.Concurrency + 8},
	}}
	if err := setup(ctx, api, cfg, rc.URL()); err != nil {
		return nil, err
	}
	var cpu0 time.Duration
	if local != nil {
		cpu0, _, _ = local.usage()
	}

	res := publish(ctx, api, cfg, rc)
	expected := int64(len(res.ids)) * int64(cfg.Webhooks)
	drainStart := time.Now()
	for rc.count.Load()-rc.failed.Load() < expected && time.Since(drainStart) < cfg.DrainTimeout && ctx.Err() == nil {
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
	if local != nil {
		cpu, rss, ok := local.usage()
		if ok {
			rep.ServerCPUSeconds = (cpu - cpu0).Seconds()
			rep.ServerPeakRSSMB = float64(rss) / (1 << 20)
		}
	}
	return rep, nil
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

// setup creates the webhooks: Webhooks healthy ones and SlowWebhooks slow
// ones on the bench event type, and ExtraWebhooks on other types.
func setup(ctx context.Context, api *client, cfg Config, recv string) error {
	create := func(name, url string, events []string) error {
		body, _ := json.Marshal(map[string]any{"name": name, "url": url, "events": events})
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
					return create(fmt.Sprintf("bench %d", i), recv+fmt.Sprintf("/ok/%d", i), []string{cfg.EventType})
				}
			case i < cfg.Webhooks+cfg.SlowWebhooks:
				job = func() error {
					return create(fmt.Sprintf("slow %d", i), recv+fmt.Sprintf("/slow/%d", i), []string{cfg.EventType})
				}
			default:
				ev := others[i%len(others)]
				job = func() error { return create(fmt.Sprintf("idle %d", i), recv+fmt.Sprintf("/idle/%d", i), []string{ev}) }
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

func publish(ctx context.Context, api *client, cfg Config, rc *receiver) *published {
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
	for range cfg.Concurrency {
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

// Report is the result of a run.
type Report struct {
	Events            int64          `json:"events_accepted"`
	Errors            map[string]int `json:"errors"`
	PublishSeconds    float64        `json:"publish_seconds"`
	EventsPerSecond   float64        `json:"events_per_second"`
	Deliveries        int64          `json:"deliveries"`
	DeliveriesMissing int64          `json:"deliveries_missing"`
	DeliveriesPerSec  float64        `json:"deliveries_per_second"`
	Duplicates        int64          `json:"duplicates"`
	IngestMS          Percentiles    `json:"ingest_latency_ms"`
	ReceiptMS         Percentiles    `json:"ingest_to_receipt_latency_ms"`
	ServerCPUSeconds  float64        `json:"server_cpu_seconds,omitempty"`
	ServerPeakRSSMB   float64        `json:"server_peak_rss_mb,omitempty"`
	Config            map[string]any `json:"config"`
	FailedAnswers     int64          `json:"receiver_failed_answers"`
	SlowDeliveries    int64          `json:"slow_deliveries"`
}

// Percentiles of a latency distribution, in milliseconds.
type Percentiles struct {
	P50, P90, P99, Max float64
	N                  int `json:"n"`
}

func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(q float64) float64 {
		i := int(q * float64(len(ds)-1))
		return float64(ds[i].Microseconds()) / 1000
	}
	return Percentiles{P50: at(.5), P90: at(.9), P99: at(.99), Max: at(1), N: len(ds)}
}

func buildReport(cfg Config, res *published, arrivals []arrival, end time.Time) *Report {
	rep := &Report{Errors: res.errs, Events: res.accepted.Load()}
	rep.PublishSeconds = res.end.Sub(res.start).Seconds()
	if rep.PublishSeconds > 0 {
		rep.EventsPerSecond = float64(rep.Events) / rep.PublishSeconds
	}
	seen := make(map[string]int, len(res.ids))
	var receipt []time.Duration
	var last time.Time
	for _, a := range arrivals {
		if a.slow {
			rep.SlowDeliveries++
			continue
		}
		t0, ok := res.ids[a.id]
		if !ok {
			continue // a webhook test or an event of a failed publish
		}
		seen[a.id]++
		if seen[a.id] > cfg.Webhooks {
			rep.Duplicates++
			continue
		}
		rep.Deliveries++
		receipt = append(receipt, a.at.Sub(t0))
		if a.at.After(last) {
			last = a.at
		}
	}
	rep.DeliveriesMissing = int64(len(res.ids))*int64(cfg.Webhooks) - rep.Deliveries
	if span := last.Sub(res.start).Seconds(); span > 0 {
		rep.DeliveriesPerSec = float64(rep.Deliveries) / span
	}
	rep.IngestMS = percentiles(res.ingest)
	rep.ReceiptMS = percentiles(receipt)
	rep.Config = map[string]any{
		"rate": cfg.Rate, "events": cfg.Events, "duration": cfg.Duration.String(), "concurrency": cfg.Concurrency,
		"webhooks": cfg.Webhooks, "extra_webhooks": cfg.ExtraWebhooks, "slow_webhooks": cfg.SlowWebhooks,
		"payload_size": cfg.PayloadSize, "receiver_latency": cfg.Latency.String(), "fail_rate": cfg.FailRate,
		"server": cfg.Server,
	}
	_ = end
	return rep
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "events accepted     %d in %.2fs: %.0f events/s\n", r.Events, r.PublishSeconds, r.EventsPerSecond)
	fmt.Fprintf(w, "deliveries received %d (%d missing, %d duplicates): %.0f deliveries/s\n",
		r.Deliveries, r.DeliveriesMissing, r.Duplicates, r.DeliveriesPerSec)
	pr := func(name string, p Percentiles) {
		fmt.Fprintf(w, "%-19s p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms  (n=%d)\n", name, p.P50, p.P90, p.P99, p.Max, p.N)
	}
	pr("ingest (202)", r.IngestMS)
	pr("ingest→receipt", r.ReceiptMS)
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "publish errors      %v\n", r.Errors)
	}
	if r.FailedAnswers > 0 || r.SlowDeliveries > 0 {
		fmt.Fprintf(w, "receiver            %d failed answers, %d slow deliveries\n", r.FailedAnswers, r.SlowDeliveries)
	}
	if r.ServerCPUSeconds > 0 {
		fmt.Fprintf(w, "server              %.1f CPU-seconds, peak RSS %.0f MB\n", r.ServerCPUSeconds, r.ServerPeakRSSMB)
	}
}
