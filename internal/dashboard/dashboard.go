// Package dashboard is Hookline's browser UI: server-rendered pages
// (html/template, everything embedded with go:embed) with a little
// JavaScript on top, which every page works without.
//
// It has no logic of its own for webhooks: every change goes through the
// registry, the same code path as the REST API, and its field errors are
// shown next to the form fields. One file per page or action; routes are
// all listed in routes() with the access they need.
//
// Security: sign-in and sessions are package auth's (a PBKDF2-hashed
// password, throttled failures, a random session token stored only as its
// SHA-256); the dashboard keeps the token in an HttpOnly, SameSite=Lax
// cookie. Every state-changing request passes http.CrossOriginProtection;
// pages carry a strict Content-Security-Policy (no inline script or
// style), so whatever a payload contains is only ever text.
//
// The customer portal (/portal/, portal*.go) is served from here too, with
// the same look and headers but no admin navigation: a tenant signs in by
// a magic link (auth.Portals) and acts as its portal principal, whose
// tenant scope the store applies.
package dashboard

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/alerting"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/inspect"
	"github.com/hookline/hookline/internal/problem"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/reqid"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// Config configures the dashboard.
type Config struct {
	Store     store.Store
	Registry  *registry.Registry
	Inspector *inspect.Inspector
	// Queued returns how many deliveries wait in this instance's memory
	// (the dispatcher); nil means none.
	Queued func() int
	// Wake tells the local dispatcher that due work is in the database
	// (after a retry or replay).
	Wake func()
	// Keys creates and revokes API keys, as the REST API does (share one,
	// so that a revocation here clears the API's key cache at once).
	// Default: keys in Store, with no key cache to tell.
	Keys *auth.Keys
	// Alerts checks and tests alert channels; nil refuses to add or test
	// one.
	Alerts *alerting.Service
	// Portals opens customer-portal links and recognises their sessions.
	// Default: links in Store, with no return origin allowed.
	Portals *auth.Portals
	// PortalBrand is the server's branding of the customer portal
	// (--portal-name, --portal-logo-url, --portal-accent); a tenant's own
	// branding overrides it field by field.
	PortalBrand webhook.Branding
	// PortalFrameAncestors are the origins whose pages may show the
	// portal in an iframe (--portal-allowed-origins); none by default. The
	// dashboard is never framed.
	PortalFrameAncestors []string
	// Users manages dashboard users and invitations. Default: users in
	// Store.
	Users *auth.Users
	// PublicURL is where this server is reached (--public-url): invitation
	// links start with it. Empty means the origin of the request that made
	// the invitation.
	PublicURL string
	// HashPassword hashes new passwords; default auth.HashPassword. Tests
	// use a cheaper work factor.
	HashPassword func(string) (string, error)
	// SSO turns on single sign-on with an OpenID Connect provider; nil
	// for none.
	SSO *SSOConfig
	// SessionTTL is how long a sign-in lasts. Default 12h.
	SessionTTL time.Duration
	// MaxFormBytes bounds a form body. Default 64 KiB.
	MaxFormBytes int64
	// SecureCookies forces the Secure cookie attribute even when a request
	// did not arrive over TLS (a TLS-terminating proxy in front).
	SecureCookies bool
	Version       string
	Now           func() time.Time
	Logger        *slog.Logger
}

// Dashboard serves the UI.
type Dashboard struct {
	cfg      Config
	log      *slog.Logger
	pages    map[string]*page
	csrf     *http.CrossOriginProtection
	sessions *auth.Sessions
	banner   bannerCache
	// sso is single sign-on; nil when it is off.
	sso *sso
	// keyForms makes "create API key" one-shot (once.go), inviteForms
	// "invite a user".
	keyForms, inviteForms formOnce
}

