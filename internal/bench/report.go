package bench

import (
	"fmt"
	"io"
	"sort"
	"time"
)

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
	// Backend is "sqlite" or "postgres" for local servers.
	Backend   string `json:"backend"`
	Instances int    `json:"instances"`
	// ServerCPUSeconds is the CPU time of all local servers over the
	// publishing and drain window (from /proc), InstanceCPUSeconds each's.
	ServerCPUSeconds   float64   `json:"server_cpu_seconds,omitempty"`
	InstanceCPUSeconds []float64 `json:"instance_cpu_seconds,omitempty"`
	ServerPeakRSSMB    float64   `json:"server_peak_rss_mb,omitempty"`
	// InstanceCPUQuota is the CPUs each local server was held to
	// (--instance-cpu), and InstanceThrottledSeconds how long each one's
	// threads waited for that quota in all: time throttled means the
	// instance used its whole share.
	InstanceCPUQuota         float64   `json:"instance_cpu_quota,omitempty"`
	InstanceThrottledSeconds []float64 `json:"instance_throttled_seconds,omitempty"`
	// CPU-seconds per 1,000 events and per 1,000 deliveries: the cost
	// model's server terms.
	ServerCPUPer1kEvents     float64 `json:"server_cpu_seconds_per_1000_events,omitempty"`
	ServerCPUPer1kDeliveries float64 `json:"server_cpu_seconds_per_1000_deliveries,omitempty"`
	// Postgres is the database's side (runs with --database-url).
	Postgres *PostgresFigures `json:"postgres,omitempty"`
	// BaselinePostsPerSec is the trivial Go HTTP pair's POST/s measured
	// first (--baseline); the ratios are this run's rates over it.
	BaselinePostsPerSec float64        `json:"baseline_posts_per_second,omitempty"`
	EventsPerWire       float64        `json:"events_per_baseline,omitempty"`
	DeliveriesPerWire   float64        `json:"deliveries_per_baseline,omitempty"`
	Config              map[string]any `json:"config"`
	FailedAnswers       int64          `json:"receiver_failed_answers"`
	SlowDeliveries      int64          `json:"slow_deliveries"`
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
		"payload_size": cfg.PayloadSize, "fifo_keys": cfg.FIFOKeys, "receiver_latency": cfg.Latency.String(), "fail_rate": cfg.FailRate,
		"server": cfg.Server, "instances": cfg.Instances, "instance_cpu": cfg.InstanceCPU, "baseline": cfg.Baseline, "destination": cfg.Destination,
	}
	_ = end
	return rep
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "events accepted     %d in %.2fs: %.0f events/s\n", r.Events, r.PublishSeconds, r.EventsPerSecond)
	fmt.Fprintf(w, "deliveries received %d (%d missing, %d duplicates): %.0f deliveries/s\n",
		r.Deliveries, r.DeliveriesMissing, r.Duplicates, r.DeliveriesPerSec)
	if d, _ := r.Config["destination"].(string); d != "" && d != "http" {
		fmt.Fprintf(w, "destination         %s (received = consumed from the broker)\n", d)
	}
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
		fmt.Fprintf(w, "server              %s, %d instance(s): %.1f CPU-seconds, peak RSS %.0f MB\n",
			r.Backend, r.Instances, r.ServerCPUSeconds, r.ServerPeakRSSMB)
		fmt.Fprintf(w, "server CPU          %.3f s per 1,000 events, %.3f s per 1,000 deliveries\n",
			r.ServerCPUPer1kEvents, r.ServerCPUPer1kDeliveries)
		if len(r.InstanceCPUSeconds) > 1 {
			fmt.Fprintf(w, "per instance        CPU-seconds %.1f\n", r.InstanceCPUSeconds)
		}
		if r.InstanceCPUQuota > 0 {
			fmt.Fprintf(w, "cpu quota           %.2f CPU per instance; throttled %.1f s\n", r.InstanceCPUQuota, r.InstanceThrottledSeconds)
		}
	}
	if p := r.Postgres; p != nil {
		fmt.Fprintf(w, "postgres            %d commits (%.2f per event, %.2f per delivery), %d rollbacks, %.1f rows written per event\n",
			p.Commits, p.CommitsPerEvent, p.CommitsPerDelivery, p.Rollbacks, p.RowsWrittenPerEvt)
		fmt.Fprintf(w, "postgres CPU        %.1f backend CPU-seconds, %.3f s per 1,000 events\n",
			p.BackendCPUSeconds, p.BackendCPUPer1k)
		fmt.Fprintf(w, "postgres trips      %d round trips, %.2f per event\n", p.RoundTrips, p.RoundTripsPerEvent)
		if len(p.Active) > 0 {
			fmt.Fprintf(w, "postgres active     backends on average:")
			for _, a := range p.Active {
				fmt.Fprintf(w, " %s %.2f", a.State, a.Backends)
			}
			fmt.Fprintln(w)
		}
	}
	if r.BaselinePostsPerSec > 0 {
		fmt.Fprintf(w, "baseline            trivial Go HTTP pair %.0f POST/s; events/s %.3f of it, deliveries/s %.3f\n",
			r.BaselinePostsPerSec, r.EventsPerWire, r.DeliveriesPerWire)
	}
}

// perThousand fills the per-1,000 CPU figures.
func (r *Report) perThousand() {
	if r.Events > 0 {
		r.ServerCPUPer1kEvents = r.ServerCPUSeconds / float64(r.Events) * 1000
	}
	if r.Deliveries > 0 {
		r.ServerCPUPer1kDeliveries = r.ServerCPUSeconds / float64(r.Deliveries) * 1000
	}
}
