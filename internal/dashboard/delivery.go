package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

type deliveryView struct {
	base
	Delivery   deliveryRow
	Webhook    webhook.Webhook
	HasWebhook bool
	Event      webhook.Event
	HasEvent   bool
}

// delivery shows one delivery with every attempt.
func (d *Dashboard) delivery(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	dl, err := d.cfg.Store.DeliveryGet(ctx, auth.ScopeFrom(ctx), r.PathValue("id"))
	if err != nil {
		return err
	}
	rows, err := d.deliveryRows(ctx, []webhook.Delivery{dl})
	if err != nil {
		return err
	}
	v := deliveryView{base: d.base(r, "Delivery "+dl.ID, "events"), Delivery: rows[0]}
	if wh, err := d.cfg.Store.WebhookGet(ctx, auth.ScopeFrom(ctx), dl.WebhookID); err == nil {
		v.Webhook, v.HasWebhook = wh, true
	} else if webhook.ErrorCode(err) != webhook.ENOTFOUND {
		return err
	}
	if ev, err := d.cfg.Store.EventGet(ctx, auth.ScopeFrom(ctx), dl.EventID); err == nil {
		v.Event, v.HasEvent = ev, true
	} else if webhook.ErrorCode(err) != webhook.ENOTFOUND {
		return err
	}
	if n, ok := retriedNotice(r.URL.Query(), v.Delivery); ok {
		v.Notice = n
	}
	d.render(w, r, http.StatusOK, "delivery", v)
	return nil
}

// retryDelivery makes a delivery due now, whatever its state, and goes
// back to the page the button was on.
func (d *Dashboard) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	at := time.Now()
	if _, err := d.cfg.Registry.Retry(r.Context(), id); err != nil {
		return err
	}
	d.cfg.Wake()
	back := safeReturn(r.Context(), r.PostForm.Get("return"))
	if back == "" {
		back = link(r.Context(), "/deliveries/"+id)
	}
	back = withNotice(back, "retried")
	if u, err := url.Parse(back); err == nil {
		q := u.Query()
		q.Set("retried", id)
		q.Set("at", strconv.FormatInt(at.UnixMicro(), 10))
		u.RawQuery = q.Encode()
		back = u.String()
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// retriedNotice words the notice shown after a manual retry of row from
// what has happened since (?retried=ID&at=microseconds): the page often
// loads after the new attempt has run, and "queued for another attempt"
// beside its failure reads as if nothing happened. ok is false when the
// query is about another delivery, or no attempt has run since: the
// default notice then holds.
func retriedNotice(q url.Values, row deliveryRow) (notice string, ok bool) {
	if q.Get("notice") != "retried" || q.Get("retried") != row.ID {
		return "", false
	}
	at, err := strconv.ParseInt(q.Get("at"), 10, 64)
	if err != nil {
		return "", false
	}
	for _, a := range row.AttemptList { // newest first
		if a.Test || a.StartedAt.UnixMicro() < at {
			continue
		}
		answer := a.Answer
		if answer == "" {
			answer = "no answer"
		}
		switch a.Outcome {
		case webhook.OutcomeDelivered:
			return fmt.Sprintf("Retried: attempt %d was delivered (%s).", a.Number, answer), true
		case webhook.OutcomeRetry:
			return fmt.Sprintf("Retried: attempt %d failed (%s); the next attempt follows the retry schedule.", a.Number, answer), true
		default:
			return fmt.Sprintf("Retried: attempt %d failed (%s).", a.Number, answer), true
		}
	}
	return "", false
}

// withNotice sets ?notice= on a local path, keeping any #fragment.
func withNotice(path, notice string) string {
	u, err := url.Parse(path)
	if err != nil {
		return "/?notice=" + notice
	}
	q := u.Query()
	q.Del("n")
	q.Set("notice", notice)
	u.RawQuery = q.Encode()
	return u.String()
}
