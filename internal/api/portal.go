package api

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

// portalSessionRequest is the body of POST
// /api/v1/tenants/{id}/portal-sessions; every member is optional.
type portalSessionRequest struct {
	TTL        string   `json:"ttl"`
	ReadOnly   bool     `json:"read_only"`
	ReturnURL  string   `json:"return_url"`
	EventTypes []string `json:"event_types"`
}

// portalSession is the answer: the magic link, and until when it opens.
type portalSession struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (a *API) createPortalSession(w http.ResponseWriter, r *http.Request) error {
	var req portalSessionRequest
	if err := a.decodeOptional(w, r, &req); err != nil {
		return err
	}
	m := auth.PortalMint{Tenant: r.PathValue("id"), ReadOnly: req.ReadOnly, ReturnURL: req.ReturnURL,
		EventTypes: req.EventTypes}
	if req.TTL != "" {
		d, err := time.ParseDuration(req.TTL)
		if err != nil {
			return webhook.FieldError(webhook.EINVALID, "ttl", `must be a duration such as "1h" or "30m"`)
		}
		m.TTL = d
	}
	if _, err := a.cfg.Store.TenantGet(r.Context(), m.Tenant); err != nil {
		return err
	}
	p, _ := auth.PrincipalFrom(r.Context())
	l, token, err := a.cfg.Portals.Mint(r.Context(), p, m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, portalSession{
		URL: a.baseURL(r) + "/portal/open?token=" + url.QueryEscape(token), ExpiresAt: l.ExpiresAt,
	})
	return nil
}

// baseURL is where this server is reached: --public-url, or else
// localhost on the port the request came to, as request-inspector bin
// URLs are; the Host header itself is not trusted into a link.
func (a *API) baseURL(r *http.Request) string {
	if a.cfg.PublicURL != "" {
		return strings.TrimRight(a.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if _, port, err := net.SplitHostPort(r.Host); err == nil && port != "" {
		return scheme + "://localhost:" + port
	}
	return scheme + "://localhost"
}
