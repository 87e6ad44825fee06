package dashboard

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/inspect"
	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/shutdown"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

type binRequestView struct {
	bin.Request
	Body          bodyView
	Verdict       inspect.Verdict
	VerdictDetail string
	Checked       bool // a webhook was chosen to check signatures against
	BinID         string
	Full          bool  // the whole body is shown
	Kept          int64 // stored body bytes
}

type binView struct {
	base
	Bin       bin.Bin
	URL       string
	Requests  []binRequestView
	Webhooks  []webhook.Webhook
	VerifyID  string
	StreamURL string
	Max       int
	// Response is the custom response form, Errors its problems and
	// those of the search.
	Response responseForm
	Errors   formErrors
	// Search holds the search terms; Searching is true when any is set
	// (the list shows the matches, and does not update live).
	Search    inspect.Query
	Searching bool
	// ExportJSON and ExportHAR are the download links, with the search
	// terms.
	ExportJSON, ExportHAR string
}

// bin shows a bin's captured requests; new ones appear live (see
// binStream) with JavaScript, or on reload without.
func (d *Dashboard) bin(w http.ResponseWriter, r *http.Request) error {
	return d.renderBin(w, r, http.StatusOK, nil, nil)
}

// renderBin renders a bin's page; form, when not nil, is the custom
// response form as sent, with its errors.
func (d *Dashboard) renderBin(w http.ResponseWriter, r *http.Request, status int, form *responseForm, errs formErrors) error {
	ctx := r.Context()
	b, err := d.cfg.Inspector.Get(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := binView{base: d.base(r, b.Name, "inspector"), Bin: b, URL: d.cfg.Inspector.URL(r, b), Max: b.MaxRequests,
		Response: formOf(b.Response), Errors: errs}
	if form != nil {
		v.Response = *form
	}
	q, searchErrs := binSearch(r)
	if searchErrs != nil && status == http.StatusOK {
		status = http.StatusUnprocessableEntity
	}
	for k, m := range searchErrs {
		if v.Errors == nil {
			v.Errors = formErrors{}
		}
		v.Errors.add(k, m)
	}
	v.Search = inspect.Query{Method: r.URL.Query().Get("method"), Path: r.URL.Query().Get("path"),
		Header: r.URL.Query().Get("header"), Body: r.URL.Query().Get("body")}
	v.Searching = !v.Search.Empty()
	v.ExportJSON = v.Root + "/inspector/" + b.ID + "/export?format=json" + searchLink(q)
	v.ExportHAR = v.Root + "/inspector/" + b.ID + "/export?format=har" + searchLink(q)
	page, err := d.cfg.Store.WebhookList(ctx, store.WebhookListParams{Scope: auth.ScopeFrom(ctx), Limit: 200})
	if err != nil {
		return err
	}
	v.Webhooks = page.Webhooks
	v.VerifyID = r.URL.Query().Get("verify")
	if v.VerifyID == "" {
		// By default check against a webhook that points at this bin.
		for _, wh := range v.Webhooks {
			if isBinURLFor(wh.URL, b.Token) {
				v.VerifyID = wh.ID
				break
			}
		}
	}
	secrets, err := d.verifySecrets(ctx, v.VerifyID)
	if err != nil {
		return err
	}
	if secrets == nil {
		v.VerifyID = "" // "none" or a webhook that is gone
	}
	var reqs []bin.Request
	switch {
	case searchErrs != nil: // nothing to show until the terms are right
	case v.Searching:
		q.Limit = inspect.MaxRequestsLimit
		reqs, err = d.cfg.Inspector.Search(ctx, b.ID, q)
	default:
		reqs, err = d.cfg.Inspector.Requests(ctx, b.ID)
	}
	if err != nil {
		return err
	}
	for _, br := range reqs {
		v.Requests = append(v.Requests, newBinRequestView(br, secrets, displayLimit))
	}
	// A search result stays as it is; the full list updates live.
	if !v.Searching && searchErrs == nil {
		v.StreamURL = v.Root + "/inspector/" + b.ID + "/stream?verify=" + urlQueryEscape(v.VerifyID)
		if len(reqs) > 0 {
			v.StreamURL += "&after=" + urlQueryEscape(reqs[0].ID)
		}
	}
	d.render(w, r, status, "bin", v)
	return nil
}

// verifySecrets returns the secrets of the webhook to check signatures
// against, or nil when there is none (no choice, or it was deleted).
func (d *Dashboard) verifySecrets(ctx context.Context, webhookID string) ([]string, error) {
	if webhookID == "" || webhookID == "none" {
		return nil, nil
	}
	secrets, err := d.cfg.Registry.Secrets(ctx, webhookID)
	if webhook.ErrorCode(err) == webhook.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(secrets))
	for _, s := range secrets {
		out = append(out, s.Value)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func newBinRequestView(br bin.Request, secrets []string, limit int) binRequestView {
	v := binRequestView{Request: br, Body: bodyText(br.Body, limit), BinID: br.BinID, Checked: secrets != nil, Full: limit <= 0,
		Kept: int64(len(br.Body))}
	if secrets != nil {
		v.Verdict, v.VerdictDetail = inspect.Check(br, secrets)
	} else if !inspect.Signed(br) {
		v.Verdict = inspect.Unsigned
	}
	return v
}

// binRequest shows one captured request with its whole stored body.
func (d *Dashboard) binRequest(w http.ResponseWriter, r *http.Request) error {
	return d.renderBinRequest(w, r, http.StatusOK, nil)
}

// renderBinRequest renders a captured request's page; fv, when not nil,
// is the result of forwarding it.
func (d *Dashboard) renderBinRequest(w http.ResponseWriter, r *http.Request, status int, fv *forwardView) error {
	ctx := r.Context()
	b, err := d.cfg.Inspector.Get(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	br, err := d.cfg.Inspector.Request(ctx, b.ID, r.PathValue("rid"))
	if err != nil {
		return err
	}
	verifyID := r.URL.Query().Get("verify")
	secrets, err := d.verifySecrets(ctx, verifyID)
	if err != nil {
		return err
	}
	v := struct {
		base
		Bin     bin.Bin
		Request binRequestView
		Forward *forwardView
	}{d.base(r, br.Method+" "+br.Path, "inspector"), b, newBinRequestView(br, secrets, 0), fv}
	d.render(w, r, status, "bin_request", v)
	return nil
}

// binStream sends the bin's new requests as server-sent events, each one
// the same HTML fragment the page renders (escaped by the template), until
// the browser goes away or the server shuts down.
func (d *Dashboard) binStream(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	b, err := d.cfg.Inspector.Get(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	secrets, err := d.verifySecrets(ctx, r.URL.Query().Get("verify"))
	if err != nil {
		return err
	}
	after := r.Header.Get("Last-Event-ID")
	if after == "" {
		after = r.URL.Query().Get("after")
	}
	if after != "" && !webhook.HasPrefix(after, bin.PrefixRequest) {
		after = ""
	}
	stop := shutdown.Signal(r) // before the first byte (see Signal)
	rc := http.NewResponseController(w)
	// A stream outlives the server's write timeout; it ends with the
	// client, or at shutdown below.
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	var mu sync.Mutex
	write := func(s string) error {
		mu.Lock()
		defer mu.Unlock()
		if _, err := io.WriteString(w, s); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := write("retry: 2000\n: connected\n\n"); err != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	// The keep-alive goroutine writes to w: it must be gone before the
	// handler returns.
	keepAliveDone := make(chan struct{})
	defer func() {
		cancel()
		<-keepAliveDone
	}()
	go func() {
		defer close(keepAliveDone)
		t := time.NewTicker(25 * time.Second) // keeps proxies from closing an idle stream
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-stop:
				cancel()
				return
			case <-t.C:
				if write(": ping\n\n") != nil {
					cancel()
					return
				}
			}
		}
	}()
	err = d.cfg.Inspector.Watch(ctx, b.ID, after, func(reqs []bin.Request) error {
		for _, br := range reqs {
			var buf bytes.Buffer
			if err := d.fragment(&buf, "bin", "bin-request", newBinRequestView(br, secrets, displayLimit)); err != nil {
				return err
			}
			if err := write(sseEvent(br.ID, "request", buf.String())); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		d.log.Debug("dashboard: bin stream ended", "bin_id", b.ID, "err", err)
	}
	return nil
}

func sseEvent(id, event, data string) string {
	var sb strings.Builder
	sb.WriteString("id: " + id + "\nevent: " + event + "\n")
	for line := range strings.Lines(data) {
		sb.WriteString("data: " + strings.TrimRight(line, "\r\n") + "\n")
	}
	sb.WriteString("\n")
	return sb.String()
}
