// Package api is Hookline's REST API under /api/v1: thin handlers over the
// registry, ingest and store, JSON in and out, RFC 9457 problems for errors.
// Every route is listed in Routes with the scope it needs.
package api

import (
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

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
	// TenantsStrict refuses events of tenants not created first
	// (--tenants-strict); webhooks are refused by the registry.
	TenantsStrict bool
}

// API serves the REST API.
type API struct {
	cfg Config
	log *slog.Logger
}

// Route is one API route: its method and pattern (net/http ServeMux
// syntax), the scope a key needs, and its handler.
type Route struct {
	Method  string
	Pattern string
	// Scope is the API key scope required; "" means no key is needed.
	Scope   string
	Handler func(w http.ResponseWriter, r *http.Request) error
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
	return &API{cfg: cfg, log: cfg.Logger}
}

// Routes lists every API route. The OpenAPI document is checked against it.
func (a *API) Routes() []Route {
	const admin, publish = auth.ScopeAdmin, auth.ScopePublish
	return []Route{
		{"GET", "/api/v1/event-types", admin, a.listEventTypes},
		{"POST", "/api/v1/event-types", admin, a.createEventType},
		{"GET", "/api/v1/event-types/{slug}", admin, a.getEventType},

		{"GET", "/api/v1/webhooks", admin, a.listWebhooks},
		{"POST", "/api/v1/webhooks", admin, a.createWebhook},
		{"GET", "/api/v1/webhooks/{id}", admin, a.getWebhook},
		{"PATCH", "/api/v1/webhooks/{id}", admin, a.updateWebhook},
		{"DELETE", "/api/v1/webhooks/{id}", admin, a.deleteWebhook},
		{"GET", "/api/v1/webhooks/{id}/secret", admin, a.getSecret},
		{"POST", "/api/v1/webhooks/{id}/rotate-secret", admin, a.rotateSecret},
		{"POST", "/api/v1/webhooks/{id}/test", admin, a.testWebhook},
		{"POST", "/api/v1/webhooks/{id}/replay", admin, a.replayWebhook},
		{"GET", "/api/v1/webhooks/{id}/attempts", admin, a.listWebhookAttempts},

		{"POST", "/api/v1/events", publish, a.publishEvent},
		{"GET", "/api/v1/events", admin, a.listEvents},
		{"GET", "/api/v1/events/{id}", admin, a.getEvent},

		{"GET", "/api/v1/deliveries", admin, a.listDeliveries},
		{"GET", "/api/v1/deliveries/{id}", admin, a.getDelivery},
		{"POST", "/api/v1/deliveries/{id}/retry", admin, a.retryDelivery},

		{"GET", "/api/v1/tenants", admin, a.listTenants},
		{"POST", "/api/v1/tenants", admin, a.createTenant},
		{"GET", "/api/v1/tenants/{id}", admin, a.getTenant},
		{"PATCH", "/api/v1/tenants/{id}", admin, a.updateTenant},
		{"DELETE", "/api/v1/tenants/{id}", admin, a.deleteTenant},

		{"GET", "/api/v1/keys", admin, a.listKeys},
		{"POST", "/api/v1/keys", admin, a.createKey},
		{"DELETE", "/api/v1/keys/{id}", admin, a.revokeKey},
		{"GET", "/api/v1/audit-log", admin, a.listAudit},

		{"POST", "/api/v1/hooks", admin, a.subscribeHook},
		{"DELETE", "/api/v1/hooks/{id}", admin, a.unsubscribeHook},
		{"GET", "/api/v1/hooks/samples/{event}", admin, a.hookSamples},
		{"GET", "/api/v1/me", publish, a.me},

		{"GET", "/api/v1/bins", admin, a.listBins},
		{"POST", "/api/v1/bins", admin, a.createBin},
		{"GET", "/api/v1/bins/{id}", admin, a.getBin},
		{"DELETE", "/api/v1/bins/{id}", admin, a.deleteBin},
		{"GET", "/api/v1/bins/{id}/requests", admin, a.listBinRequests},
		{"GET", "/api/v1/bins/{id}/stream", admin, a.streamBin},
	}
}

// Register mounts every route on mux behind authentication.
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range a.Routes() {
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

func (a *API) handle(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.Scope != "" {
			k, err := a.cfg.Auth.Authenticate(r.Context(), auth.FromRequest(r))
			if err != nil {
				if webhook.ErrorCode(err) == webhook.EUNAUTHORIZED {
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
					"this API key's scopes (%v) do not allow %s %s", k.Scopes, rt.Method, rt.Pattern))
				return
			}
			r = r.WithContext(auth.WithPrincipal(r.Context(), p))
		}
		if err := rt.Handler(w, r); err != nil {
			problem.WriteError(w, r, a.log, err)
		}
	})
}
