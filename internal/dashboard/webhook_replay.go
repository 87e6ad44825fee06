package dashboard

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

// replayLayouts are accepted for the "since" field: what a datetime-local
// input sends (read as UTC, as the label says) and RFC 3339.
var replayLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339}

// replay re-delivers the webhook's events since a time.
func (d *Dashboard) replay(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	raw := strings.TrimSpace(r.PostForm.Get("since"))
	since, perr := parseSince(raw)
	var n int
	err := perr
	if err == nil {
		n, err = d.cfg.Registry.Replay(r.Context(), id, since)
	}
	if err != nil {
		_, top, err := fieldErrors(err)
		if err != nil {
			return err
		}
		wh, err := d.cfg.Store.WebhookGet(r.Context(), auth.ScopeFrom(r.Context()), id)
		if err != nil {
			return err
		}
		v, err := d.editView(r, wh, formFromWebhook(wh))
		if err != nil {
			return err
		}
		v.ReplaySince, v.ReplayError = raw, top
		d.render(w, r, http.StatusUnprocessableEntity, "webhook_edit", v)
		return nil
	}
	d.cfg.Wake()
	http.Redirect(w, r, link(r.Context(), "/webhooks/"+id+"?notice=replayed&n="+strconv.Itoa(n)+"#replay"), http.StatusSeeOther)
	return nil
}

func parseSince(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, webhook.FieldError(webhook.EINVALID, "since", "is required")
	}
	for _, l := range replayLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, webhook.FieldError(webhook.EINVALID, "since", "must be a date and time such as 2025-06-01T14:30 (UTC)")
}
