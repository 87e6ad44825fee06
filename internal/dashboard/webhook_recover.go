package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/webhook"
)

// recoverView is the "Recover failed deliveries" card of a webhook page.
// Its first form is a GET (rsince, runtil, rtype): the page then shows
// how many failed deliveries the window holds (a dry run, which changes
// nothing), and only then the POST that re-queues them.
type recoverView struct {
	Since, Until, Type string
	// Checked says the window was counted: Count is the dry run's answer.
	Checked bool
	Count   int
	// Window is the counted window in words.
	Window string
	Errors formErrors
	Error  string
	// Done is the count a finished recovery re-queued (-1: none ran).
	Done int
}

// recoverInput reads the recovery form (from a query or a POST).
func recoverInput(vals url.Values, now time.Time) (recoverView, registry.RecoverInput, formErrors) {
	v := recoverView{Since: strings.TrimSpace(vals.Get("rsince")), Until: strings.TrimSpace(vals.Get("runtil")),
		Type: truncate(strings.TrimSpace(vals.Get("rtype")), 200), Done: -1}
	var in registry.RecoverInput
	errs := formErrors{}
	if v.Since == "" {
		errs.add("since", "Enter the start of the window.")
	} else if t, ok := parseFormTime(v.Since); ok {
		in.Since = &t
	} else {
		errs.add("since", "Enter a date and time such as 2026-06-01T14:30 (UTC).")
	}
	if v.Until != "" {
		if t, ok := parseFormTime(v.Until); ok {
			in.Until = &t
		} else {
			errs.add("until", "Enter a date and time such as 2026-06-01T18:00 (UTC), or leave it empty for now.")
		}
	}
	if v.Type != "" {
		in.EventTypes = []string{v.Type}
	}
	if len(errs) == 0 {
		errs = nil
	}
	return v, in, errs
}

// recoverPreview fills the card from the page's query: the form's values,
// and the dry run's count when a window was given.
func (d *Dashboard) recoverPreview(ctx context.Context, q url.Values, wh webhook.Webhook) recoverView {
	now := d.cfg.Now().UTC()
	if q.Get("rsince") == "" && q.Get("runtil") == "" {
		v := recoverView{Since: now.Add(-24 * time.Hour).Format("2006-01-02T15:04"), Done: -1}
		if q.Get("notice") == "recovered" {
			if n, err := strconv.Atoi(q.Get("n")); err == nil && n >= 0 {
				v.Done = n
			}
		}
		return v
	}
	v, in, errs := recoverInput(q, now)
	if errs != nil {
		v.Errors = errs
		return v
	}
	in.DryRun = true
	res, err := d.cfg.Registry.Recover(ctx, wh.ID, in)
	if err != nil {
		v.Errors, v.Error = recoverErrors(err)
		return v
	}
	v.Checked, v.Count = true, res.Count
	v.Window = res.Since.Format("2006-01-02 15:04") + " to " + res.Until.Format("2006-01-02 15:04") + " UTC"
	return v
}

// recoverErrors places a recovery's problems next to its fields.
func recoverErrors(err error) (formErrors, string) {
	errs, top, ferr := fieldErrors(err, "since", "until", "event_types")
	if ferr != nil {
		return nil, "Counting failed deliveries failed; try again."
	}
	if m, ok := errs["event_types"]; ok {
		errs.add("type", m)
		delete(errs, "event_types")
	}
	return errs, top
}

// recoverDeliveries re-queues the failed deliveries of the window the
// card counted, and goes back to the page with the count (or shows the
// card's problems).
func (d *Dashboard) recoverDeliveries(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	v, in, errs := recoverInput(r.PostForm, d.cfg.Now().UTC())
	var n int
	var top string
	if errs == nil {
		res, err := d.cfg.Registry.Recover(r.Context(), id, in)
		if err != nil {
			if code := webhook.ErrorCode(err); code == webhook.ENOTFOUND || code == webhook.EINTERNAL || code == webhook.EUNAVAILABLE {
				return err
			}
			errs, top = recoverErrors(err)
		}
		n = res.Count
	}
	if errs != nil || top != "" {
		wh, err := d.cfg.Store.WebhookGet(r.Context(), auth.ScopeFrom(r.Context()), id)
		if err != nil {
			return err
		}
		page, err := d.editView(r, wh, formFromWebhook(wh))
		if err != nil {
			return err
		}
		v.Errors, v.Error = errs, top
		page.Recover = v
		d.render(w, r, http.StatusUnprocessableEntity, "webhook_edit", page)
		return nil
	}
	d.cfg.Wake()
	http.Redirect(w, r, link(r.Context(), "/webhooks/"+id+"?notice=recovered&n="+strconv.Itoa(n)+"#recover"), http.StatusSeeOther)
	return nil
}
