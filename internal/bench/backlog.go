package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// BacklogReport is the result of RunBacklog.
type BacklogReport struct {
	Backlog             int64       `json:"backlog_deliveries"`
	PublishSeconds      float64     `json:"publish_seconds"`
	ServerPeakRSSMB     float64     `json:"server_peak_rss_mb_with_backlog"`
	FirstDeliverySecond float64     `json:"seconds_to_first_delivery_after_receiver_up"`
	DrainSeconds        float64     `json:"drain_seconds"`
	DrainPerSecond      float64     `json:"drain_deliveries_per_second"`
	Delivered           int64       `json:"backlog_delivered"`
	LiveEvents          int64       `json:"live_events"`
	LiveReceiptMS       Percentiles `json:"live_ingest_to_receipt_latency_ms"`
	LiveIngestMS        Percentiles `json:"live_ingest_latency_ms"`
	// The other webhook's live events: another event type, to a receiver
	// that never went down, published at the same rate during the drain.
	OtherEvents    int64       `json:"other_live_events"`
	OtherReceiptMS Percentiles `json:"other_ingest_to_receipt_latency_ms"`
	OtherMissing   int64       `json:"other_missing"`
	// LiveLate and OtherLate say when the live events that took longer
	// than the goal were published: a stall at the start of the drain
	// and a wait spread over it have different causes.
	LiveLate  LateEvents `json:"live_late"`
	OtherLate LateEvents `json:"other_late"`
}

// lateAfter is the goal for a live event's ingest→receipt latency during
// a drain (issue 16): events slower than this are counted as late.
const lateAfter = 100 * time.Millisecond

// LateEvents counts the live events of a drain delivered later than
// lateAfter and says when they were published, in seconds after the
// receiver came up.
type LateEvents struct {
	Count       int     `json:"count"`
	FirstSecond float64 `json:"first_published_second"`
	LastSecond  float64 `json:"last_published_second"`
	// PerSecond counts them by the second they were published in.
	PerSecond []int `json:"per_second"`
}

// late finds the late events among arrivals of the events in ids.
func late(arrivals []arrival, ids map[string]time.Time, up time.Time) ([]time.Duration, LateEvents) {
	var out LateEvents
	var receipt []time.Duration
	for _, a := range arrivals {
		t0, ok := ids[a.id]
		if !ok {
			continue
		}
		d := a.at.Sub(t0)
		receipt = append(receipt, d)
		if d <= lateAfter {
			continue
		}
		sec := t0.Sub(up).Seconds()
		if out.Count == 0 || sec < out.FirstSecond {
			out.FirstSecond = sec
		}
		out.LastSecond = max(out.LastSecond, sec)
		out.Count++
		i := max(0, int(sec))
		for len(out.PerSecond) <= i {
			out.PerSecond = append(out.PerSecond, 0)
		}
		out.PerSecond[i]++
	}
	return receipt, out
}

// otherType is the event type of the backlog run's other webhook.
const otherType = "site_published"