// New returns the dashboard. It fails only if the embedded templates are
// broken, which the tests catch first.
func New(cfg Config) (*Dashboard, error) {
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.MaxFormBytes <= 0 {
		cfg.MaxFormBytes = 64 << 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Queued == nil {
		cfg.Queued = func() int { return 0 }
	}
	if cfg.Wake == nil {
		cfg.Wake = func() {}
	}
	if cfg.Keys == nil {
		cfg.Keys = auth.NewKeys(auth.KeysConfig{Store: cfg.Store, Audit: cfg.Store, Now: cfg.Now, Logger: cfg.Logger})
	}
	if cfg.Portals == nil {
		cfg.Portals = auth.NewPortals(auth.PortalsConfig{Store: cfg.Store, Audit: cfg.Store, Now: cfg.Now, Logger: cfg.Logger})
	}
	if cfg.HashPassword == nil {
		cfg.HashPassword = auth.HashPassword
	}
	if cfg.Users == nil {
		cfg.Users = auth.NewUsers(auth.UsersConfig{Store: cfg.Store, Now: cfg.Now, HashPassword: cfg.HashPassword, Logger: cfg.Logger})
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	d := &Dashboard{cfg: cfg, log: cfg.Logger, pages: pages,
		sessions: auth.NewSessions(auth.SessionsConfig{Store: cfg.Store, TTL: cfg.SessionTTL, Now: cfg.Now,
			HashPassword: cfg.HashPassword})}
	if cfg.SSO != nil {
		d.sso = &sso{cfg: *cfg.SSO}
	}
	d.csrf = http.NewCrossOriginProtection()
	d.csrf.SetDenyHandler(http.HandlerFunc(d.forbidden))
	return d, nil
}

// access is who may use a route.
type access int

const (
	public access = iota // anyone (sign-in page, static files)
	// user is any signed-in user for reading; a change (POST) needs a
	// role that may change things, so a viewer's is refused (403).
	user
	// self is any signed-in user, a viewer's changes too: what concerns
	// only the user's own session and account (sign out, password).
	self
	// editor is an admin or owner, reading too (API keys: a viewer holds
	// the read scope, which does not reach keys).
	editor
	// owner is an owner alone: users and invitations.
	owner
)

// allows reports whether p may use a route of access a with method.
func (a access) allows(p auth.Principal, method string) bool {
	switch a {
	case public, self:
		return true
	case user:
		return method == http.MethodGet || method == http.MethodHead || p.Role.MayChange()
	case editor:
		return p.Role.MayChange()
	case owner:
		return p.Can(auth.ScopeOwner)
	}
	return false
}

type route struct {
	pattern string
	access  access
	handler func(w http.ResponseWriter, r *http.Request) error
}

// routes lists every dashboard route. The capture endpoint of the request
// inspector (/bins/<token>) is not here: it is public and mounted by the
// inspector itself, outside CSRF protection.
func (d *Dashboard) routes() []route {
	return []route{
		{"GET /login", public, d.loginPage},
		{"POST /login", public, d.login},
		{"GET /login/sso", public, d.ssoStart},
		{"GET /login/sso/callback", public, d.ssoCallback},
		{"POST /logout", self, d.logout},
		{"GET /invite/{token}", public, d.invitePage},
		{"POST /invite/{token}", public, d.acceptInvite},
		{"GET /account", self, d.account},
		{"POST /account/password", self, d.changePassword},
		{"GET /static/{file}", public, d.static},

		{"GET /{$}", user, d.webhooks},
		{"GET /webhooks", user, redirectTo("/")},
		{"GET /webhooks/new", editor, d.newWebhook},
		{"POST /webhooks/new", user, d.createWebhook},
		{"POST /webhooks/filter-test", user, d.filterTest},
		{"POST /webhooks/transform-test", user, d.transformTest},
		{"GET /webhooks/{id}", user, d.editWebhook},
		{"POST /webhooks/{id}", user, d.updateWebhook},
		{"GET /webhooks/{id}/delete", editor, d.confirmDeleteWebhook},
		{"POST /webhooks/{id}/delete", user, d.deleteWebhook},
		{"POST /webhooks/{id}/toggle", user, d.toggleWebhook},
		{"POST /webhooks/{id}/test", user, d.sendTest},
		{"POST /webhooks/{id}/secret", user, d.revealSecret},
		{"POST /webhooks/{id}/rotate-secret", user, d.rotateSecret},
		{"POST /webhooks/{id}/replay", user, d.replay},
		{"POST /webhooks/{id}/recover", user, d.recoverDeliveries},

		{"GET /deliveries/{id}", user, d.delivery},
		{"POST /deliveries/{id}/retry", user, d.retryDelivery},

		{"GET /event-types", user, d.eventTypes},
		{"GET /event-types/{slug}", editor, d.eventType},
		{"POST /event-types/{slug}", editor, d.updateEventType},
		{"GET /verify", user, d.verify},
		{"GET /events", user, d.events},
		{"GET /events/{id}", user, d.event},
		{"GET /overview", user, d.overview},
		{"POST /banner/dismiss", self, d.dismissBanner},

		{"GET /tenants", user, d.tenants},
		{"POST /tenants", user, d.createTenant},
		{"GET /tenants/{id}", user, d.tenant},
		{"POST /tenants/{id}", user, d.updateTenant},
		{"GET /tenants/{id}/delete", editor, d.confirmDeleteTenant},
		{"POST /tenants/{id}/delete", user, d.deleteTenant},

		{"GET /keys", editor, d.keys},
		{"POST /keys", editor, d.createKey},
		{"GET /keys/{id}/revoke", editor, d.confirmRevokeKey},
		{"POST /keys/{id}/revoke", editor, d.revokeKey},
		{"GET /audit", user, d.audit},

		{"GET /alerts", user, d.alerts},
		{"POST /alerts", editor, d.createAlertChannel},
		{"POST /alerts/{id}/test", editor, d.testAlertChannel},
		{"POST /alerts/{id}/delete", editor, d.deleteAlertChannel},

		{"GET /inspector", user, d.bins},
		{"POST /inspector", user, d.createBin},
		{"GET /inspector/{id}", user, d.bin},
		{"GET /inspector/{id}/stream", user, d.binStream},
		{"GET /inspector/{id}/requests/{rid}", user, d.binRequest},
		{"POST /inspector/{id}/delete", user, d.deleteBin},
		{"POST /inspector/{id}/use", user, d.useBin},
		{"POST /inspector/{id}/response", user, d.saveBinResponse},
		{"POST /inspector/{id}/response/reset", user, d.resetBinResponse},
		{"GET /inspector/{id}/export", user, d.exportBin},
		{"GET /inspector/{id}/requests/{rid}/raw", user, d.binRequestRaw},
		{"POST /inspector/{id}/requests/{rid}/forward", user, d.forwardBinRequest},

		{"GET /users", owner, d.users},
		{"POST /users/invites", owner, d.createInvite},
		{"POST /users/invites/{id}/revoke", owner, d.revokeInvite},
		{"POST /users/{name}/role", owner, d.setUserRole},
		{"GET /users/{name}/password", owner, d.resetPasswordPage},
		{"POST /users/{name}/password", owner, d.resetPassword},
		{"GET /users/{name}/delete", owner, d.confirmDeleteUser},
		{"POST /users/{name}/delete", owner, d.deleteUser},
	}
}

// Register mounts every dashboard route on mux.
func (d *Dashboard) Register(mux *http.ServeMux) {
	for _, rt := range d.routes() {
		mux.Handle(rt.pattern, d.csrf.Handler(d.handle(rt)))
	}
	for _, rt := range d.portalRoutes() {
		mux.Handle(rt.pattern, d.csrf.Handler(d.handlePortal(rt)))
	}
}

func (d *Dashboard) handle(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, d.cfg.MaxFormBytes)
		}
		if rt.access != public {
			s, ok := d.session(w, r)
			if !ok {
				d.needSignIn(w, r)
				return
			}
			p := auth.UserPrincipal(s.Username, s.Role)
			r = r.WithContext(auth.WithPrincipal(r.Context(), p))
			h.Set("Cache-Control", "no-store")
			// Roles are enforced here, before any handler runs: hiding a
			// viewer's buttons is for looks, this is the rule.
			if !rt.access.allows(p, r.Method) {
				d.roleRefused(w, r, p, rt.access)
				return
			}
		}
		if err := rt.handler(w, r); err != nil {
			d.fail(w, r, err)
		}
	})
}

