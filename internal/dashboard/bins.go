package dashboard

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/webhook"
)

type binRow struct {
	bin.Bin
	URL string
}

type binsView struct {
	base
	Bins   []binRow
	Name   string
	Errors formErrors
}

// bins lists the request inspector's bins, with the form to make one.
func (d *Dashboard) bins(w http.ResponseWriter, r *http.Request) error {
	v := binsView{base: d.base(r, "Request inspector", "inspector")}
	if err := d.loadBins(r, &v); err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "bins", v)
	return nil
}

func (d *Dashboard) loadBins(r *http.Request, v *binsView) error {
	list, err := d.cfg.Inspector.List(r.Context())
	if err != nil {
		return err
	}
	for _, b := range list {
		v.Bins = append(v.Bins, binRow{Bin: b, URL: d.cfg.Inspector.URL(r, b)})
	}
	return nil
}

func (d *Dashboard) createBin(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	name := r.PostForm.Get("name")
	b, err := d.cfg.Inspector.Create(r.Context(), name)
	if err != nil {
		errs, top, err := fieldErrors(err, "name")
		if err != nil {
			return err
		}
		if top != "" {
			errs = formErrors{"name": top}
		}
		v := binsView{base: d.base(r, "Request inspector", "inspector"), Name: name, Errors: errs}
		if err := d.loadBins(r, &v); err != nil {
			return err
		}
		d.render(w, r, http.StatusUnprocessableEntity, "bins", v)
		return nil
	}
	d.cfg.Registry.Audit(r.Context(), "bin.create", b.ID, b.Name)
	http.Redirect(w, r, link(r.Context(), "/inspector/"+b.ID+"?notice=bin-created"), http.StatusSeeOther)
	return nil
}

func (d *Dashboard) deleteBin(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := d.cfg.Inspector.Delete(r.Context(), id); err != nil {
		return err
	}
	d.cfg.Registry.Audit(r.Context(), "bin.delete", id, "")
	http.Redirect(w, r, link(r.Context(), "/inspector?notice=bin-deleted"), http.StatusSeeOther)
	return nil
}

// useBin creates a webhook for every event type pointing at the bin, in
// one click, through the registry like any other webhook.
func (d *Dashboard) useBin(w http.ResponseWriter, r *http.Request) error {
	b, err := d.cfg.Inspector.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	name := "Inspector: " + b.Name
	if utf8.RuneCountInString(name) > registry.MaxName {
		name = string([]rune(name)[:registry.MaxName])
	}
	u := d.cfg.Inspector.URL(r, b)
	// Every event type the principal may subscribe to: "*", or for a
	// portal session limited to some types, those.
	events := []string{webhook.AllEvents}
	if types, all, err := d.offeredTypes(r.Context()); err != nil {
		return err
	} else if !all {
		events = events[:0]
		for _, t := range types {
			events = append(events, t.Slug)
		}
	}
	wh, _, err := d.cfg.Registry.CreateWebhook(r.Context(), registry.WebhookInput{
		Name: &name, URL: &u, Events: events,
	})
	if err != nil {
		if e, ok := errors.AsType[*webhook.Error](err); ok && e.Field == "url" && e.Code == webhook.EUNPROCESSABLE {
			return webhook.Errorf(webhook.EUNPROCESSABLE,
				"The SSRF guard refuses this bin's URL (%s) because it points to a private or loopback address. "+
					"Set HOOKLINE_PUBLIC_URL to the address this server is reached at (for example https://hooks.example.com), "+
					"or allow loopback for local development with --allow-private-targets 127.0.0.1/32.", u)
		}
		return err
	}
	http.Redirect(w, r, link(r.Context(), "/webhooks/"+wh.ID+"?notice=bin-used"), http.StatusSeeOther)
	return nil
}

func isBinURLFor(rawURL, token string) bool {
	return strings.Contains(rawURL, "/bins/"+token)
}
