package dashboard

import (
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/stats"
	"github.com/hookline/hookline/internal/store"
)

func TestHealthView(t *testing.T) {
	win := healthWindows[0] // 1 h of 1 min
	from := time.Date(2030, 3, 14, 9, 0, 0, 0, time.UTC)
	var fast, slow store.Latency
	fast.Add(10)
	slow.Add(1000)
	rows := []store.StatsRow{
		{Start: from.Add(2 * time.Minute), Counts: store.Counts{Delivered: 4, Attempts: 6, FailedAttempts: 2}, Latency: fast},
		{Start: from.Add(3 * time.Minute), Counts: store.Counts{Delivered: 1, Attempts: 1}, Latency: slow},
		{Start: from.Add(10 * time.Minute), Counts: store.Counts{Failed: 1}}, // ended unsent: no attempt, no latency
		{Start: from.Add(20 * time.Minute), Counts: store.Counts{Delivered: 1, Attempts: 1}, Latency: fast},
	}
	v := newHealthView(stats.Build(rows, win.Query, from, from.Add(time.Hour)), win)
	if len(v.Bars) != 60 || v.Active != 4 || v.MaxCount != 6 {
		t.Fatalf("%d bars, %d active, max %d; want 60, 4, 6", len(v.Bars), v.Active, v.MaxCount)
	}
	b := v.Bars[2]
	if b.OKH != healthH*4/6 || b.BadH != healthH*2/6 || b.OKY != healthH-b.OKH || b.BadY != b.OKY-b.BadH {
		t.Errorf("bar 2 (4 delivered, 2 failed attempts) drawn as %+v", b)
	}
	if !v.Bars[10].Any || v.Bars[10].OKH != 0 || v.Bars[11].Any {
		t.Errorf("a bucket with only a failed delivery is active with no bar; the next is empty: %+v %+v", v.Bars[10], v.Bars[11])
	}
	// The p95 line: one stroke over minutes 2 and 3, a dot at minute 20,
	// none across the empty minutes between.
	if got := strings.Count(v.P95Path, "M"); got != 2 || strings.Count(v.P95Path, "L") != 1 {
		t.Errorf("p95 path %q: want two pieces, the first of two points", v.P95Path)
	}
	if v.MaxP95 < 891 || v.MaxP95 > 1123 {
		t.Errorf("max p95 %v, want near 1000", v.MaxP95)
	}
	if v.FromLabel != "09:00" || v.ToLabel != "10:00 UTC" {
		t.Errorf("time axis %q to %q", v.FromLabel, v.ToLabel)
	}

	empty := newHealthView(stats.Build(nil, win.Query, from, from.Add(time.Hour)), win)
	if empty.Active != 0 || empty.P95Path != "" || empty.MaxCount != 0 || len(empty.Bars) != 60 {
		t.Errorf("no data: %+v", empty)
	}
}

func TestSparkView(t *testing.T) {
	from := time.Date(2030, 3, 14, 0, 0, 0, 0, time.UTC)
	none := newSparkView(stats.Series{})
	if none.Active || none.Label != "No deliveries in the last 24 hours" {
		t.Errorf("no series: %+v", none)
	}
	rows := []store.StatsRow{{Start: from, Counts: store.Counts{Delivered: 999, Attempts: 1000, FailedAttempts: 1}},
		{Start: from.Add(time.Hour), Counts: store.Counts{Delivered: 1, Failed: 1, Attempts: 2, FailedAttempts: 1}}}
	v := newSparkView(stats.Build(rows, sparkQuery, from, from.Add(24*time.Hour)))
	if !v.Active || v.Rate != "99.9 %" || v.Bad || len(v.Bars) != 24 {
		t.Errorf("spark %+v: want active, 99.9 %% (1000 of 1001, not rounded up), not bad (99 %% or more), 24 bars", v)
	}
	if b := v.Bars[0]; b.BadH < 2 || b.OKH+b.BadH > sparkH || b.BadY < 0 || b.OKY != sparkH-b.OKH || b.BadY != b.OKY-b.BadH {
		t.Errorf("one failure among a thousand must still show, within the height: %+v", b)
	}
	if !strings.Contains(v.Label, "1000 delivered, 1 failed") {
		t.Errorf("label %q", v.Label)
	}
}
