package dashboard

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/stats"
)

// healthWindow is one choice of the window picker: how far back, and the
// bucket that gives the chart 60 to 120 bars.
type healthWindow struct {
	Key    string // the ?window= value
	Label  string
	Long   string // for sentences: "the last 24 hours"
	Query  stats.Query
	Format string // how a bucket's start is written on its bar
}

var healthWindows = []healthWindow{
	{"1h", "1 h", "the last hour", stats.Query{Since: time.Hour, Bucket: time.Minute}, "15:04"},
	{"24h", "24 h", "the last 24 hours", stats.Query{Since: 24 * time.Hour, Bucket: 15 * time.Minute}, "Jan 2 15:04"},
	{"7d", "7 d", "the last 7 days", stats.Query{Since: 7 * 24 * time.Hour, Bucket: 2 * time.Hour}, "Jan 2 15:04"},
	{"30d", "30 d", "the last 30 days", stats.Query{Since: 30 * 24 * time.Hour, Bucket: 6 * time.Hour}, "Jan 2 15:04"},
}

// healthWindowFor is the window a request asks for (?window=), 24 h by
// default or when it names none of the picker's.
func healthWindowFor(r *http.Request) healthWindow {
	for _, w := range healthWindows {
		if w.Key == r.URL.Query().Get("window") {
			return w
		}
	}
	return healthWindows[1]
}

// Chart geometry, in SVG user units: the plot area, and the margins for
// the count axis (left), the latency axis (right) and the time axis.
const (
	healthW      = 720
	healthH      = 180
	healthLeft   = 40
	healthRight  = 56
	healthBottom = 24
	healthTop    = 10
)

// healthBar is one bucket drawn: delivered (below) and failed attempts
// (above) stacked.
type healthBar struct {
	stats.Bucket
	X, W       float64
	OKY, OKH   float64
	BadY, BadH float64
	Label      string // the bucket's start, as its title says it
	Any        bool
}

// healthPick is one link of the window picker.
type healthPick struct {
	healthWindow
	URL     string
	Current bool
}

// healthView is a health card: the series as a chart, its summary and the
// picker.
type healthView struct {
	Window   healthWindow
	Picks    []healthPick
	Series   stats.Series
	Bars     []healthBar
	P95Path  string // the p95 line, broken where a bucket has no attempt
	MaxCount int64
	MaxP95   float64
	// Geometry for the template: the plot area and the SVG's viewBox
	// around it with the axes' margins.
	W, H               int
	ViewBox            string
	FromLabel, ToLabel string
	Active             int // buckets with anything in them
}

// healthFor reads the series of sel for the request's window and lays it
// out; base is the page's URL without query, for the picker's links.
func (d *Dashboard) healthFor(ctx context.Context, r *http.Request, sel stats.Selection, base string) (healthView, error) {
	win := healthWindowFor(r)
	s, err := stats.Read(ctx, d.cfg.Store, sel, win.Query, d.cfg.Now())
	if err != nil {
		return healthView{}, err
	}
	v := newHealthView(s, win)
	for _, w := range healthWindows {
		v.Picks = append(v.Picks, healthPick{healthWindow: w, URL: base + "?window=" + w.Key + "#health", Current: w.Key == win.Key})
	}
	return v, nil
}

