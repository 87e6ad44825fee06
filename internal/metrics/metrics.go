// Package metrics defines Hookline's Prometheus metrics. One Metrics value
// is made per server (no globals), so tests and several servers in one
// process do not collide.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// Metrics holds the collectors.
type Metrics struct {
	reg        *prometheus.Registry
	events     *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	attempts   *prometheus.CounterVec
	latency    prometheus.Histogram
	created    prometheus.Counter
	dispatch   dispatchMetrics
}

// Sources are read at scrape time.
type Sources struct {
	// Queued is the number of deliveries waiting in this process's memory.
	Queued func() int
	// Counts returns deliveries by state from the database.
	Counts func(ctx context.Context) (map[webhook.DeliveryStatus]int64, error)
	// RoundTrips, when set, counts this process's round trips to
	// PostgreSQL.
	RoundTrips func() int64
	// SandboxStarted and SandboxStopped, when set, count the transform
	// sandbox's worker processes started, and killed or dead (a memory
	// bound passed, a run past its time).
	SandboxStarted, SandboxStopped func() int64
}

// New registers the collectors.
func New(src Sources) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookline_events_published_total",
		Help: "Events accepted by the API (duplicate=true for idempotent repeats).",
	}, []string{"duplicate"})
	m.created = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hookline_deliveries_created_total",
		Help: "Deliveries created by published events.",
	})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookline_delivery_outcomes_total",
		Help: "Attempt outcomes for deliveries: succeeded, retry (scheduled again) or failed (final).",
	}, []string{"outcome"})
	m.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookline_attempts_total",
		Help: "HTTP attempts by error class (\"none\" for a 2xx answer).",
	}, []string{"class"})
	m.latency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "hookline_attempt_duration_seconds",
		Help:    "Duration of delivery attempts, from request start to the last body byte read.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15, 30},
	})
	m.dispatch = newDispatchMetrics()
	m.reg.MustRegister(m.dispatch.collectors()...)
	m.reg.MustRegister(m.events, m.created, m.deliveries, m.attempts, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if src.Queued != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookline_queue_memory",
			Help: "Deliveries waiting in this process's memory for a free worker.",
		}, func() float64 { return float64(src.Queued()) }))
	}
	if src.RoundTrips != nil {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "hookline_postgres_round_trips_total",
			Help: "Round trips this process made to PostgreSQL (exchanges of its connection pool, however many statements each pipelined).",
		}, func() float64 { return float64(src.RoundTrips()) }))
	}
	if src.SandboxStarted != nil && src.SandboxStopped != nil {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "hookline_transform_workers_started_total",
			Help: "Transform sandbox worker processes started.",
		}, func() float64 { return float64(src.SandboxStarted()) }))
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "hookline_transform_workers_stopped_total",
			Help: "Transform sandbox worker processes killed or dead: a script past its memory bound, or a run past its time.",
		}, func() float64 { return float64(src.SandboxStopped()) }))
	}
	if src.Counts != nil {
		m.reg.MustRegister(&countsCollector{counts: src.Counts, desc: prometheus.NewDesc(
			"hookline_deliveries", "Deliveries stored, by status (pending is the queue depth).",
			[]string{"status"}, nil)})
	}
	return m
}

// Published records an accepted event.
func (m *Metrics) Published(deliveries int, duplicate bool) {
	if duplicate {
		m.events.WithLabelValues("true").Inc()
		return
	}
	m.events.WithLabelValues("false").Inc()
	m.created.Add(float64(deliveries))
}

// Attempt records an attempt and its outcome.
func (m *Metrics) Attempt(a *webhook.Attempt, outcome store.Outcome) {
	class := string(a.ErrorClass)
	if class == "" {
		class = "none"
	}
	m.attempts.WithLabelValues(class).Inc()
	m.latency.Observe(a.DurationMS / 1000)
	switch outcome {
	case store.OutcomeSucceeded:
		m.deliveries.WithLabelValues("succeeded").Inc()
	case store.OutcomeRetry:
		m.deliveries.WithLabelValues("retry").Inc()
	case store.OutcomeFailed:
		m.deliveries.WithLabelValues("failed").Inc()
	}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

type countsCollector struct {
	counts func(ctx context.Context) (map[webhook.DeliveryStatus]int64, error)
	desc   *prometheus.Desc
}

func (c *countsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *countsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.counts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, s := range []webhook.DeliveryStatus{webhook.DeliveryPending, webhook.DeliverySucceeded, webhook.DeliveryFailed} {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
}