// roleRefused answers a signed-in user whose role does not allow the
// route: 403, saying which role it needs.
func (d *Dashboard) roleRefused(w http.ResponseWriter, r *http.Request, p auth.Principal, a access) {
	msg := "Your role (" + string(p.Role) + ") may look but not change anything. Ask an owner for the admin role."
	if a == owner {
		msg = "Only an owner manages users and invitations."
	}
	d.errorPage(w, r, http.StatusForbidden, msg)
}

// userFrom returns the name of the signed-in user of ctx, or "" on a
// public page.
func userFrom(ctx context.Context) string {
	if p, ok := auth.PrincipalFrom(ctx); ok && p.Kind == auth.KindUser {
		return p.Name
	}
	return ""
}

// needSignIn sends a signed-out visitor to the sign-in page, back to where
// they were going afterwards.
func (d *Dashboard) needSignIn(w http.ResponseWriter, r *http.Request) {
	if isFragment(r) || r.Header.Get("Accept") == "text/event-stream" {
		http.Error(w, "your session has ended; sign in again", http.StatusUnauthorized)
		return
	}
	if rf := formToResume(r); rf != nil {
		d.signInToResume(w, r, rf)
		return
	}
	next := ""
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		next = "?next=" + urlQueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, "/login"+next, http.StatusSeeOther)
}

