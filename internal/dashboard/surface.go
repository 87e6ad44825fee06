package dashboard

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

// surface is where a page is served: the operator's dashboard or a
// tenant's customer portal. The pages both share (a webhook, its form,
// its delivery log, the catalog) are one handler and one template each;
// the surface decides where their links and forms lead and which
// controls they offer.
type surface struct {
	// Root prefixes every link and form action: "" on the dashboard,
	// "/portal" in the portal.
	Root string
	// ReadOnly hides every control that changes something: a read-only
	// portal session, a viewer (the server refuses their POSTs too).
	ReadOnly bool
	// CSRF is the portal session's form token, which every portal form
	// carries: the portal's cookie is SameSite=None so that it works in
	// the operator's iframe, so the browser's site checks alone do not
	// stop a forged post. "" on the dashboard (SameSite=Lax plus the
	// origin check).
	CSRF string
	// Operator is set on the dashboard: the controls and fields only the
	// operator has (tenants, integrations, operational events).
	Operator bool
}

// InPortal reports whether the page is a portal page.
func (s surface) InPortal() bool { return !s.Operator }

// portalRoot prefixes the portal's pages.
const portalRoot = "/portal"

// portalCtx is what a portal request knows about its session, kept in
// the request's context by handlePortal.
type portalCtx struct {
	link   auth.PortalLink
	tenant webhook.Tenant // zero when the tenant row is gone
	csrf   string
	brand  brand
}

type portalCtxKey struct{}

func portalFrom(ctx context.Context) (portalCtx, bool) {
	p, ok := ctx.Value(portalCtxKey{}).(portalCtx)
	return p, ok
}

// surfaceOf returns the surface a request is served on.
func surfaceOf(ctx context.Context) surface {
	p, ok := portalFrom(ctx)
	if !ok {
		pr, _ := auth.PrincipalFrom(ctx)
		return surface{Operator: true, ReadOnly: pr.Kind == auth.KindUser && pr.ReadOnly}
	}
	return surface{Root: portalRoot, ReadOnly: p.link.ReadOnly, CSRF: p.csrf}
}

// csrfToken is a portal session's form token: a MAC of a fixed label
// under the session's own token, so it needs no storage, differs per
// session, and cannot be derived without the HttpOnly cookie.
func csrfToken(session string) string {
	m := hmac.New(sha256.New, []byte(session))
	m.Write([]byte("hookline portal form"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfField is the name of the form field that carries csrfToken.
const csrfField = "csrf_token"

// checkCSRF reports whether a portal form carries its session's token.
func checkCSRF(r *http.Request, want string) bool {
	got := r.PostForm.Get(csrfField)
	return got != "" && hmac.Equal([]byte(got), []byte(want))
}

// link returns path within the request's surface.
func link(ctx context.Context, path string) string { return surfaceOf(ctx).Root + path }

// home is the surface's list of webhooks.
func home(ctx context.Context) string {
	if _, ok := portalFrom(ctx); ok {
		return portalRoot + "/"
	}
	return "/"
}

// safeReturn is a form's "return" path when it is a page of the request's
// own surface, or "": a portal form never leads out of the portal.
func safeReturn(ctx context.Context, ret string) string {
	ret = safeNext(ret)
	if ret == "/" {
		return ""
	}
	if _, ok := portalFrom(ctx); ok && !strings.HasPrefix(ret, portalRoot+"/") {
		return ""
	}
	return ret
}

// MainFields are the webhook form's main fields on s.
func (s surface) MainFields() []formField { return fieldsFor(s, false) }

// AdvancedFields are the webhook form's folded fields on s.
func (s surface) AdvancedFields() []formField { return fieldsFor(s, true) }

// formTypes are the event types the request's principal may pick in the
// webhook form, and whether it may pick "*". A tenant (the portal) never
// sees Hookline's operational events; a portal link limited to some
// types shows those alone, and no "*".
func (d *Dashboard) formTypes(ctx context.Context) ([]webhook.EventType, bool, error) {
	types, err := d.cfg.Store.EventTypeList(ctx)
	if err != nil {
		return nil, false, err
	}
	p, _ := auth.PrincipalFrom(ctx)
	if p.Tenant() == "" {
		return types, true, nil
	}
	out := types[:0:0]
	for _, t := range types {
		if !webhook.IsOperatorEvent(t.Slug) && p.MaySubscribe(t.Slug) {
			out = append(out, t)
		}
	}
	return out, len(p.EventTypes) == 0, nil
}
