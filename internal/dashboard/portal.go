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
// store sees the tenant's scope only. The webhook pages are the
// dashboard's own handlers, served on the portal's surface.
func (d *Dashboard) portalRoutes() []route {
	return []route{
		{"GET /portal/open", public, d.portalOpen},
		{"GET /portal/{$}", user, d.portalHome},
		{"GET /portal/brand.css", user, d.portalBrandCSS},
		{"GET /portal/webhooks/new", user, d.newWebhook},
		{"POST /portal/webhooks/new", user, d.createWebhook},
		{"POST /portal/webhooks/filter-test", user, d.filterTest},
		{"POST /portal/webhooks/transform-test", user, d.transformTest},
		{"GET /portal/webhooks/{id}", user, d.editWebhook},
		{"POST /portal/webhooks/{id}", user, d.updateWebhook},
		{"GET /portal/webhooks/{id}/delete", user, d.confirmDeleteWebhook},
		{"POST /portal/webhooks/{id}/delete", user, d.deleteWebhook},
		{"POST /portal/webhooks/{id}/toggle", user, d.toggleWebhook},
		{"POST /portal/webhooks/{id}/test", user, d.sendTest},
		{"POST /portal/webhooks/{id}/secret", user, d.revealSecret},
		{"POST /portal/webhooks/{id}/rotate-secret", user, d.rotateSecret},
		{"POST /portal/webhooks/{id}/replay", user, d.replay},
		{"POST /portal/webhooks/{id}/recover", user, d.recoverDeliveries},
		{"GET /portal/deliveries/{id}", user, d.delivery},
		{"POST /portal/deliveries/{id}/retry", user, d.retryDelivery},
		{"GET /portal/events/{id}", user, d.event},
		{"GET /portal/event-types", user, d.eventTypes},
		{"GET /portal/verify", user, d.verify},
		{"GET /portal/audit", user, d.audit},
		{"GET /portal/inspector", user, d.bins},
		{"POST /portal/inspector", user, d.createBin},
		{"GET /portal/inspector/{id}", user, d.bin},
		{"GET /portal/inspector/{id}/stream", user, d.binStream},
		{"GET /portal/inspector/{id}/requests/{rid}", user, d.binRequest},
		{"POST /portal/inspector/{id}/delete", user, d.deleteBin},
		{"POST /portal/inspector/{id}/use", user, d.useBin},
		{"POST /portal/inspector/{id}/response", user, d.saveBinResponse},
		{"POST /portal/inspector/{id}/response/reset", user, d.resetBinResponse},
		{"GET /portal/inspector/{id}/export", user, d.exportBin},
		{"GET /portal/inspector/{id}/requests/{rid}/raw", user, d.binRequestRaw},
		{"POST /portal/inspector/{id}/requests/{rid}/forward", user, d.forwardBinRequest},
	}
}

// handlePortal is handle for the portal: the dashboard's security headers,
// and a portal session instead of a dashboard one. A POST needs the
// session's form token and a session that is not read-only.
func (d *Dashboard) handlePortal(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		// The link's token is in the URL: never send it on as a referrer.
		h.Set("Referrer-Policy", "no-referrer")
		d.portalFrameHeaders(h, "")
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, d.cfg.MaxFormBytes)
		}
		if rt.access == user {
			l, session, ok := d.portalSession(w, r)
			if !ok {
				if isFragment(r) {
					http.Error(w, "your portal session has ended; open the portal again from the application", http.StatusUnauthorized)
					return
				}
				d.portalError(w, r, http.StatusUnauthorized, "Link expired or missing",
					"This portal page needs a sign-in link, and yours is missing or has expired. "+
						"Open the portal again from the application that sent you here.", "")
				return
			}
			pc, err := d.portalContext(r.Context(), l, session)
			if err != nil {
				d.portalFail(w, r, err)
				return
			}
			ctx := context.WithValue(r.Context(), portalCtxKey{}, pc)
			r = r.WithContext(auth.WithPrincipal(ctx, auth.PortalPrincipal(l)))
			d.portalFrameHeaders(h, pc.brand.LogoURL)
			if r.Method == http.MethodPost {
				if err := parseForm(r); err != nil {
					d.portalFail(w, r, err)
					return
				}
				if !checkCSRF(r, pc.csrf) {
					d.portalError(w, r, http.StatusForbidden, "This form has expired",
						"The form was not sent from this portal session, so it was refused. Reload the page and try again.", l.ReturnURL)
					return
				}
				if l.ReadOnly {
					d.portalError(w, r, http.StatusForbidden, "This view is read-only",
						"Your portal session may look but not change anything. Ask for a portal link that allows changes.", l.ReturnURL)
					return
				}
			}
		}
		if err := rt.handler(w, r); err != nil {
			d.portalFail(w, r, err)
		}
	})
}