func redirectTo(target string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil
	}
}

// isFragment reports whether the page's JavaScript asked for the result
// alone (to show in a dialog) rather than a whole page.
func isFragment(r *http.Request) bool { return r.Header.Get("X-Hookline-Fragment") == "1" }

// parseForm reads a form body within the size limit.
func parseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return webhook.Errorf(webhook.ETOOLARGE, "the form is too large (at most %d KiB)", tooBig.Limit>>10)
		}
		return webhook.Errorf(webhook.EINVALID, "the form could not be read")
	}
	return nil
}

// fail renders an error page. Known errors show their message; anything
// else is logged once here and shown as a generic failure with the
// request id, never the Go error text.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *webhook.Error
	status := http.StatusInternalServerError
	msg := "Something went wrong on our side. The problem has been logged."
	if errors.As(err, &e) {
		status = webhook.HTTPStatus(e.Code)
		msg = e.Message
		if ps := e.Problems(); len(ps) > 0 {
			lines := make([]string, len(ps))
			for i, p := range ps {
				lines[i] = p.Field + ": " + p.Message
			}
			msg = strings.Join(lines, "; ")
		}
		if e.Code == webhook.EUNAVAILABLE {
			msg = "Storage is unavailable right now. Try again in a moment."
			problem.WarnUnavailable(d.log, err, reqid.From(r.Context()))
		}
		if e.Code == webhook.ENOTFOUND && e.Message == "not found" {
			msg = "This page does not exist, or what it showed has been deleted."
		}
	} else {
		d.log.Error("dashboard: internal error", "err", err, "method", r.Method, "path", r.URL.Path,
			"request_id", reqid.From(r.Context()))
	}
	d.errorPage(w, r, status, msg)
}

func (d *Dashboard) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	v := errorView{base: d.base(r, http.StatusText(status), ""), Status: status, Message: msg,
		RequestID: reqid.From(r.Context())}
	if isFragment(r) {
		d.renderFragment(w, r, status, "error", "error-box", v)
		return
	}
	d.render(w, r, status, "error", v)
}

// forbidden answers a cross-origin state-changing request.
func (d *Dashboard) forbidden(w http.ResponseWriter, r *http.Request) {
	d.errorPage(w, r, http.StatusForbidden,
		"This request came from another site and was refused (cross-site request forgery protection). "+
			"If you submitted a Hookline form, reload the page and try again.")
}

type errorView struct {
	base
	Status    int
	Message   string
	RequestID string
}

// base is what every page's layout needs.
type base struct {
	surface
	Title string
	Nav   string
	User  string
	// Role is the signed-in user's; it decides which navigation shows.
	Role    auth.Role
	Notice  string
	Version string
	Asset   string      // cache-busting version of the static files
	Banner  *bannerView // recent operational notifications; nil when none
	// Portal is what a customer-portal page shows in place of the admin
	// navigation; nil on dashboard pages.
	Portal *portalHead
}

func (b base) layout() base { return b }

// IsOwner reports whether the signed-in user manages users.
func (b base) IsOwner() bool { return b.Role == auth.RoleOwner }

// MayChange reports whether the signed-in user may change things.
func (b base) MayChange() bool { return b.Role.MayChange() }

type layouter interface{ layout() base }

func (d *Dashboard) base(r *http.Request, title, nav string) base {
	pr, _ := auth.PrincipalFrom(r.Context())
	b := base{surface: surfaceOf(r.Context()), Title: title, Nav: nav, User: userFrom(r.Context()), Role: pr.Role,
		Notice: notices[r.URL.Query().Get("notice")], Version: d.cfg.Version, Asset: assetVersion}
	if pc, ok := portalFrom(r.Context()); ok {
		b.Portal = newPortalHead(pc)
	}
	if b.User != "" {
		b.Banner = d.bannerFor(r)
	}
	return b
}

