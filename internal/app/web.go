package app

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/dashboard"
	"github.com/hookline/hookline/internal/dispatch"
	"github.com/hookline/hookline/internal/egress"
	"github.com/hookline/hookline/internal/inspect"
	"github.com/hookline/hookline/internal/registry"
	"github.com/hookline/hookline/internal/store"
)

// newInspector returns the request inspector and wraps the egress client's
// transport with it, so deliveries to this server's own bins are answered
// in process and the SSRF guard stays closed. Call it before the client
// is first used.
func (a *App) newInspector(st store.Store, client *http.Client) (*inspect.Inspector, error) {
	insp, err := inspect.New(inspect.Config{
		Store: st, PublicURL: a.cfg.PublicURL, MaxRequests: a.cfg.BinMaxRequests, MaxBody: a.cfg.BinMaxBody,
		TTL: a.cfg.BinTTL, RedactCookie: dashboard.SessionCookie, Logger: a.log,
		// Forwarding a captured request is an outbound request like a
		// delivery: through the guard, which also refuses this server.
		Forward: egress.NewClient(egress.Config{AllowPrivate: a.cfg.AllowPrivateTargets, Guard: a.guard,
			Timeout: inspect.ForwardTimeout}),
		Guard: a.guard,
	})
	if err != nil {
		return nil, fmt.Errorf("--public-url: %w", err)
	}
	client.Transport = insp.Transport(client.Transport)
	return insp, nil
}

// mountDashboard creates the admin account on first start and mounts the
// dashboard and the inspector's public capture endpoint.
func (a *App) mountDashboard(mux *http.ServeMux, st store.Store, reg *registry.Registry, d *dispatch.Dispatcher,
	insp *inspect.Inspector, keys *auth.Keys, portals *auth.Portals, users *auth.Users) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := auth.EnsureAdmin(ctx, st, a.cfg.AdminPassword, time.Now(), a.log); err != nil {
		return err
	}
	sso, err := a.ssoConfig()
	if err != nil {
		return err
	}
	dash, err := dashboard.New(dashboard.Config{
		SSO:   sso,
		Store: st, Registry: reg, Inspector: insp, Queued: d.Queued, Wake: d.Wake, Keys: keys, Portals: portals, Alerts: a.alerts,
		Users: users, PublicURL: a.cfg.PublicURL, PortalBrand: a.cfg.PortalBrand, PortalFrameAncestors: a.cfg.PortalAllowedOrigins,
		SecureCookies: strings.HasPrefix(a.cfg.PublicURL, "https://") || a.cfg.TLSCert != "",
		Version:       Version, Logger: a.log,
	})
	if err != nil {
		return err
	}
	dash.Register(mux)
	insp.Register(mux)
	return nil
}

// ssoConfig is the dashboard's single sign-on (--oidc-*), nil when it is
// off. The provider is reached through the egress guard like every
// outbound request: one on a private network needs its range in
// --allow-private-targets.
func (a *App) ssoConfig() (*dashboard.SSOConfig, error) {
	o := a.cfg.OIDC
	if o.Issuer == "" {
		return nil, nil
	}
	b, err := os.ReadFile(o.ClientSecretFile)
	if err != nil {
		return nil, fmt.Errorf("--oidc-client-secret-file: %w", err)
	}
	secret := strings.TrimSpace(string(b))
	if secret == "" {
		return nil, fmt.Errorf("--oidc-client-secret-file: %s is empty", o.ClientSecretFile)
	}
	return &dashboard.SSOConfig{
		Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: secret, Scopes: o.Scopes, RoleClaim: o.RoleClaim,
		Policy: auth.SSOPolicy{AllowedDomains: o.AllowedDomains, DefaultRole: auth.Role(o.DefaultRole)},
		Client: egress.NewClient(egress.Config{AllowPrivate: a.cfg.AllowPrivateTargets, Timeout: 15 * time.Second}),
	}, nil
}
