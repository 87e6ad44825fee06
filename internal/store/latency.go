package store

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// LatencyBins is the number of bins of a Latency histogram: bin 0 holds
// attempts under 1 ms, bin i (1..51) those from 2^((i-1)/3) ms up to
// 2^(i/3) ms (three bins per doubling, each 26 % wider than the one
// before), and the last bin everything from 2^17 ms (131 s) on. Fixed
// bins let the histograms of any number of minutes be merged by adding
// them, so a percentile over 30 days needs no attempt; a percentile read
// from them is within half a bin (±12 %) of the true one.
const LatencyBins = 53

// latencyBounds[i] is the upper bound, in milliseconds, of bin i (the last
// bin has none).
var latencyBounds = func() [LatencyBins - 1]float64 {
	var b [LatencyBins - 1]float64
	for i := range b {
		b[i] = math.Exp2(float64(i) / 3)
	}
	return b
}()

// Latency is a histogram of attempt durations in the bins above.
type Latency [LatencyBins]int64

// LatencyBin returns the bin of a duration in milliseconds.
func LatencyBin(ms float64) int {
	// The bounds are few and sorted: a linear walk from the estimate
	// corrects any rounding of the logarithm at a bound.
	if !(ms >= 1) { // also NaN
		return 0
	}
	i := min(int(3*math.Log2(ms))+1, LatencyBins-1)
	for i > 0 && ms < latencyBounds[i-1] {
		i--
	}
	for i < LatencyBins-1 && ms >= latencyBounds[i] {
		i++
	}
	return i
}

// Add counts one duration.
func (h *Latency) Add(ms float64) { h[LatencyBin(ms)]++ }

// Merge adds o's counts to h's.
func (h *Latency) Merge(o *Latency) {
	for i := range h {
		h[i] += o[i]
	}
}

// Count is the number of durations counted.
func (h *Latency) Count() int64 {
	var n int64
	for _, c := range h {
		n += c
	}
	return n
}

// Quantile returns the q-quantile (0 < q ≤ 1) in milliseconds, and false
// when the histogram is empty. Within its bin the value is interpolated on
// the log scale by rank (so one duration alone in a bin reads as the bin's
// middle); the open last bin answers its lower bound.
func (h *Latency) Quantile(q float64) (float64, bool) {
	n := h.Count()
	if n == 0 {
		return 0, false
	}
	rank := max(q*float64(n), 1) // the rank-th smallest, from 1
	var seen int64
	for i, c := range h {
		if c == 0 || float64(seen+c) < rank {
			seen += c
			continue
		}
		// Each duration stands at the middle of its share of the bin.
		frac := min(max((rank-float64(seen)-0.5)/float64(c), 0), 1)
		switch i {
		case 0:
			return frac * latencyBounds[0], true
		case LatencyBins - 1:
			return latencyBounds[LatencyBins-2], true
		}
		lo, hi := latencyBounds[i-1], latencyBounds[i]
		return lo * math.Pow(hi/lo, frac), true
	}
	return latencyBounds[LatencyBins-2], true // not reached: rank ≤ n
}

// LatencyColumns are the names of the rollup's histogram columns, h00 to
// h52, in bin order.
var LatencyColumns = func() []string {
	c := make([]string, LatencyBins)
	for i := range c {
		c[i] = fmt.Sprintf("h%02d", i)
	}
	return c
}()

// LatencyBinSQL is an SQL expression of the bin of the duration in column
// col (milliseconds), for filling the rollup from stored attempts: the
// same bounds as LatencyBin, as nested CASEs that halve the bins at each
// level (six comparisons a row instead of up to 52; no math functions
// needed).
func LatencyBinSQL(col string) string {
	var b strings.Builder
	var tree func(lo, hi int) // the bins lo..hi
	tree = func(lo, hi int) {
		if lo == hi {
			b.WriteString(strconv.Itoa(lo))
			return
		}
		mid := (lo + hi + 1) / 2 // bins from mid start at latencyBounds[mid-1]
		fmt.Fprintf(&b, "CASE WHEN %s < %s THEN ", col, strconv.FormatFloat(latencyBounds[mid-1], 'g', -1, 64))
		tree(lo, mid-1)
		b.WriteString(" ELSE ")
		tree(mid, hi)
		b.WriteString(" END")
	}
	tree(0, LatencyBins-1)
	return b.String()
}