// notices are the fixed messages a redirect can ask for with ?notice=, so
// no text from the URL is ever shown.
var notices = map[string]string{
	"created":            "Webhook created.",
	"saved":              "Changes saved.",
	"deleted":            "Webhook deleted.",
	"enabled":            "Webhook enabled.",
	"disabled":           "Webhook disabled.",
	"retried":            "Delivery queued for another attempt.",
	"bin-created":        "Bin created. Send any request to its URL and it appears below.",
	"bin-deleted":        "Bin deleted.",
	"bin-used":           "Webhook created for the bin. Send a test event to see it arrive.",
	"bin-response":       "Response saved. The bin answers every request with it from now on.",
	"bin-response-reset": "The bin answers with the default response again.",
	"signed-out":         "You have signed out.",
	"alert-added":        "Alert channel added. Send it a test alert to check it.",
	"alert-deleted":      "Alert channel deleted.",
	"key-revoked":        "API key revoked. Requests with it are refused from now on.",
	"key-exists":         "That form was already sent: its API key exists (below), and its secret was shown once. If it was not copied, revoke the key and create another.",
	"expired":            "Your session has ended. Sign in again.",
	"tenant-created":     "Tenant created.",
	"tenant-deleted":     "Tenant deleted.",
	"user-created":       "User created.",
	"user-deleted":       "User removed. Their sessions have ended.",
	"role-saved":         "Role changed. It applies to the user's next page.",
	"invite-revoked":     "Invitation revoked: its link no longer works.",
	"password-reset":     "Password set. The user's sessions have ended.",
	"password-saved":     "Password changed. Your other sessions have ended.",
	"welcome":            "Welcome to Hookline: your account is ready.",
	"invite-exists":      "That form was already sent: its invitation is listed below, and its link was shown once. If it was not copied, revoke it and invite again.",
}

// render executes a page into a buffer first, so a template error gives a
// clean error page instead of half a page.
func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, status int, name string, data layouter) {
	p, ok := d.pages[name]
	if !ok {
		d.log.Error("dashboard: no such page template", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := p.t.ExecuteTemplate(&buf, "layout", data); err != nil {
		d.log.Error("dashboard: rendering failed", "page", name, "err", err, "request_id", reqid.From(r.Context()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderFragment executes one named template of a page alone.
func (d *Dashboard) renderFragment(w http.ResponseWriter, r *http.Request, status int, pageName, tmpl string, data any) {
	var buf bytes.Buffer
	if err := d.fragment(&buf, pageName, tmpl, data); err != nil {
		d.log.Error("dashboard: rendering failed", "page", pageName, "template", tmpl, "err", err,
			"request_id", reqid.From(r.Context()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (d *Dashboard) fragment(buf *bytes.Buffer, pageName, tmpl string, data any) error {
	p, ok := d.pages[pageName]
	if !ok {
		return errors.New("no such page template " + pageName)
	}
	return p.t.ExecuteTemplate(buf, tmpl, data)
}

// formErrors maps form field names to messages; several problems with one
// field are one message.
type formErrors map[string]string

func (fe formErrors) add(field, msg string) {
	if prev, ok := fe[field]; ok {
		msg = prev + "; " + msg
	}
	fe[field] = msg
}

// fieldErrors turns a registry error into messages next to fields, every
// problem it reports next to its own field; the second result is what
// belongs at the top of the form (no field, or fields the form does not
// have). Errors that are not user errors are returned for the error page.
func fieldErrors(err error, fields ...string) (formErrors, string, error) {
	e, ok := errors.AsType[*webhook.Error](err)
	if !ok || e.Code == webhook.EINTERNAL || e.Code == webhook.EUNAVAILABLE || e.Code == webhook.ENOTFOUND {
		return nil, "", err
	}
	problems := e.Problems()
	if len(problems) == 0 {
		return nil, e.Message, nil
	}
	var errs formErrors
	var top []string
	for _, p := range problems {
		field := p.Field
		if i := strings.IndexAny(field, ".["); i >= 0 {
			field = field[:i]
		}
		if !slices.Contains(fields, field) {
			top = append(top, p.Field+": "+p.Message)
			continue
		}
		msg := p.Message
		if p.Field != field {
			msg = p.Field + ": " + p.Message
		}
		if errs == nil {
			errs = formErrors{}
		}
		errs.add(field, msg)
	}
	return errs, strings.Join(top, "; "), nil
}
