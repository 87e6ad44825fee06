package stats

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func TestParseQuery(t *testing.T) {
	for _, c := range []struct {
		since, bucket string
		want          Query
		param, msg    string // the parameter a bad value is reported at
	}{
		{"", "", Query{24 * time.Hour, 5 * time.Minute}, "", ""},
		{"24h", "5m", Query{24 * time.Hour, 5 * time.Minute}, "", ""},
		{"1h", "", Query{time.Hour, time.Minute}, "", ""},
		{"7d", "", Query{7 * 24 * time.Hour, time.Hour}, "", ""},
		{"30d", "", Query{30 * 24 * time.Hour, 6 * time.Hour}, "", ""},
		{"30d", "1d", Query{30 * 24 * time.Hour, 24 * time.Hour}, "", ""},
		{"90m", "1m", Query{90 * time.Minute, time.Minute}, "", ""},
		{"1d", "1440m", Query{24 * time.Hour, 24 * time.Hour}, "", ""},
		{"1m", "1m", Query{time.Minute, time.Minute}, "", ""},
		{"24h", "1m", Query{24 * time.Hour, time.Minute}, "", ""}, // 1,440 buckets: the limit
		{"31d", "", Query{}, "since", "from 1m to 30d"},
		{"30s", "", Query{}, "since", "from 1m to 30d"},
		{"-1h", "", Query{}, "since", "from 1m to 30d"},
		{"90s", "1m", Query{}, "since", "whole number of minutes"},
		{"yesterday", "", Query{}, "since", "not a duration"},
		{"xd", "", Query{}, "since", "not a duration"},
		{"24h", "30s", Query{}, "bucket", "from 1m to 1d"},
		{"24h", "2d", Query{}, "bucket", "from 1m to 1d"},
		{"24h", "90s", Query{}, "bucket", "whole number of minutes"},
		{"24h", "5", Query{}, "bucket", "not a duration"},
		{"7d", "1m", Query{}, "bucket", "10080 buckets"},
		{"25h", "1m", Query{}, "bucket", "1500 buckets"},
	} {
		got, err := ParseQuery(c.since, c.bucket)
		if c.param == "" {
			if err != nil || got != c.want {
				t.Errorf("ParseQuery(%q, %q) = %+v, %v; want %+v", c.since, c.bucket, got, err, c.want)
			}
			continue
		}
		e, ok := errors.AsType[*webhook.Error](err)
		if !ok || e.Code != webhook.EUNPROCESSABLE || e.Field != c.param || !strings.Contains(e.Message, c.msg) {
			t.Errorf("ParseQuery(%q, %q): got %v, want a 422 at %s saying %q", c.since, c.bucket, err, c.param, c.msg)
		}
	}
	// Both bad: both reported.
	_, err := ParseQuery("1y", "1s")
	if e, ok := errors.AsType[*webhook.Error](err); !ok || len(e.Problems()) != 2 {
		t.Errorf("ParseQuery(1y, 1s): got %v, want two problems", err)
	}
}

func TestWindow(t *testing.T) {
	// A time zone other than UTC gives the same UTC buckets.
	tokyo := time.FixedZone("JST", 9*3600)
	for _, c := range []struct {
		name     string
		q        Query
		now      time.Time
		from, to string
	}{
		{"5m buckets of a day", Query{24 * time.Hour, 5 * time.Minute}, time.Date(2030, 3, 14, 9, 26, 53, 0, time.UTC),
			"2030-03-13T09:30:00Z", "2030-03-14T09:30:00Z"},
		{"on a bucket's first instant", Query{time.Hour, 5 * time.Minute}, time.Date(2030, 3, 14, 9, 25, 0, 0, time.UTC),
			"2030-03-14T08:30:00Z", "2030-03-14T09:30:00Z"},
		{"on its last", Query{time.Hour, 5 * time.Minute}, time.Date(2030, 3, 14, 9, 29, 59, 999999999, time.UTC),
			"2030-03-14T08:30:00Z", "2030-03-14T09:30:00Z"},
		{"days start at 00:00 UTC, not local midnight", Query{7 * 24 * time.Hour, 24 * time.Hour},
			time.Date(2030, 3, 14, 3, 0, 0, 0, tokyo), // 2030-03-13T18:00Z
			"2030-03-07T00:00:00Z", "2030-03-14T00:00:00Z"},
		{"a window that is not a whole number of buckets takes one more", Query{90 * time.Minute, time.Hour},
			time.Date(2030, 3, 14, 9, 26, 0, 0, time.UTC), "2030-03-14T08:00:00Z", "2030-03-14T10:00:00Z"},
		{"a bucket longer than the window", Query{time.Hour, 24 * time.Hour}, time.Date(2030, 3, 14, 9, 26, 0, 0, time.UTC),
			"2030-03-14T00:00:00Z", "2030-03-15T00:00:00Z"},
		{"7m buckets stay aligned to the epoch", Query{time.Hour, 7 * time.Minute}, time.Unix(7*60*1000+30, 0),
			"1970-01-05T19:44:00Z", "1970-01-05T20:47:00Z"}, // minute 7000 = 1000 × 7
	} {
		from, to := c.q.Window(c.now)
		if got := from.Format(time.RFC3339) + " " + to.Format(time.RFC3339); got != c.from+" "+c.to {
			t.Errorf("%s: window %s, want %s %s", c.name, got, c.from, c.to)
		}
		if from.Location() != time.UTC || to.Location() != time.UTC {
			t.Errorf("%s: window not in UTC", c.name)
		}
	}
}

