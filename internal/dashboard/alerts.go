package dashboard

import (
	"net/http"
	"strings"

	"github.com/hookline/hookline/internal/alert"
	"github.com/hookline/hookline/internal/alerting"
	"github.com/hookline/hookline/internal/webhook"
)

// alertForm is the new-channel form, as typed.
type alertForm struct {
	Type   string
	URL    string
	To     string // addresses, separated by commas, spaces or lines
	Kinds  []string
	Tenant string
}

func (f alertForm) Has(k string) bool {
	for _, x := range f.Kinds {
		if x == k {
			return true
		}
	}
	return false
}

func alertFormFrom(r *http.Request) alertForm {
	p := r.PostForm
	return alertForm{Type: p.Get("type"), URL: strings.TrimSpace(p.Get("url")), To: p.Get("to"),
		Kinds: p["kinds"], Tenant: strings.TrimSpace(p.Get("tenant"))}
}

func (f alertForm) input() alert.Input {
	in := alert.Input{Type: f.Type, Tenant: f.Tenant}
	if f.Type == alert.TypeSlack {
		in.URL = f.URL
	} else {
		in.To = strings.FieldsFunc(f.To, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	}
	for _, k := range f.Kinds {
		in.Kinds = append(in.Kinds, alert.Kind(k))
	}
	return in
}

// alertTest is the outcome of "Send test alert", shown on the page.
type alertTest struct {
	Channel alert.Channel
	Error   string
}

type alertsView struct {
	base
	Channels []alert.Channel
	Settings alerting.Settings
	Kinds    []alert.Kind
	Form     alertForm
	Errors   formErrors
	Error    string
	Test     *alertTest
}

func (d *Dashboard) alertsView(r *http.Request, f alertForm) (alertsView, error) {
	v := alertsView{base: d.base(r, "Alerts", "alerts"), Form: f, Kinds: alert.Kinds}
	if d.cfg.Alerts != nil {
		v.Settings = d.cfg.Alerts.Settings()
	}
	cs, err := d.cfg.Store.AlertChannelList(r.Context())
	if err != nil {
		return v, err
	}
	for _, c := range cs {
		v.Channels = append(v.Channels, c.Masked())
	}
	return v, nil
}

// alerts lists the alert channels with a form to add one.
func (d *Dashboard) alerts(w http.ResponseWriter, r *http.Request) error {
	v, err := d.alertsView(r, alertForm{Type: alert.TypeSlack, Kinds: []string{string(alert.KindFailing), string(alert.KindDisabled)}})
	if err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "alerts", v)
	return nil
}

// createAlertChannel adds a channel with the REST API's checks.
func (d *Dashboard) createAlertChannel(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := alertFormFrom(r)
	if d.cfg.Alerts == nil {
		return errAlertsOff
	}
	c, err := d.cfg.Alerts.Check(r.Context(), f.input())
	if err == nil {
		err = d.cfg.Store.AlertChannelCreate(r.Context(), c)
	}
	if err != nil {
		errs, top, err := fieldErrors(err, "type", "url", "to", "kinds", "tenant")
		if err != nil {
			return err
		}
		v, err := d.alertsView(r, f)
		if err != nil {
			return err
		}
		v.Errors, v.Error = errs, top
		d.render(w, r, http.StatusUnprocessableEntity, "alerts", v)
		return nil
	}
	d.cfg.Registry.Audit(r.Context(), "alert_channel.create", c.ID, c.Type)
	http.Redirect(w, r, "/alerts?notice=alert-added#"+c.ID, http.StatusSeeOther)
	return nil
}

// deleteAlertChannel removes a channel.
func (d *Dashboard) deleteAlertChannel(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := d.cfg.Store.AlertChannelDelete(r.Context(), id); err != nil {
		return err
	}
	d.cfg.Registry.Audit(r.Context(), "alert_channel.delete", id, "")
	http.Redirect(w, r, "/alerts?notice=alert-deleted", http.StatusSeeOther)
	return nil
}

// testAlertChannel sends a test alert now and shows how it went on the
// page itself (the answer to the POST: no text travels in a URL).
func (d *Dashboard) testAlertChannel(w http.ResponseWriter, r *http.Request) error {
	if d.cfg.Alerts == nil {
		return errAlertsOff
	}
	c, err := d.cfg.Store.AlertChannelGet(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	res := &alertTest{Channel: c.Masked()}
	if err := d.cfg.Alerts.Test(r.Context(), c); err != nil {
		res.Error = err.Error()
	}
	d.cfg.Registry.Audit(r.Context(), "alert_channel.test", c.ID, res.Error)
	v, err := d.alertsView(r, alertForm{Type: alert.TypeSlack, Kinds: []string{string(alert.KindFailing), string(alert.KindDisabled)}})
	if err != nil {
		return err
	}
	v.Test = res
	d.render(w, r, http.StatusOK, "alerts", v)
	return nil
}

// errAlertsOff answers when the dashboard was built without alerting
// (tests of other pages).
var errAlertsOff = &webhook.Error{Code: webhook.ENOTFOUND, Message: "alerting is not enabled on this server"}
