package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/tracing"
	"github.com/hookline/hookline/internal/webhook"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

type page struct {
	t *template.Template
}

// parsePages parses each page template together with the layout and the
// shared partials, so every page defines its own "content".
func parsePages() (map[string]*page, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*page{}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, fmt.Errorf("dashboard template %s: %w", name, err)
		}
		t.Funcs(template.FuncMap{"field": fieldFunc(t)})
		pages[name] = &page{t: t}
	}
	return pages, nil
}

// assetVersion changes whenever a static file does, so browsers may cache
// them for ever.
var assetVersion = func() string {
	h := sha256.New()
	_ = fs.WalkDir(staticFS, "static", func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			b, _ := staticFS.ReadFile(p)
			h.Write([]byte(p))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}

func (d *Dashboard) static(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	ct, ok := contentTypes[path.Ext(name)]
	if !ok || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return nil
	}
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil {
		http.NotFound(w, r)
		return nil
	}
	w.Header().Set("Content-Type", ct)
	if r.URL.Query().Get("v") == assetVersion {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	w.Write(b)
	return nil
}

// fieldFunc renders a form field's template by name (formField.Template)
// into a page of t: a template cannot name the template it calls at run
// time. The result was escaped when it was rendered.
func fieldFunc(t *template.Template) func(name string, data any) (template.HTML, error) {
	return func(name string, data any) (template.HTML, error) {
		if !strings.HasPrefix(name, "field-") {
			return "", fmt.Errorf("%q is not a form field template", name)
		}
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, name, data); err != nil {
			return "", err
		}
		return template.HTML(b.String()), nil
	}
}

var funcs = template.FuncMap{
	// field is bound to each page's templates by parsePages.
	"field":       func(string, any) (template.HTML, error) { return "", errors.New("field: not bound to a page") },
	"shortURL":    shortURL,
	"ago":         ago,
	"fmtTime":     fmtTime,
	"isoTime":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"pretty":      prettyJSON,
	"editable":    editableType,
	"bodyText":    bodyText,
	"headers":     headerList,
	"ms":          fmtMS,
	"seconds":     fmtDelay,
	"size":        fmtSize,
	"join":        strings.Join,
	"has":         func(list []string, s string) bool { return slices.Contains(list, s) },
	"hasPrefix":   strings.HasPrefix,
	"deref":       func(t *time.Time) time.Time { return derefTime(t) },
	"statusClass": statusClass,
	"add":         func(a, b int) int { return a + b },
	"rate":        rate,
	"optMS":       optMS,
	"deref64":     func(f *float64) float64 { return *f },
	"ptr":         func(f float64) *float64 { return &f },
	"withID":      func(b bodyView, id string) bodyView { b.ID = id; return b },
	"query":       url.QueryEscape,
	"previewType": previewType,
	"eventGroups": eventGroups,
	"traceID":     tracing.TraceID,
	"countOf": func(m map[webhook.DeliveryStatus]int, s string) int {
		return m[webhook.DeliveryStatus(s)]
	},
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// shortURL shows host and the start of the path, for table cells; the
// full URL goes in a title attribute.
func shortURL(raw string) string {
	u, err := url.Parse(raw)
	s := raw
	if err == nil && u.Host != "" {
		s = u.Host + u.EscapedPath()
		if u.RawQuery != "" {
			s += "?…"
		}
	}
	const max = 42
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max-1]) + "…"
	}
	return s
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func fmtMS(ms float64) string {
	switch {
	case ms <= 0:
		return "—"
	case ms < 10:
		return fmt.Sprintf("%.1f ms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0f ms", ms)
	}
	return fmt.Sprintf("%.2f s", ms/1000)
}

func fmtSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// prettyJSON indents JSON; anything else comes back as it was.
func prettyJSON(v any) string {
	var b []byte
	switch x := v.(type) {
	case json.RawMessage:
		b = x
	case []byte:
		b = x
	case string:
		b = []byte(x)
	default:
		out, _ := json.MarshalIndent(x, "", "  ")
		return string(out)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return string(b)
	}
	return buf.String()
}

// displayLimit bounds how much of a body a list shows inline.
const displayLimit = 16 << 10

// bodyView is a body ready to show: pretty JSON when it is JSON, text when
// it is UTF-8, base64 otherwise.
type bodyView struct {
	Text     string
	Kind     string // "json", "text", "base64", "empty"
	Cut      bool   // only the start is shown here
	Original int
	ID       string // element id, for a copy button
}

func bodyText(b []byte, limit int) bodyView {
	v := bodyView{Original: len(b)}
	if len(b) == 0 {
		v.Kind = "empty"
		return v
	}
	if json.Valid(b) {
		v.Kind = "json"
		v.Text = prettyJSON(b)
	} else if utf8.Valid(b) {
		v.Kind, v.Text = "text", string(b)
	} else {
		v.Kind, v.Text = "base64", base64.StdEncoding.EncodeToString(b)
	}
	if limit > 0 && len(v.Text) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(v.Text[cut]) {
			cut--
		}
		v.Text, v.Cut = v.Text[:cut], true
	}
	return v
}

type headerKV struct{ Name, Value string }

func headerList(h http.Header) []headerKV {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	var out []headerKV
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, headerKV{k, v})
		}
	}
	return out
}

func statusClass(s webhook.DeliveryStatus) string {
	switch s {
	case webhook.DeliverySucceeded:
		return "ok"
	case webhook.DeliveryFailed:
		return "bad"
	}
	return "warn"
}

// previewType is the event type whose example the form shows first: the
// first selected one, or the first of the catalog.
func previewType(selected []string, types []webhook.EventType) webhook.EventType {
	for _, s := range selected {
		for _, t := range types {
			if t.Slug == s {
				return t
			}
		}
	}
	if len(types) > 0 {
		return types[0]
	}
	return webhook.EventType{}
}

// eventGroup is the event types sharing a prefix, for the event picker.
type eventGroup struct {
	Name  string
	Types []webhook.EventType
}

// eventGroups groups types by their slug's first word ("payment" of
// payment_received, "hookline" of hookline.delivery.failed), in catalog
// order; words with a single type share an "Other" group at the end.
func eventGroups(types []webhook.EventType) []eventGroup {
	var order []string
	by := map[string][]webhook.EventType{}
	for _, t := range types {
		word := t.Slug
		if i := strings.IndexAny(word, "_."); i > 0 {
			word = word[:i]
		}
		if _, ok := by[word]; !ok {
			order = append(order, word)
		}
		by[word] = append(by[word], t)
	}
	var groups []eventGroup
	var other []webhook.EventType
	for _, w := range order {
		if len(by[w]) == 1 {
			other = append(other, by[w]...)
			continue
		}
		groups = append(groups, eventGroup{Name: strings.ToUpper(w[:1]) + w[1:], Types: by[w]})
	}
	if len(other) > 0 {
		groups = append(groups, eventGroup{Name: "Other", Types: other})
	}
	return groups
}
