package store

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestLatencyBin(t *testing.T) {
	for _, c := range []struct {
		ms   float64
		want int
	}{
		{0, 0}, {0.999, 0}, {math.NaN(), 0}, {-1, 0},
		{1, 1}, {1.2599, 1}, {math.Cbrt(2), 2}, {2, 4}, {3.9999, 6}, {4, 7},
		{1000, 30}, {131071.9, 51}, {131072, 52}, {1e9, 52},
	} {
		if got := LatencyBin(c.ms); got != c.want {
			t.Errorf("LatencyBin(%v) = %d, want %d", c.ms, got, c.want)
		}
	}
	// Every bound starts its bin, whatever the rounding of the logarithm.
	for i, b := range latencyBounds {
		if got := LatencyBin(b); got != i+1 {
			t.Errorf("LatencyBin(bound %d = %v) = %d, want %d", i, b, got, i+1)
		}
		if got := LatencyBin(math.Nextafter(b, 0)); got != i {
			t.Errorf("LatencyBin(just under bound %d) = %d, want %d", i, got, i)
		}
	}
}

func TestLatencyQuantile(t *testing.T) {
	var h Latency
	if _, ok := h.Quantile(0.5); ok {
		t.Error("empty histogram has a median")
	}
	// 1..1000 ms: the true p50 is 500 and p95 950; a bin is 26 % wide.
	for ms := 1; ms <= 1000; ms++ {
		h.Add(float64(ms))
	}
	for _, c := range []struct{ q, want float64 }{{0.5, 500}, {0.95, 950}, {0.001, 1}, {1, 1000}} {
		got, ok := h.Quantile(c.q)
		if !ok || math.Abs(got-c.want)/c.want > 0.13 {
			t.Errorf("Quantile(%v) = %v, want within 13 %% of %v", c.q, got, c.want)
		}
	}
	// Merging two halves gives the whole.
	var lo, hi Latency
	for ms := 1; ms <= 1000; ms++ {
		if ms <= 500 {
			lo.Add(float64(ms))
		} else {
			hi.Add(float64(ms))
		}
	}
	lo.Merge(&hi)
	if lo != h || lo.Count() != 1000 {
		t.Errorf("merged halves differ from the whole: %v vs %v", lo, h)
	}
	var slow Latency
	slow.Add(500_000)
	if got, _ := slow.Quantile(0.5); got != 131072 {
		t.Errorf("open last bin answers %v, want its lower bound 131072", got)
	}
}

func TestLatencyBinSQLBounds(t *testing.T) {
	// The tree names every bound once.
	sql := LatencyBinSQL("d")
	if n := strings.Count(sql, "WHEN"); n != len(latencyBounds) {
		t.Errorf("LatencyBinSQL has %d WHENs, want %d", n, len(latencyBounds))
	}
	for _, b := range latencyBounds {
		if !strings.Contains(sql, "d < "+strconv.FormatFloat(b, 'g', -1, 64)+" ") {
			t.Errorf("LatencyBinSQL lacks the bound %v", b)
		}
	}
}
