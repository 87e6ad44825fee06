package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/stats"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// deliveryPageSize is the number of deliveries shown per page of a
// webhook's delivery log.
const deliveryPageSize = 20

type attemptView struct {
	webhook.Attempt
	ReqBody  bodyView
	RespBody bodyView
}

func newAttemptView(a webhook.Attempt) attemptView {
	return attemptView{Attempt: a, ReqBody: bodyText(a.RequestBody, displayLimit), RespBody: bodyText(a.ResponseBody, displayLimit)}
}

type deliveryRow struct {
	webhook.Delivery
	// Surface is where the row's links and buttons lead.
	Surface      surface
	AttemptList  []attemptView // newest first
	LastDuration float64
}

type secretState struct {
	Revealed bool
	Rotated  bool
	Secrets  []webhook.Secret
}

type webhookEditView struct {
	base
	Webhook webhook.Webhook
	Form    webhookForm
	Errors  formErrors
	Error   string
	Types   []webhook.EventType
	// AllEvents offers "*" (every event type) in the form.
	AllEvents bool
	// TestTypes are the types a test can send: the subscribed ones.
	TestTypes   []webhook.EventType
	Deliveries  []deliveryRow
	NextURL     string
	FirstURL    string
	Secret      secretState
	ReplaySince string
	ReplayError string
	Replayed    int
	Tests       []attemptView
	Health      healthView
	// Filter is the delivery log's filter form.
	Filter  deliveryFilter
	Recover recoverView
}

// editView loads everything the edit page shows besides the form.
func (d *Dashboard) editView(r *http.Request, wh webhook.Webhook, f webhookForm) (webhookEditView, error) {
	ctx := r.Context()
	v := webhookEditView{base: d.base(r, wh.Name, "webhooks"), Webhook: wh, Form: f, Replayed: -1}
	if r.URL.Query().Get("notice") == "replayed" {
		if n, err := strconv.Atoi(r.URL.Query().Get("n")); err == nil && n >= 0 {
			v.Replayed = n
		}
	}
	types, err := d.cfg.Store.EventTypeList(ctx)
	if err != nil {
		return v, err
	}
	if v.Types, v.AllEvents, err = d.offeredTypes(ctx); err != nil {
		return v, err
	}
	// What the webhook has stays in the list, even if this session could
	// not add it now.
	for _, t := range types {
		if slices.Contains(wh.Events, t.Slug) && !slices.ContainsFunc(v.Types, func(x webhook.EventType) bool { return x.Slug == t.Slug }) {
			v.Types = append(v.Types, t)
		}
	}
	v.AllEvents = v.AllEvents || slices.Contains(wh.Events, webhook.AllEvents)
	for _, t := range types {
		if wh.Subscribes(t.Slug) {
			v.TestTypes = append(v.TestTypes, t)
		}
	}
	cursor := r.URL.Query().Get("dcursor")
	lp := store.DeliveryListParams{Scope: auth.ScopeFrom(ctx), WebhookID: wh.ID, Cursor: cursor, Limit: deliveryPageSize}
	v.Filter = deliveryFilterFrom(r.URL.Query(), &lp)
	var page store.DeliveryPage
	if v.Filter.Errors == nil {
		if page, err = d.cfg.Store.DeliveryList(ctx, lp); err != nil {
			return v, err
		}
	}
	if v.Deliveries, err = d.deliveryRows(ctx, page.Deliveries); err != nil {
		return v, err
	}
	for _, row := range v.Deliveries {
		if n, ok := retriedNotice(r.URL.Query(), row); ok {
			v.Notice = n
		}
	}
	// The paging links keep the filters.
	self := v.Root + "/webhooks/" + wh.ID
	filters := v.Filter.values()
	if page.Next != "" {
		q := url.Values{"dcursor": {page.Next}}
		for k, vals := range filters {
			q[k] = vals
		}
		v.NextURL = self + "?" + q.Encode() + "#deliveries"
	}
	if cursor != "" {
		v.FirstURL = self + "#deliveries"
		if len(filters) > 0 {
			v.FirstURL = self + "?" + filters.Encode() + "#deliveries"
		}
	}
	if !v.ReadOnly {
		v.Recover = d.recoverPreview(ctx, r.URL.Query(), wh)
	}
	v.Health, err = d.healthFor(ctx, r, stats.Selection{Scope: auth.ScopeFrom(ctx), WebhookID: wh.ID}, v.Root+"/webhooks/"+wh.ID)
	if err != nil {
		return v, err
	}
	recent, err := d.cfg.Store.AttemptListByWebhook(ctx, auth.ScopeFrom(ctx), wh.ID, 50)
	if err != nil {
		return v, err
	}
	for _, a := range recent {
		if a.Test && len(v.Tests) < 5 {
			v.Tests = append(v.Tests, newAttemptView(a))
		}
	}
	return v, nil
}

func (d *Dashboard) deliveryRows(ctx context.Context, ds []webhook.Delivery) ([]deliveryRow, error) {
	rows := make([]deliveryRow, 0, len(ds))
	for _, dl := range ds {
		atts, err := d.cfg.Store.AttemptList(ctx, auth.ScopeFrom(ctx), dl.ID)
		if err != nil {
			return nil, err
		}
		row := deliveryRow{Delivery: dl, Surface: surfaceOf(ctx)}
		// Newest attempt first, like the log itself.
		for i := len(atts) - 1; i >= 0; i-- {
			row.AttemptList = append(row.AttemptList, newAttemptView(atts[i]))
		}
		if len(atts) > 0 {
			row.LastDuration = atts[len(atts)-1].DurationMS
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func (d *Dashboard) editWebhook(w http.ResponseWriter, r *http.Request) error {
	wh, err := d.cfg.Store.WebhookGet(r.Context(), auth.ScopeFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	v, err := d.editView(r, wh, formFromWebhook(wh))
	if err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "webhook_edit", v)
	return nil
}

func (d *Dashboard) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	f := webhookFormFrom(r, surfaceOf(r.Context()))
	err := d.saveWebhook(r.Context(), f, func(in registry.WebhookInput) error {
		_, err := d.cfg.Registry.UpdateWebhook(r.Context(), id, in)
		return err
	})
	if err != nil {
		errs, top, err := fieldErrors(err, webhookFields...)
		if err != nil {
			return err
		}
		wh, err := d.cfg.Store.WebhookGet(r.Context(), auth.ScopeFrom(r.Context()), id)
		if err != nil {
			return err
		}
		v, err := d.editView(r, wh, f)
		if err != nil {
			return err
		}
		v.Errors, v.Error = errs, top
		d.render(w, r, http.StatusUnprocessableEntity, "webhook_edit", v)
		return nil
	}
	http.Redirect(w, r, link(r.Context(), "/webhooks/"+id+"?notice=saved"), http.StatusSeeOther)
	return nil
}
