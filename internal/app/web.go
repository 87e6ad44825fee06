package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/dashboard"
	"github.com/hookline/hookline/internal/dispatch"
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
	dash, err := dashboard.New(dashboard.Config{
		Store: st, Registry: reg, Inspector: insp, Queued: d.Queued, Wake: d.Wake, Keys: keys, Portals: portals,
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