// newHealthView lays out s as win's chart.
func newHealthView(s stats.Series, win healthWindow) healthView {
	v := healthView{Window: win, Series: s, W: healthW, H: healthH}
	v.ViewBox = fmt.Sprintf("%d %d %d %d", -healthLeft, -healthTop, healthW+healthLeft+healthRight, healthH+healthTop+healthBottom)
	for _, b := range s.Buckets {
		v.MaxCount = max(v.MaxCount, b.Delivered+b.FailedAttempts)
		if b.P95 != nil {
			v.MaxP95 = max(v.MaxP95, *b.P95)
		}
	}
	countScale := 0.0
	if v.MaxCount > 0 {
		countScale = healthH / float64(v.MaxCount)
	}
	n := len(s.Buckets)
	bw := float64(healthW) / float64(max(n, 1))
	gap := min(2, bw/4)
	var path strings.Builder
	pen := false
	for i, b := range s.Buckets {
		bar := healthBar{Bucket: b, X: round1(float64(i)*bw + gap/2), W: round1(bw - gap),
			Label: b.Start.UTC().Format(win.Format), Any: b.Delivered+b.FailedAttempts+b.Failed > 0}
		bar.OKH = round1(float64(b.Delivered) * countScale)
		bar.OKY = round1(healthH - bar.OKH)
		bar.BadH = round1(float64(b.FailedAttempts) * countScale)
		bar.BadY = round1(bar.OKY - bar.BadH)
		if bar.Any {
			v.Active++
		}
		v.Bars = append(v.Bars, bar)
		if b.P95 == nil || v.MaxP95 == 0 {
			pen = false
			continue
		}
		x, y := round1(float64(i)*bw+bw/2), round1(healthH-*b.P95/v.MaxP95*healthH)
		if pen {
			fmt.Fprintf(&path, " L%s %s", num(x), num(y))
		} else {
			// A lone point draws as a dot (round caps on a zero-length line).
			fmt.Fprintf(&path, " M%s %s l0 0", num(x), num(y))
		}
		pen = true
	}
	v.P95Path = strings.TrimSpace(path.String())
	v.FromLabel = s.From.UTC().Format(win.Format)
	v.ToLabel = s.To.UTC().Format(win.Format) + " UTC"
	return v
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// rate writes a success rate as a percentage, never rounding a shortfall
// up to 100 %; "—" when no delivery ended.
func rate(r *float64) string {
	if r == nil {
		return "—"
	}
	return strconv.FormatFloat(math.Floor(*r*1000)/10, 'f', 1, 64) + " %"
}

// optMS writes a latency percentile; "—" without attempts.
func optMS(ms *float64) string {
	if ms == nil {
		return "—"
	}
	return fmtMS(max(*ms, 0.1))
}

// sparkView is a webhook's last 24 hours in a row of a list: its success
// rate and one bar an hour.
type sparkView struct {
	Rate   string
	Bad    bool // the rate is below 99 %
	Label  string
	Bars   []healthBar
	Active bool
}

// Sparkline geometry.
const (
	sparkW = 64
	sparkH = 18
)

var sparkQuery = stats.Query{Since: 24 * time.Hour, Bucket: time.Hour}

// sparklines reads the last 24 hours of each webhook in ids at once.
func (d *Dashboard) sparklines(ctx context.Context, ids []string) (map[string]sparkView, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	series, err := stats.ReadEach(ctx, d.cfg.Store, auth.ScopeFrom(ctx), ids, sparkQuery, d.cfg.Now())
	if err != nil {
		return nil, err
	}
	out := make(map[string]sparkView, len(ids))
	for _, id := range ids {
		out[id] = newSparkView(series[id])
	}
	return out, nil
}

// newSparkView draws s (zero: no attempt in the window) as a sparkline.
func newSparkView(s stats.Series) sparkView {
	v := sparkView{Rate: rate(s.SuccessRate), Bad: s.SuccessRate != nil && *s.SuccessRate < 0.99}
	t := s.Totals
	v.Active = t.Delivered+t.FailedAttempts+t.Failed > 0
	if !v.Active {
		v.Label = "No deliveries in the last 24 hours"
		return v
	}
	v.Label = fmt.Sprintf("Last 24 hours: %s delivered (%d delivered, %d failed); %d failed attempts",
		v.Rate, t.Delivered, t.Failed, t.FailedAttempts)
	var most int64
	for _, b := range s.Buckets {
		most = max(most, b.Delivered+b.FailedAttempts)
	}
	bw := float64(sparkW) / float64(len(s.Buckets))
	for i, b := range s.Buckets {
		bar := healthBar{Bucket: b, X: round1(float64(i)*bw + 0.5), W: round1(bw - 1)}
		if most > 0 {
			// At least a sliver for a bucket with anything, so one failure
			// among thousands still shows.
			bar.OKH = round1(float64(b.Delivered) / float64(most) * sparkH)
			bar.BadH = round1(float64(b.FailedAttempts) / float64(most) * sparkH)
			if b.FailedAttempts > 0 {
				bar.BadH = max(bar.BadH, 2)
			}
			if b.Delivered > 0 {
				bar.OKH = max(bar.OKH, 1)
			}
			bar.OKH = min(bar.OKH, sparkH-bar.BadH) // the failures' sliver comes out of the height
		}
		bar.OKY = round1(sparkH - bar.OKH)
		bar.BadY = round1(max(bar.OKY-bar.BadH, 0))
		v.Bars = append(v.Bars, bar)
	}
	return v
}
