// Package api is Hookline's REST API under /api/v1: thin handlers over the
// registry, ingest and store, JSON in and out, RFC 9457 problems for errors.
// Every route is listed in Routes with the scope it needs and its tenancy.
package api

import (
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/alerting"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/ingest"
	"github.com/hookline/hookline/internal/problem"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/reqid"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// Config configures the API.
type Config struct {
	Store    store.Store
	Ingest   *ingest.Service
	Registry *registry.Registry
	Auth     *auth.Authenticator
	// Keys creates and revokes API keys. Default: keys in Store, with no
	// key cache to tell of a revocation.
	Keys *auth.Keys
	// Limiter rate-limits requests per API key; nil means no limit.
	Limiter *auth.Limiter
	// UnknownKeys limits requests with a missing or unknown key per
	// client address (auth.AddressKey). Default: auth.UnknownKeyBurst,
	// then auth.UnknownKeyRate a second.
	UnknownKeys *auth.Limiter
	// Wake tells the local dispatcher that due work is in the database
	// (after a retry or replay).
	Wake   func()
	Logger *slog.Logger
	// MaxEventBytes bounds a published event's request body.
	MaxEventBytes int64
	// MaxBodyBytes bounds every other request body.
	MaxBodyBytes int64
	Now          func() time.Time
	// ServerName and Version answer GET /api/v1/me.
	ServerName string
	Version    string
	// Bins is the request inspector; nil disables its routes (404).
	Bins Bins
	// Alerts checks and tests alert channels; nil refuses to add or test
	// one (404).
	Alerts *alerting.Service
	// TenantsStrict refuses events of tenants not created first
	// (--tenants-strict); webhooks are refused by the registry.
	TenantsStrict bool
	// Users manages dashboard users. Default: users in Store.
	Users *auth.Users
	// Portals mints customer-portal links. Default: links in Store, with
	// no return origin allowed.
	Portals *auth.Portals
	// PublicURL is where this server is reached (--public-url): portal
	// links start with it. Empty means localhost on the request's port.
	PublicURL string
}

// API serves the REST API.
type API struct {
	cfg Config
	log *slog.Logger
}

// Route is one API route: its method and pattern (net/http ServeMux
// syntax), the scope a key needs, whose data it reaches, and its handler.
type Route struct {
	Method  string
	Pattern string
	// Scope is the API key scope required; "" means no key is needed.
	Scope string
	// Tenancy says who may use the route by tenant scope.
	Tenancy Tenancy
	Handler func(w http.ResponseWriter, r *http.Request) error
}

// Tenancy is whose data a route reaches, declared next to its scope so
// that a route cannot be added without saying it. A tenant's principal
// is refused every route that is not TenantScoped or Shared; the
// isolation test walks the table with a tenant's key against another
// tenant's rows.
type Tenancy int

// Tenancies. The zero value is undeclared: such a route is refused to
// every tenant's principal, and the isolation test fails on it.
const (
	// TenantScoped routes serve every principal, on the rows its tenant
	// scope reaches: the store applies the scope, so another tenant's row
	// is not found (404), and a write naming another tenant is refused
	// (403).
	TenantScoped Tenancy = iota + 1
	// Shared routes serve every principal the same data, which belongs to
	// no tenant (the event catalog).
	Shared
	// OperatorOnly routes serve principals of every tenant only; a
	// tenant's principal gets 403 whatever the path names, so nothing is
	// learnt about the rows behind it.
	OperatorOnly
	// Public routes need no key.
	Public
)

// String names t as the documentation does.
func (t Tenancy) String() string {
	switch t {
	case TenantScoped:
		return "tenant-scoped"
	case Shared:
		return "shared"
	case OperatorOnly:
		return "operator-only"
	case Public:
		return "public"
	}
	return "undeclared"
}

// New returns the API.
func New(cfg Config) *API {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxEventBytes <= 0 {
		cfg.MaxEventBytes = 1 << 20
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 256 << 10
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Wake == nil {
		cfg.Wake = func() {}
	}
	if cfg.Keys == nil {
		cfg.Keys = auth.NewKeys(auth.KeysConfig{Store: cfg.Store, Audit: cfg.Store, Now: cfg.Now, Logger: cfg.Logger})
	}
	if cfg.Users == nil {
		cfg.Users = auth.NewUsers(auth.UsersConfig{Store: cfg.Store, Now: cfg.Now, Logger: cfg.Logger})
	}
	if cfg.Portals == nil {
		cfg.Portals = auth.NewPortals(auth.PortalsConfig{Store: cfg.Store, Audit: cfg.Store, Now: cfg.Now, Logger: cfg.Logger})
	}
	if cfg.UnknownKeys == nil {
		cfg.UnknownKeys = auth.NewLimiter(auth.UnknownKeyRate, auth.UnknownKeyBurst, cfg.Now)
	}
	return &API{cfg: cfg, log: cfg.Logger}
}

// Routes lists every API route with the scope a key needs and its
// tenancy. The OpenAPI document and the tenant isolation test are checked
// against it. Reads need the read scope (which admin includes), except a
// webhook's signing secret: whoever holds it can forge deliveries.
func (a *API) Routes() []Route {
	const owner, admin, publish, read = auth.ScopeOwner, auth.ScopeAdmin, auth.ScopePublish, auth.ScopeRead
	return []Route{
		{"GET", "/api/v1/event-types", read, Shared, a.listEventTypes},
		{"POST", "/api/v1/event-types", admin, OperatorOnly, a.createEventType},
		{"GET", "/api/v1/event-types/{slug}", read, Shared, a.getEventType},
		{"PATCH", "/api/v1/event-types/{slug}", admin, OperatorOnly, a.updateEventType},

		{"GET", "/api/v1/webhooks", read, TenantScoped, a.listWebhooks},
		{"POST", "/api/v1/webhooks", admin, TenantScoped, a.createWebhook},
		{"GET", "/api/v1/webhooks/{id}", read, TenantScoped, a.getWebhook},
		{"PATCH", "/api/v1/webhooks/{id}", admin, TenantScoped, a.updateWebhook},
		{"DELETE", "/api/v1/webhooks/{id}", admin, TenantScoped, a.deleteWebhook},
		{"GET", "/api/v1/webhooks/{id}/secret", admin, TenantScoped, a.getSecret},
		{"POST", "/api/v1/webhooks/{id}/rotate-secret", admin, TenantScoped, a.rotateSecret},
		{"POST", "/api/v1/webhooks/{id}/test", admin, TenantScoped, a.testWebhook},
		{"POST", "/api/v1/webhooks/{id}/replay", admin, TenantScoped, a.replayWebhook},
		{"POST", "/api/v1/webhooks/{id}/recover", admin, TenantScoped, a.recoverWebhook},
		{"GET", "/api/v1/webhooks/{id}/attempts", read, TenantScoped, a.listWebhookAttempts},
		{"GET", "/api/v1/webhooks/{id}/stats", read, TenantScoped, a.webhookStats},
		{"POST", "/api/v1/webhooks/filter-test", read, TenantScoped, a.filterTest},
		{"POST", "/api/v1/webhooks/transform-test", read, TenantScoped, a.transformTest},

		{"POST", "/api/v1/events", publish, TenantScoped, a.publishEvent},
		{"GET", "/api/v1/events", read, TenantScoped, a.listEvents},
		{"GET", "/api/v1/events/{id}", read, TenantScoped, a.getEvent},

		{"GET", "/api/v1/deliveries", read, TenantScoped, a.listDeliveries},
		{"GET", "/api/v1/deliveries/{id}", read, TenantScoped, a.getDelivery},
		{"POST", "/api/v1/deliveries/{id}/retry", admin, TenantScoped, a.retryDelivery},

		{"GET", "/api/v1/tenants", read, OperatorOnly, a.listTenants},
		{"POST", "/api/v1/tenants", admin, OperatorOnly, a.createTenant},
		{"GET", "/api/v1/tenants/{id}", read, OperatorOnly, a.getTenant},
		{"PATCH", "/api/v1/tenants/{id}", admin, OperatorOnly, a.updateTenant},
		{"DELETE", "/api/v1/tenants/{id}", admin, OperatorOnly, a.deleteTenant},
		{"POST", "/api/v1/tenants/{id}/portal-sessions", admin, OperatorOnly, a.createPortalSession},
		// A tenant's own principal may read its tenant's health.
		{"GET", "/api/v1/tenants/{id}/stats", read, TenantScoped, a.tenantStats},
		{"GET", "/api/v1/stats", read, OperatorOnly, a.serverStats},

		{"GET", "/api/v1/alert-channels", read, OperatorOnly, a.listAlertChannels},
		{"POST", "/api/v1/alert-channels", admin, OperatorOnly, a.createAlertChannel},
		{"GET", "/api/v1/alert-channels/{id}", read, OperatorOnly, a.getAlertChannel},
		{"DELETE", "/api/v1/alert-channels/{id}", admin, OperatorOnly, a.deleteAlertChannel},
		{"POST", "/api/v1/alert-channels/{id}/test", admin, OperatorOnly, a.testAlertChannel},

		{"GET", "/api/v1/keys", admin, TenantScoped, a.listKeys},
		{"POST", "/api/v1/keys", admin, TenantScoped, a.createKey},
		{"DELETE", "/api/v1/keys/{id}", admin, TenantScoped, a.revokeKey},
		{"GET", "/api/v1/audit-log", read, TenantScoped, a.listAudit},

		{"GET", "/api/v1/users", owner, OperatorOnly, a.listUsers},
		{"POST", "/api/v1/users", owner, OperatorOnly, a.createUser},
		{"GET", "/api/v1/users/{id}", owner, OperatorOnly, a.getUser},
		{"PATCH", "/api/v1/users/{id}", owner, OperatorOnly, a.updateUser},
		{"DELETE", "/api/v1/users/{id}", owner, OperatorOnly, a.deleteUser},

		{"POST", "/api/v1/hooks", admin, TenantScoped, a.subscribeHook},
		{"DELETE", "/api/v1/hooks/{id}", admin, TenantScoped, a.unsubscribeHook},
		{"GET", "/api/v1/hooks/samples/{event}", read, TenantScoped, a.hookSamples},
		{"GET", "/api/v1/me", publish, TenantScoped, a.me},

		{"GET", "/api/v1/bins", read, TenantScoped, a.listBins},
		{"POST", "/api/v1/bins", admin, TenantScoped, a.createBin},
		{"GET", "/api/v1/bins/{id}", read, TenantScoped, a.getBin},
		{"DELETE", "/api/v1/bins/{id}", admin, TenantScoped, a.deleteBin},
		{"GET", "/api/v1/bins/{id}/requests", read, TenantScoped, a.listBinRequests},
		{"GET", "/api/v1/bins/{id}/stream", read, TenantScoped, a.streamBin},
		{"PUT", "/api/v1/bins/{id}/response", admin, TenantScoped, a.setBinResponse},
		{"DELETE", "/api/v1/bins/{id}/response", admin, TenantScoped, a.resetBinResponse},
		{"GET", "/api/v1/bins/{id}/requests/{rid}", read, TenantScoped, a.getBinRequest},
		{"GET", "/api/v1/bins/{id}/requests/{rid}/raw", read, TenantScoped, a.rawBinRequest},
		{"POST", "/api/v1/bins/{id}/requests/{rid}/forward", admin, TenantScoped, a.forwardBinRequest},
		{"GET", "/api/v1/bins/{id}/export", read, TenantScoped, a.exportBin},
	}
}

// Register mounts every route on mux behind authentication.
func (a *API) Register(mux *http.ServeMux) {
	a.Mount(mux, a.Routes())
}

// Mount mounts routes on mux behind authentication, as Register does with
// Routes; tests mount altered tables with it.
func (a *API) Mount(mux *http.ServeMux, routes []Route) {
	for _, rt := range routes {
		mux.Handle(rt.Method+" "+rt.Pattern, a.handle(rt))
	}
	// Unknown API paths get problem JSON too, not the mux's plain text: 405
	// with Allow when the path exists with other methods, else 404.
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range []string{"GET", "POST", "PATCH", "DELETE"} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "/api/" && pattern != "" {
				allow = append(allow, m)
			}
		}
		p := problem.Problem{Status: http.StatusNotFound, Detail: "no such API route: " + r.Method + " " + r.URL.Path,
			Instance: r.URL.Path, RequestID: reqid.From(r.Context())}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			p.Status = http.StatusMethodNotAllowed
			p.Detail = r.Method + " is not allowed on " + r.URL.Path + "; use " + strings.Join(allow, ", ")
		}
		problem.Write(w, p)
	})
}