// portalContext loads what every portal page of a session needs: its
// tenant (for the name and branding) and its form token.
func (d *Dashboard) portalContext(ctx context.Context, l auth.PortalLink, session string) (portalCtx, error) {
	pc := portalCtx{link: l, csrf: csrfToken(session)}
	t, err := d.cfg.Store.TenantGet(ctx, l.Tenant)
	switch {
	case webhook.ErrorCode(err) == webhook.ENOTFOUND:
		t = webhook.Tenant{ID: l.Tenant}
	case err != nil:
		return pc, err
	}
	pc.tenant = t
	pc.brand = d.brandFor(t)
	return pc, nil
}

// portalSession returns the link behind the request's live portal
// session, and the session's token.
func (d *Dashboard) portalSession(w http.ResponseWriter, r *http.Request) (auth.PortalLink, string, bool) {
	c, err := r.Cookie(PortalCookie)
	if err != nil || c.Value == "" {
		return auth.PortalLink{}, "", false
	}
	l, err := d.cfg.Portals.Lookup(r.Context(), c.Value)
	if err != nil {
		if !errors.Is(err, auth.ErrNoSession) {
			d.log.Warn("portal: loading a session failed", "err", err)
		}
		setPortalCookie(w, "", -1)
		return auth.PortalLink{}, "", false
	}
	return l, c.Value, true
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

// portalHead is what the portal's layout shows in place of the admin
// navigation.
type portalHead struct {
	Brand brand
	// Tenant is the tenant's name (its ID when it has none).
	Tenant    string
	ReturnURL string
}

func newPortalHead(pc portalCtx) *portalHead {
	name := pc.tenant.Name
	if name == "" {
		name = pc.link.Tenant
	}
	return &portalHead{Brand: pc.brand, Tenant: name, ReturnURL: pc.link.ReturnURL}
}

type portalHomeView struct {
	base
	Rows []webhookRow
	pager
}

// portalHome lists the tenant's webhooks, read through the store with the
// session's scope.
func (d *Dashboard) portalHome(w http.ResponseWriter, r *http.Request) error {
	v := portalHomeView{base: d.base(r, "Webhooks", "webhooks")}
	cursor := r.URL.Query().Get("cursor")
	page, err := d.cfg.Store.WebhookList(r.Context(), store.WebhookListParams{
		Scope: auth.ScopeFrom(r.Context()), Cursor: cursor, Limit: pageSize})
	if err != nil {
		return err
	}
	if v.Rows, err = d.webhookRows(r.Context(), page.Webhooks); err != nil {
		return err
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
	b := base{Title: heading, Version: d.cfg.Version, Asset: assetVersion,
		Portal: &portalHead{Brand: d.brandFor(webhook.Tenant{})}}
	if pc, ok := portalFrom(r.Context()); ok {
		b.Portal = newPortalHead(pc)
		b.surface = surfaceOf(r.Context())
	}
	d.render(w, r, status, "portal_error", portalErrorView{
		base:   b,
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
