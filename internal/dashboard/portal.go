package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/reqid"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// PortalCookie is the name of the customer portal's session cookie.
const PortalCookie = "hookline_portal"

// portalPath scopes the portal cookie: the admin dashboard never sees it.
const portalPath = "/portal/"

// portalRoutes lists the customer portal's routes: a tenant signed in by a
// magic link (auth.Portals), not a dashboard user. Every route but the
// link's own needs a portal session and acts as its principal, so the
// store sees the tenant's scope only.
func (d *Dashboard) portalRoutes() []route {
	return []route{
		{"GET /portal/open", public, d.portalOpen},
		{"GET /portal/{$}", user, d.portalHome},
	}
}

// handlePortal is handle for the portal: the dashboard's security headers,
// and a portal session instead of a dashboard one.
func (d *Dashboard) handlePortal(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		// The link's token is in the URL: never send it on as a referrer.
		h.Set("Referrer-Policy", "no-referrer")
		if rt.access == user {
			l, ok := d.portalSession(w, r)
			if !ok {
				d.portalError(w, r, http.StatusUnauthorized, "Link expired or missing",
					"This portal page needs a sign-in link, and yours is missing or has expired. "+
						"Open the portal again from the application that sent you here.", "")
				return
			}
			ctx := context.WithValue(r.Context(), portalLinkKey{}, l)
			r = r.WithContext(auth.WithPrincipal(ctx, auth.PortalPrincipal(l)))
		}
		if err := rt.handler(w, r); err != nil {
			d.portalFail(w, r, err)
		}
	})
}

// portalSession returns the link behind the request's live portal session.
func (d *Dashboard) portalSession(w http.ResponseWriter, r *http.Request) (auth.PortalLink, bool) {
	c, err := r.Cookie(PortalCookie)
	if err != nil || c.Value == "" {
		return auth.PortalLink{}, false
	}
	l, err := d.cfg.Portals.Lookup(r.Context(), c.Value)
	if err != nil {
		if !errors.Is(err, auth.ErrNoSession) {
			d.log.Warn("portal: loading a session failed", "err", err)
		}
		setPortalCookie(w, "", -1)
		return auth.PortalLink{}, false
	}
	return l, true
}

// setPortalCookie sets (maxAge > 0) or clears (maxAge < 0) the portal
// session cookie. It is always Secure, SameSite=None and Partitioned so
// that the portal works inside the operator's application's iframe
// (browsers treat http://localhost as secure); HttpOnly, and limited to
// /portal/.
func setPortalCookie(w http.ResponseWriter, token string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: PortalCookie, Value: token, Path: portalPath, MaxAge: maxAge,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode, Partitioned: true})
}

// portalOpen exchanges a magic link's token for a session, once, and
// goes to the portal.
func (d *Dashboard) portalOpen(w http.ResponseWriter, r *http.Request) error {
	l, session, err := d.cfg.Portals.Open(r.Context(), r.URL.Query().Get("token"))
	if inv, ok := errors.AsType[*auth.ErrPortalLinkInvalid](err); ok {
		status, returnURL := http.StatusNotFound, ""
		if inv.Link != nil {
			status, returnURL = http.StatusGone, inv.Link.ReturnURL
		}
		d.portalError(w, r, status, "This link cannot be opened",
			"Sorry: "+inv.Error()+". Portal links open once and only for a short while. "+
				"Ask for a new one from the application that sent you here.", returnURL)
		return nil
	}
	if err != nil {
		return err
	}
	setPortalCookie(w, session, int(l.SessionTTL.Seconds()))
	http.Redirect(w, r, portalPath, http.StatusSeeOther)
	return nil
}

// portalView is what every portal page's layout needs.
type portalView struct {
	base
	Brand     string
	Tenant    string
	ReadOnly  bool
	ReturnURL string
}

func (d *Dashboard) portalBase(r *http.Request, title string) (portalView, error) {
	l, _ := r.Context().Value(portalLinkKey{}).(auth.PortalLink)
	v := portalView{base: base{Title: title, Version: d.cfg.Version, Asset: assetVersion},
		Brand: "Hookline", Tenant: l.Tenant, ReadOnly: l.ReadOnly, ReturnURL: l.ReturnURL}
	t, err := d.cfg.Store.TenantGet(r.Context(), l.Tenant)
	switch {
	case webhook.ErrorCode(err) == webhook.ENOTFOUND:
	case err != nil:
		return v, err
	default:
		v.Tenant = t.Name
		if t.Branding != nil && t.Branding.Name != "" {
			v.Brand = t.Branding.Name
		}
	}
	v.Portal = v.Brand
	return v, nil
}

// portalLinkKey carries the opened link of a portal request's session
// (its return URL and read-only flag) in the request's context.
type portalLinkKey struct{}

type portalHomeView struct {
	portalView
	Rows []webhookRow
	pager
}

// portalHome lists the tenant's webhooks, read through the store with the
// session's scope.
func (d *Dashboard) portalHome(w http.ResponseWriter, r *http.Request) error {
	pv, err := d.portalBase(r, "Webhooks")
	if err != nil {
		return err
	}
	v := portalHomeView{portalView: pv}
	cursor := r.URL.Query().Get("cursor")
	page, err := d.cfg.Store.WebhookList(r.Context(), store.WebhookListParams{
		Scope: auth.ScopeFrom(r.Context()), Cursor: cursor, Limit: pageSize})
	if err != nil {
		return err
	}
	for _, wh := range page.Webhooks {
		v.Rows = append(v.Rows, newWebhookRow(wh))
	}
	v.pager = pageLinks(portalPath, url.Values{}, cursor, page.Next)
	d.render(w, r, http.StatusOK, "portal", v)
	return nil
}

type portalErrorView struct {
	base
	Status    int
	Heading   string
	Message   string
	ReturnURL string
	RequestID string
}

// portalError renders a portal error page. ReturnURL, when known, is a
// link's return URL, whose origin the operator allowed when minting it:
// nothing from the request is ever linked to.
func (d *Dashboard) portalError(w http.ResponseWriter, r *http.Request, status int, heading, msg, returnURL string) {
	d.render(w, r, status, "portal_error", portalErrorView{
		base:   base{Title: heading, Version: d.cfg.Version, Asset: assetVersion, Portal: "Hookline"},
		Status: status, Heading: heading, Message: msg, ReturnURL: returnURL, RequestID: reqid.From(r.Context()),
	})
}

// portalFail is fail for the portal: known errors show their message,
// anything else is logged and shown without detail.
func (d *Dashboard) portalFail(w http.ResponseWriter, r *http.Request, err error) {
	if e, ok := errors.AsType[*webhook.Error](err); ok && e.Code != webhook.EINTERNAL {
		d.portalError(w, r, webhook.HTTPStatus(e.Code), "Something is not right", e.Message, "")
		return
	}
	d.log.Error("portal: internal error", "err", err, "method", r.Method, "path", r.URL.Path,
		"request_id", reqid.From(r.Context()))
	d.portalError(w, r, http.StatusInternalServerError, "Something went wrong",
		"Something went wrong on our side. The problem has been logged.", "")
}