// bodyLimit is the most a route reads of a request body: a published
// event may be larger than other requests.
func (a *API) bodyLimit(rt Route) int64 {
	if rt.Method == http.MethodPost && rt.Pattern == "/api/v1/events" {
		return a.cfg.MaxEventBytes
	}
	return a.cfg.MaxBodyBytes
}

func (a *API) handle(rt Route) http.Handler {
	limit := a.bodyLimit(rt)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A body declared larger than the route reads is refused before a
		// byte of it is read: waiting for it would hold the connection for
		// what is refused anyway.
		if limit > 0 && r.ContentLength > limit {
			w.Header().Set("Connection", "close")
			problem.WriteError(w, r, a.log, webhook.Errorf(webhook.ETOOLARGE,
				"the request body is %d bytes; this route takes at most %d", r.ContentLength, limit))
			return
		}
		if rt.Scope != "" {
			// An address that sent too many unknown keys is refused before
			// its key is looked up; a known key never spends from it. A
			// loopback peer is not limited: it is a local tool, or a proxy
			// in front (without --trusted-proxies) whose every client would
			// share its limit.
			addr, limited := remoteLimitKey(r)
			if wait := a.cfg.UnknownKeys.Wait(addr); limited && wait > 0 {
				secs := max(int(math.Ceil(wait.Seconds())), 1)
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				problem.WriteError(w, r, a.log, webhook.Errorf(webhook.ERATELIMITED,
					"too many requests with unknown API keys from this address; retry after %d s", secs))
				return
			}
			k, err := a.cfg.Auth.Authenticate(r.Context(), auth.FromRequest(r))
			if err != nil {
				if webhook.ErrorCode(err) == webhook.EUNAUTHORIZED {
					if limited {
						a.cfg.UnknownKeys.Allow(addr)
					}
					w.Header().Set("WWW-Authenticate", `Bearer realm="hookline"`)
				}
				problem.WriteError(w, r, a.log, err)
				return
			}
			if ok, wait := a.cfg.Limiter.Allow(k.ID); !ok {
				secs := int(math.Ceil(wait.Seconds()))
				w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
				problem.WriteError(w, r, a.log, webhook.Errorf(webhook.ERATELIMITED,
					"this API key is over its rate limit; retry after %d s", max(secs, 1)))
				return
			}
			p := auth.KeyPrincipal(k)
			if !p.Can(rt.Scope) {
				problem.WriteError(w, r, a.log, webhook.Errorf(webhook.EFORBIDDEN,
					"this API key's scopes (%v) do not allow %s %s: it needs the %s scope", k.Scopes, rt.Method, rt.Pattern, rt.Scope))
				return
			}
			if err := tenancyAllows(rt, p); err != nil {
				problem.WriteError(w, r, a.log, err)
				return
			}
			r = r.WithContext(auth.WithPrincipal(r.Context(), p))
		}
		if err := rt.Handler(w, r); err != nil {
			problem.WriteError(w, r, a.log, err)
		}
	})
}

// remoteLimitKey is the key the unknown-key limit counts the client by
// (auth.AddressKey of the address the server's middleware put in
// RemoteAddr, the real client behind trusted proxies), and whether it is
// limited at all: a loopback peer is not.
func remoteLimitKey(r *http.Request) (string, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	return auth.AddressKey(host), err != nil || !ip.Unmap().IsLoopback()
}

// tenancyAllows refuses p a route its tenancy keeps from it: a tenant's
// principal reaches only TenantScoped and Shared routes. The answer is
// 403 before anything is looked up, so it says nothing about the rows a
// path names.
func tenancyAllows(rt Route, p auth.Principal) error {
	if p.Scope.All() || rt.Tenancy == TenantScoped || rt.Tenancy == Shared {
		return nil
	}
	return webhook.Errorf(webhook.EFORBIDDEN,
		"%s %s is for the operator: a key of %s cannot use it", rt.Method, rt.Pattern, p.Scope)
}
