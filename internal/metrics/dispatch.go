package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// dispatchMetrics say where new deliveries go and where they wait between
// publishing and their first attempt: handed to the dispatcher by ingest
// or left in the database for a claim, and how long they then wait in
// memory for a worker (issue 16: fresh events first during a drain).
type dispatchMetrics struct {
	handoff   *prometheus.CounterVec
	laneFull  prometheus.Counter
	claims    *prometheus.CounterVec
	claimed   prometheus.Counter
	queueWait *prometheus.HistogramVec
	firstWait *prometheus.HistogramVec
	// waits are the histograms Started observes, looked up once:
	// [0] claimed, [1] handed; queue wait, then first attempt.
	waits [2][2]prometheus.Observer
}

// waitBuckets span a fresh delivery's wait (a millisecond) to a backlog's
// (minutes).
var waitBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}

func newDispatchMetrics() dispatchMetrics {
	d := dispatchMetrics{
		handoff: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookline_dispatch_handoff_total",
			Help: "Published events by what the dispatcher took of their deliveries: leased (handed over at once) or the reason they were left in the database for a claim (queue_full, stopped).",
		}, []string{"result"}),
		laneFull: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookline_dispatch_lane_full_total",
			Help: "Deliveries ingest left in the database for a claim because their webhook's lane in memory was full.",
		}),
		claims: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookline_dispatch_claims_total",
			Help: "Claims of due deliveries by result: claimed (some), empty (none due), no_room (not made: the queue in memory had no room).",
		}, []string{"result"}),
		claimed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookline_dispatch_claimed_total",
			Help: "Deliveries leased by claims.",
		}),
		queueWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookline_dispatch_queue_wait_seconds",
			Help:    "Time deliveries waited in memory for a worker, by source: handed (by ingest) or claimed.",
			Buckets: waitBuckets,
		}, []string{"source"}),
		firstWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookline_dispatch_first_attempt_wait_seconds",
			Help:    "Time from publishing an event to the start of a delivery's first attempt, by source: handed (by ingest) or claimed.",
			Buckets: waitBuckets,
		}, []string{"source"}),
	}
	for i, source := range []string{"claimed", "handed"} {
		d.waits[i] = [2]prometheus.Observer{d.queueWait.WithLabelValues(source), d.firstWait.WithLabelValues(source)}
	}
	return d
}

func (d *dispatchMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{d.handoff, d.laneFull, d.claims, d.claimed, d.queueWait, d.firstWait}
}

// Handoff records what the dispatcher took of a published event's
// deliveries.
func (m *Metrics) Handoff(result string) { m.dispatch.handoff.WithLabelValues(result).Inc() }

// LaneFull records deliveries left in the database because their lanes
// were full.
func (m *Metrics) LaneFull(n int) { m.dispatch.laneFull.Add(float64(n)) }

// Claim records a claim: how many it leased, or that there was no room
// for one.
func (m *Metrics) Claim(claimed int, noRoom bool) {
	switch {
	case noRoom:
		m.dispatch.claims.WithLabelValues("no_room").Inc()
	case claimed == 0:
		m.dispatch.claims.WithLabelValues("empty").Inc()
	default:
		m.dispatch.claims.WithLabelValues("claimed").Inc()
		m.dispatch.claimed.Add(float64(claimed))
	}
}

// Started records a delivery taken by a worker: how long it waited in
// memory and, for a first attempt (sincePublished > 0), since its event
// was published.
func (m *Metrics) Started(handed bool, queued, sincePublished time.Duration) {
	w := m.dispatch.waits[0]
	if handed {
		w = m.dispatch.waits[1]
	}
	w[0].Observe(queued.Seconds())
	if sincePublished > 0 {
		w[1].Observe(sincePublished.Seconds())
	}
}
