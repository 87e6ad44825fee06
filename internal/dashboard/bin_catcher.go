package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/inspect"
	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/webhook"
)

// The request catcher's pages and actions: a bin's custom response,
// search, downloads, the raw view and forwarding.

// responseForm is the custom response form as typed.
type responseForm struct {
	Status  string
	Headers string // "Name: value" lines
	Body    string
	Delay   string // seconds, decimals allowed
}

// formOf fills the form from a stored response (nil: the defaults).
func formOf(r *bin.Response) responseForm {
	if r == nil {
		return responseForm{Status: "200", Delay: "0"}
	}
	names := make([]string, 0, len(r.Headers))
	for k := range r.Headers {
		names = append(names, k)
	}
	slices.Sort(names)
	var lines []string
	for _, k := range names {
		lines = append(lines, k+": "+r.Headers[k])
	}
	return responseForm{Status: strconv.Itoa(r.Status), Headers: strings.Join(lines, "\n"), Body: r.Body,
		Delay: strconv.FormatFloat(float64(r.DelayMS)/1000, 'f', -1, 64)}
}

// parse reads the form into a response, with the errors of what cannot be
// read at all (the rest is the inspector's to check).
func (f responseForm) parse() (bin.Response, formErrors) {
	errs := formErrors{}
	var r bin.Response
	var err error
	if r.Status, err = strconv.Atoi(strings.TrimSpace(f.Status)); err != nil {
		errs.add("status", "must be a number from 200 to 599")
	}
	if s := strings.TrimSpace(f.Delay); s != "" {
		sec, err := strconv.ParseFloat(s, 64)
		if err != nil || sec < 0 || sec > inspect.MaxDelay.Seconds() {
			errs.add("delay", fmt.Sprintf("must be a number of seconds from 0 to %d", int(inspect.MaxDelay.Seconds())))
		} else {
			r.DelayMS = int(sec*1000 + 0.5)
		}
	}
	for n, line := range strings.Split(strings.ReplaceAll(f.Headers, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "" {
			errs.add("headers", fmt.Sprintf("line %d: write each header as Name: value", n+1))
			continue
		}
		if r.Headers == nil {
			r.Headers = map[string]string{}
		}
		r.Headers[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	// Browsers send text areas with CRLF line ends: the body is sent as
	// typed, with the line ends a person would expect of a text file.
	r.Body = strings.ReplaceAll(f.Body, "\r\n", "\n")
	return r, errs
}

// responseErrors places the inspector's problems with a response next to
// the form's fields.
func responseErrors(err error, errs formErrors) (formErrors, error) {
	e, ok := errors.AsType[*webhook.Error](err)
	if !ok || e.Code == webhook.EINTERNAL || e.Code == webhook.EUNAVAILABLE || e.Code == webhook.ENOTFOUND {
		return nil, err
	}
	for _, p := range e.Problems() {
		rest, _ := strings.CutPrefix(p.Field, "response.")
		field, sub, _ := strings.Cut(rest, ".")
		msg := p.Message
		switch field {
		case "delay_ms":
			field = "delay"
			msg = fmt.Sprintf("must be from 0 to %d seconds", int(inspect.MaxDelay.Seconds()))
		case "headers":
			if sub != "" {
				msg = sub + ": " + msg
			}
		case "status", "body":
		default:
			field = "status"
		}
		errs.add(field, msg)
	}
	return errs, nil
}

func (d *Dashboard) saveBinResponse(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := responseForm{Status: r.PostForm.Get("status"), Headers: r.PostForm.Get("headers"),
		Body: r.PostForm.Get("body"), Delay: r.PostForm.Get("delay")}
	resp, errs := f.parse()
	if len(errs) == 0 {
		b, err := d.cfg.Inspector.SetResponse(r.Context(), r.PathValue("id"), &resp)
		if err == nil {
			d.cfg.Registry.Audit(r.Context(), "bin.response", b.ID, strconv.Itoa(resp.Status))
			http.Redirect(w, r, link(r.Context(), "/inspector/"+b.ID+"?notice=bin-response#response-title"), http.StatusSeeOther)
			return nil
		}
		if errs, err = responseErrors(err, errs); err != nil {
			return err
		}
	}
	return d.renderBin(w, r, http.StatusUnprocessableEntity, &f, errs)
}

func (d *Dashboard) resetBinResponse(w http.ResponseWriter, r *http.Request) error {
	b, err := d.cfg.Inspector.SetResponse(r.Context(), r.PathValue("id"), nil)
	if err != nil {
		return err
	}
	d.cfg.Registry.Audit(r.Context(), "bin.response", b.ID, "default")
	http.Redirect(w, r, link(r.Context(), "/inspector/"+b.ID+"?notice=bin-response-reset#response-title"), http.StatusSeeOther)
	return nil
}

// binSearch reads the page's search terms; bad ones are shown next to the
// search form and the search is not run.
func binSearch(r *http.Request) (inspect.Query, formErrors) {
	q, err := inspect.ParseQuery(r.URL.Query())
	if err == nil {
		return q, nil
	}
	errs := formErrors{}
	if e, ok := errors.AsType[*webhook.Error](err); ok {
		for _, p := range e.Problems() {
			errs.add("search-"+p.Field, p.Message)
		}
	}
	return inspect.Query{}, errs
}

// exportBin downloads the bin's requests (those the search selects) as
// JSON or as a HAR 1.2 document.
func (d *Dashboard) exportBin(w http.ResponseWriter, r *http.Request) error {
	b, err := d.cfg.Inspector.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format != "json" && format != "har" {
		return webhook.Errorf(webhook.EINVALID, `format must be "json" or "har"`)
	}
	q, errs := binSearch(r)
	if errs != nil {
		return webhook.Errorf(webhook.EINVALID, "the search terms are not valid: go back to the bin and correct them")
	}
	q.Limit = inspect.MaxRequestsLimit
	reqs, err := d.cfg.Inspector.Search(r.Context(), b.ID, q)
	if err != nil {
		return err
	}
	var doc []byte
	if format == "har" {
		doc, err = inspect.HAR(reqs, d.cfg.Inspector.BaseURL(r), d.cfg.Version)
	} else {
		doc, err = inspect.JSON(reqs)
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Disposition", `attachment; filename="`+b.ID+"."+format+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc)
	return nil
}

// rawView is the raw view of a captured request.
type rawView struct {
	base
	Bin     bin.Bin
	Request bin.Request
	Text    string
	Escaped bool // some bytes are shown as \xNN
}

// binRequestRaw shows a captured request as it came over the wire, or
// downloads its exact bytes (?download=1).
func (d *Dashboard) binRequestRaw(w http.ResponseWriter, r *http.Request) error {
	b, err := d.cfg.Inspector.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	br, err := d.cfg.Inspector.Request(r.Context(), b.ID, r.PathValue("rid"))
	if err != nil {
		return err
	}
	raw := inspect.Raw(br)
	if r.URL.Query().Get("download") != "" {
		h := w.Header()
		h.Set("Content-Type", "message/http")
		h.Set("Content-Disposition", `attachment; filename="`+br.ID+`.http"`)
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(raw)
		return nil
	}
	text, escaped := printable(raw)
	d.render(w, r, http.StatusOK, "bin_raw", rawView{base: d.base(r, "Raw "+br.Method+" "+br.Path, "inspector"),
		Bin: b, Request: br, Text: text, Escaped: escaped})
	return nil
}

// printable shows raw bytes as text: CRLF line ends as line ends, tabs as
// tabs, and every other control byte or byte that is not UTF-8 as \xNN,
// so that nothing sent is hidden and nothing breaks the page.
func printable(raw []byte) (string, bool) {
	var sb strings.Builder
	escaped := false
	for len(raw) > 0 {
		c := raw[0]
		switch {
		case c == '\r' && len(raw) > 1 && raw[1] == '\n':
			sb.WriteByte('\n')
			raw = raw[2:]
			continue
		case c == '\n' || c == '\t':
			sb.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&sb, `\x%02x`, c)
			escaped = true
		case c < utf8.RuneSelf:
			sb.WriteByte(c)
		default:
			ru, n := utf8.DecodeRune(raw)
			if ru == utf8.RuneError && n <= 1 {
				fmt.Fprintf(&sb, `\x%02x`, c)
				escaped = true
				raw = raw[1:]
				continue
			}
			sb.Write(raw[:n])
			raw = raw[n:]
			continue
		}
		raw = raw[1:]
	}
	return sb.String(), escaped
}

// forwardView is a captured request's page with what a forward of it
// got back.
type forwardView struct {
	Target string
	Error  string
	Result *inspect.Forwarded
	Body   bodyView
}

// forwardBinRequest sends a captured request to a URL now and shows what
// came back on the request's page, as a test send does.
func (d *Dashboard) forwardBinRequest(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	target := strings.TrimSpace(r.PostForm.Get("url"))
	fv := forwardView{Target: target}
	f, err := d.cfg.Inspector.Forward(r.Context(), r.PathValue("id"), r.PathValue("rid"), target)
	status := http.StatusOK
	if err != nil {
		if webhook.ErrorCode(err) == webhook.ENOTFOUND {
			return err
		}
		errs, top, ferr := fieldErrors(err, "url")
		if ferr != nil {
			return ferr
		}
		if msg := errs["url"]; msg != "" {
			top = msg
		}
		fv.Error, status = forwardMessage(target, top), http.StatusUnprocessableEntity
		d.cfg.Registry.Audit(r.Context(), "bin.forward", r.PathValue("rid"), target+": "+fv.Error)
	} else {
		d.cfg.Registry.Audit(r.Context(), "bin.forward", r.PathValue("rid"), f.URL+": "+http.StatusText(f.Status))
		fv.Result = &f
		body := []byte(f.Body)
		if f.Encoding == "base64" {
			fv.Body = bodyView{Kind: "base64", Text: f.Body, Original: len(f.Body)}
		} else {
			fv.Body = bodyText(body, displayLimit)
		}
	}
	return d.renderBinRequest(w, r, status, &fv)
}

// forwardMessage is the message of a refused forward; fieldErrors gives
// the field's message without the field's name.
func forwardMessage(target, msg string) string {
	if msg == "" {
		msg = "the request could not be forwarded"
	}
	if target == "" {
		return "Enter the URL to forward the request to."
	}
	return "Not forwarded: the URL " + msg
}

// searchLink is the query string of a search, for download links.
func searchLink(q inspect.Query) string {
	v := q.Values()
	if len(v) == 0 {
		return ""
	}
	return "&" + v.Encode()
}

// fmtDelay shows a custom response's delay in seconds.
func fmtDelay(ms int) string {
	return strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64) + " s"
}