func TestBuild(t *testing.T) {
	q := Query{time.Hour, 15 * time.Minute}
	from := time.Date(2030, 3, 14, 9, 0, 0, 0, time.UTC)
	to := from.Add(time.Hour)
	var fast, slow store.Latency
	for range 19 {
		fast.Add(10)
	}
	slow.Add(1000)
	rows := []store.StatsRow{
		{Start: from.Add(15 * time.Minute), Counts: store.Counts{Delivered: 8, Failed: 1, Attempts: 20, FailedAttempts: 12, Retried: 11}, Latency: fast},
		{Start: from.Add(45 * time.Minute), Counts: store.Counts{Delivered: 1, Attempts: 1}, Latency: slow},
		{Start: to, Counts: store.Counts{Delivered: 100}}, // outside: ignored
	}
	s := Build(rows, q, from, to)
	if len(s.Buckets) != 4 || s.Bucket != "15m" || !s.From.Equal(from) || !s.To.Equal(to) {
		t.Fatalf("Build: %d buckets of %s from %s to %s, want 4 of 15m", len(s.Buckets), s.Bucket, s.From, s.To)
	}
	for i, b := range s.Buckets {
		if want := from.Add(time.Duration(i) * 15 * time.Minute); !b.Start.Equal(want) {
			t.Errorf("bucket %d starts %s, want %s", i, b.Start, want)
		}
	}
	if b := s.Buckets[0]; b.Counts != (store.Counts{}) || b.P50 != nil || b.P95 != nil {
		t.Errorf("empty bucket: %+v, want zero counts and no percentiles", b)
	}
	if b := s.Buckets[1]; b.Counts != rows[0].Counts || b.P50 == nil || *b.P50 < 8.9 || *b.P50 > 11.2 {
		t.Errorf("bucket 1: %+v, want the first row with a p50 near 10 ms", b)
	}
	if b := s.Buckets[3]; b.P95 == nil || *b.P95 < 891 || *b.P95 > 1122 {
		t.Errorf("bucket 3: %+v, want a p95 near 1000 ms", b)
	}
	want := store.Counts{Delivered: 9, Failed: 1, Attempts: 21, FailedAttempts: 12, Retried: 11}
	if s.Totals.Counts != want {
		t.Errorf("totals %+v, want %+v", s.Totals.Counts, want)
	}
	if s.SuccessRate == nil || *s.SuccessRate != 0.9 {
		t.Errorf("success rate %v, want 0.9 (9 delivered, 1 failed)", s.SuccessRate)
	}
	// 20 attempts: 19 at 10 ms and one at 1 s; the p95 is the 19th.
	if s.Totals.P95 == nil || *s.Totals.P95 > 12 {
		t.Errorf("total p95 %v, want near 10 ms", s.Totals.P95)
	}

	empty := Build(nil, q, from, to)
	if empty.SuccessRate != nil || len(empty.Buckets) != 4 || empty.Totals.P50 != nil {
		t.Errorf("no rows: %+v, want four empty buckets and no success rate", empty)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Minute: "1m", 90 * time.Minute: "90m", time.Hour: "1h", 6 * time.Hour: "6h",
		24 * time.Hour: "1d", 30 * 24 * time.Hour: "30d", 36 * time.Hour: "36h",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
