package cli

import (
	"flag"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// tableWidth is the most columns a table takes unless --wide: it fits a
// terminal of 100 columns, and a side-by-side diff of two.
const tableWidth = 100

// tableGap separates the columns of a table.
const tableGap = "  "

// column is one column of a table. A fixed column (an ID to copy, a
// count, a time) is never cut; a flexible one gives up width, down to min
// runes, when the table is wider than tableWidth, its cells cut with "…".
type column struct {
	name string
	flex bool
	min  int
	// wideOnly columns show only with --wide.
	wideOnly bool
}

// fixed is a column that is never cut.
func fixed(name string) column { return column{name: name} }

// flex is a column cut to at least min runes when the table is too wide.
func flex(name string, min int) column { return column{name: name, flex: true, min: min} }

// extra is a column shown only with --wide.
func extra(name string) column { return column{name: name, wideOnly: true} }

// table collects rows and prints them aligned, fitted to tableWidth.
type table struct {
	cols   []column
	rows   [][]string
	indent string
}

func newTable(cols ...column) *table { return &table{cols: cols} }

// row adds a row; it has one cell per column.
func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

// addWideFlag registers --wide on fs, for commands that print a table.
func addWideFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("wide", false, "show every column in full (tables are otherwise cut to 100 columns, with …)")
}

// widths returns each column's width: its longest cell, the flexible
// columns narrowed (the widest first) until the table fits limit, or
// until each is at its minimum. limit <= 0 means no limit.
func (t *table) widths(limit int) []int {
	w := make([]int, len(t.cols))
	for i, c := range t.cols {
		w[i] = utf8.RuneCountInString(c.name)
	}
	for _, r := range t.rows {
		for i := range t.cols {
			if i < len(r) {
				w[i] = max(w[i], utf8.RuneCountInString(r[i]))
			}
		}
	}
	if limit <= 0 {
		return w
	}
	total := utf8.RuneCountInString(t.indent) + len(tableGap)*(len(w)-1)
	for _, n := range w {
		total += n
	}
	for total > limit {
		widest := -1
		for i, c := range t.cols {
			if c.flex && w[i] > max(c.min, 2) && (widest < 0 || w[i] > w[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			break // every flexible column is at its minimum
		}
		w[widest]--
		total--
	}
	return w
}

// write prints the header and the rows: in full when wide, else fitted.
func (t *table) write(out io.Writer, wide bool) error {
	limit := tableWidth
	if wide {
		limit = 0
	} else {
		t = t.narrow()
	}
	w := t.widths(limit)
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString(t.indent)
		for i := range t.cols {
			cell := ""
			if i < len(cells) {
				cell = clip(cells[i], w[i])
			}
			if i == len(t.cols)-1 {
				b.WriteString(cell)
				break
			}
			b.WriteString(cell)
			b.WriteString(strings.Repeat(" ", w[i]-utf8.RuneCountInString(cell)))
			b.WriteString(tableGap)
		}
		// A last column that is empty leaves no trailing spaces.
		s := strings.TrimRight(b.String(), " ")
		b.Reset()
		b.WriteString(s)
		b.WriteByte('\n')
	}
	var all strings.Builder
	header := make([]string, len(t.cols))
	for i, c := range t.cols {
		header[i] = c.name
	}
	for _, r := range append([][]string{header}, t.rows...) {
		line(r)
		all.WriteString(b.String())
		b.Reset()
	}
	_, err := io.WriteString(out, all.String())
	return err
}

// narrow returns t without its wide-only columns.
func (t *table) narrow() *table {
	n := &table{indent: t.indent}
	var keep []int
	for i, c := range t.cols {
		if !c.wideOnly {
			keep = append(keep, i)
			n.cols = append(n.cols, c)
		}
	}
	for _, r := range t.rows {
		cells := make([]string, len(keep))
		for j, i := range keep {
			if i < len(r) {
				cells[j] = r[i]
			}
		}
		n.rows = append(n.rows, cells)
	}
	return n
}

// tableTime is a time in a table: local, to the second, without the zone
// that fmtTime adds (the table's times are all in one zone).
func tableTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}