// RunBacklog measures recovery from a receiver outage: with the receiver
// down it publishes cfg.Events events (the backlog), reads the server's
// peak RSS, brings the receiver up, and measures how fast the backlog
// drains while new events arrive at cfg.Rate (default 1000/s) for at most
// cfg.Duration, reporting their latency separately: half of them for the
// webhooks that were down, half for another webhook whose receiver never
// was (fresh events first, for every webhook, is the goal).
func RunBacklog(ctx context.Context, cfg Config) (*BacklogReport, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Server != "" || cfg.Instances > 1 || cfg.Baseline {
		return nil, fmt.Errorf("--backlog needs one local server (it reads its memory use), without --baseline")
	}
	if cfg.Destination != "http" {
		return nil, fmt.Errorf("--backlog measures HTTP webhooks whose receiver is down; not --destination %s", cfg.Destination)
	}
	// Reserve a port for the receiver that is down for now.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	args := cfg.ServerArgs
	if cfg.DatabaseURL != "" {
		pg, err := preparePostgres(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		defer pg.close() // after the server has stopped
		args = append(pg.serverArgs(), args...)
	}
	local, err := startLocal(cfg.Executable, args, true, cfg.InstanceCPU, cfg.ServerLog)
	if err != nil {
		return nil, err
	}
	defer local.stop()
	api := &client{base: strings.TrimRight(local.url, "/"), key: local.key, http: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency + 8, MaxIdleConns: cfg.Concurrency + 8},
	}}
	if err := setup(ctx, api, cfg, "http://"+addr, nil); err != nil {
		return nil, err
	}
	other, err := startReceiver(receiverConfig{Latency: cfg.Latency})
	if err != nil {
		return nil, err
	}
	defer other.close()
	body, _ := json.Marshal(map[string]any{"name": "other", "url": other.URL() + "/other", "events": []string{otherType}})
	if status, out, err := api.post(ctx, "/api/v1/webhooks", body); err != nil || status != http.StatusCreated {
		return nil, fmt.Errorf("creating the other webhook: %v %d %s", err, status, out)
	}
	backlogCfg := cfg
	backlogCfg.Rate = 0
	down := publish(ctx, []*client{api}, backlogCfg, nil)
	rep := &BacklogReport{Backlog: int64(len(down.ids)) * int64(cfg.Webhooks), PublishSeconds: down.end.Sub(down.start).Seconds()}
	if _, rss, ok := local.usage(); ok {
		rep.ServerPeakRSSMB = float64(rss) / (1 << 20)
	}
	progressf(cfg.Progress, "\nbacklog of %d deliveries stored in %.1fs; peak RSS %.0f MB; receiver up\n",
		rep.Backlog, rep.PublishSeconds, rep.ServerPeakRSSMB)

	rc, err := startReceiverAt(receiverConfig{Latency: cfg.Latency, FailStatus: cfg.FailStatus}, addr)
	if err != nil {
		return nil, err
	}
	defer rc.close()
	up := time.Now()
	liveCfg := cfg
	if liveCfg.Rate <= 0 {
		liveCfg.Rate = 1000
	}
	liveCfg.Events = 0
	liveCfg.Rate /= 2
	liveCfg.Concurrency = max(liveCfg.Concurrency/2, 1)
	otherCfg := liveCfg
	otherCfg.EventType, otherCfg.Progress = otherType, nil
	liveDone, otherDone := make(chan *published, 1), make(chan *published, 1)
	liveCtx, stopLive := context.WithCancel(ctx)
	defer stopLive()
	go func() { liveDone <- publish(liveCtx, []*client{api}, liveCfg, rc) }()
	go func() { otherDone <- publish(liveCtx, []*client{api}, otherCfg, other) }()

	// Wait for the backlog to drain (bounded).
	deadline := up.Add(cfg.DrainTimeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if backlogDelivered(rc.snapshot(), down) >= rep.Backlog {
			break
		}
		progress(cfg.Progress, up, 0, rc)
		time.Sleep(100 * time.Millisecond) // a progress tick, not a correctness wait
	}
	stopLive()
	live, otherLive := <-liveDone, <-otherDone
	// The other webhook's last events are given a moment (bounded) to
	// arrive: they were published up to now.
	for wait := time.Now().Add(10 * time.Second); time.Now().Before(wait); time.Sleep(20 * time.Millisecond) {
		if other.delivered(otherLive.ids) >= int64(len(otherLive.ids)) {
			break
		}
	}
	otherReceipt, otherLate := late(other.snapshot(), otherLive.ids, up)
	rep.OtherLate = otherLate
	rep.OtherEvents = otherLive.accepted.Load()
	rep.OtherReceiptMS = percentiles(otherReceipt)
	rep.OtherMissing = int64(len(otherLive.ids)) - int64(len(otherReceipt))
	arrivals := rc.snapshot()
	var first, last time.Time
	for _, a := range arrivals {
		if _, ok := down.ids[a.id]; !ok {
			continue
		}
		rep.Delivered++
		if first.IsZero() || a.at.Before(first) {
			first = a.at
		}
		if a.at.After(last) {
			last = a.at
		}
	}
	if !first.IsZero() {
		rep.FirstDeliverySecond = first.Sub(up).Seconds()
		rep.DrainSeconds = last.Sub(first).Seconds()
		if rep.DrainSeconds > 0 {
			rep.DrainPerSecond = float64(rep.Delivered) / rep.DrainSeconds
		}
	}
	receipt, liveLate := late(arrivals, live.ids, up)
	rep.LiveLate = liveLate
	rep.LiveEvents = live.accepted.Load()
	rep.LiveReceiptMS = percentiles(receipt)
	rep.LiveIngestMS = percentiles(live.ingest)
	return rep, nil
}

func backlogDelivered(arrivals []arrival, down *published) int64 {
	var n int64
	for _, a := range arrivals {
		if _, ok := down.ids[a.id]; ok {
			n++
		}
	}
	return n
}

func progressf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}

// WriteText prints the report for people.
func (r *BacklogReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "backlog             %d deliveries stored in %.1fs with the receiver down; server peak RSS %.0f MB\n",
		r.Backlog, r.PublishSeconds, r.ServerPeakRSSMB)
	fmt.Fprintf(w, "recovery            first delivery %.1fs after the receiver came up; %d delivered in %.1fs: %.0f deliveries/s\n",
		r.FirstDeliverySecond, r.Delivered, r.DrainSeconds, r.DrainPerSecond)
	fmt.Fprintf(w, "live events         %d during the drain; ingest p50 %.2f p99 %.2f ms; ingest→receipt p50 %.2f p99 %.2f max %.2f ms\n",
		r.LiveEvents, r.LiveIngestMS.P50, r.LiveIngestMS.P99, r.LiveReceiptMS.P50, r.LiveReceiptMS.P99, r.LiveReceiptMS.Max)
	fmt.Fprintf(w, "other webhook       %d events during the drain (%d missing); ingest→receipt p50 %.2f p99 %.2f max %.2f ms\n",
		r.OtherEvents, r.OtherMissing, r.OtherReceiptMS.P50, r.OtherReceiptMS.P99, r.OtherReceiptMS.Max)
	for _, l := range []struct {
		name string
		late LateEvents
	}{{"live", r.LiveLate}, {"other", r.OtherLate}} {
		if l.late.Count == 0 {
			continue
		}
		fmt.Fprintf(w, "late %-14s %d over %v, published %.1fs to %.1fs after the receiver came up; per second: %v\n",
			l.name, l.late.Count, lateAfter, l.late.FirstSecond, l.late.LastSecond, l.late.PerSecond)
	}
}
