package auth

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/catalog"
	"github.com/hookline/hookline/internal/webhook"
)

// PrefixPortalLink starts every portal link's ID.
const PrefixPortalLink = "pl_"

// Portal link and session lifetimes.
const (
	// PortalOpenTTL is how long a magic link may be opened: long enough
	// to be sent by e-mail, short enough that a leaked one is soon dead.
	PortalOpenTTL = 15 * time.Minute
	// PortalDefaultSessionTTL is how long the session a link opens lasts
	// when the operator does not say.
	PortalDefaultSessionTTL = time.Hour
	// PortalMaxSessionTTL bounds the session: a tenant's browser tab is
	// not an API key.
	PortalMaxSessionTTL = 12 * time.Hour
)

// PortalLink is a magic link into the customer portal for one tenant,
// and, once opened, the session it became. Only the SHA-256 of the link's
// token and of the session's token are stored: a copy of the database
// opens no portal.
type PortalLink struct {
	ID     string
	Tenant string
	// ReadOnly sessions see everything and change nothing.
	ReadOnly bool
	// ReturnURL is where the tenant goes back to in the operator's own
	// application; "" for none. Its origin was allowed when minted.
	ReturnURL string
	// EventTypes limit what the session may subscribe to: exact slugs or
	// prefix globs ("payment_*"); none means every event type.
	EventTypes []string
	// SessionTTL is how long the session lasts once the link is opened.
	SessionTTL time.Duration
	CreatedAt  time.Time
	// ExpiresAt is until when the link may be opened.
	ExpiresAt time.Time
	// OpenedAt is when the link was used; nil while it is unused. A link
	// opens once.
	OpenedAt *time.Time
	// SessionExpiresAt is when the session ends; nil until opened.
	SessionExpiresAt *time.Time
}

// PortalStore is what portal links need from storage.
type PortalStore interface {
	// PortalLinkCreate stores a new, unopened link under its token's hash.
	PortalLinkCreate(ctx context.Context, l PortalLink, tokenHash []byte) error
	// PortalLinkOpen opens the link with tokenHash if it is unopened and
	// its ExpiresAt is after now, in one write: it records now as
	// OpenedAt, sessionHash as its session's token hash and now plus
	// SessionTTL as SessionExpiresAt, and returns the link with opened
	// true. A link that exists but was opened before or has expired is
	// returned unchanged with opened false; an unknown hash is ENOTFOUND.
	PortalLinkOpen(ctx context.Context, tokenHash, sessionHash []byte, now time.Time) (l PortalLink, opened bool, err error)
	// PortalSessionGet returns the opened link whose session token has
	// sessionHash, expired or not; ENOTFOUND when there is none.
	PortalSessionGet(ctx context.Context, sessionHash []byte) (PortalLink, error)
	// PortalLinkExpire deletes the links that can no longer be of use at
	// now: unopened ones past ExpiresAt, opened ones past
	// SessionExpiresAt. It returns how many.
	PortalLinkExpire(ctx context.Context, now time.Time) (int, error)
}

// PortalPrincipal is the tenant behind an opened portal link: it acts on
// its tenant only, with the admin scope unless the link is read-only.
func PortalPrincipal(l PortalLink) Principal {
	scopes := []string{ScopeAdmin}
	if l.ReadOnly {
		scopes = []string{ScopeRead}
	}
	return Principal{Kind: KindPortal, ID: l.ID, Name: l.Tenant, Scopes: scopes, Scope: TenantScope(l.Tenant),
		ReadOnly: l.ReadOnly, EventTypes: l.EventTypes}
}

// PortalsConfig configures Portals.
type PortalsConfig struct {
	Store PortalStore
	// Audit is where minted links are recorded.
	Audit audit.Store
	// AllowedOrigins are the origins ("https://app.example.com") a link's
	// return URL may be on (--portal-allowed-origins).
	AllowedOrigins []string
	Now            func() time.Time
	Logger         *slog.Logger
}

// Portals mints magic links into the customer portal, opens them (once)
// and recognises the sessions they opened. A token is 256 random bits;
// only its SHA-256 (Hash) is stored.
type Portals struct {
	cfg      PortalsConfig
	recorder *audit.Recorder
}

// NewPortals returns Portals; Store and Audit are required.
func NewPortals(cfg PortalsConfig) *Portals {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Portals{cfg: cfg, recorder: audit.NewRecorder(cfg.Audit, cfg.Now, cfg.Logger)}
}

// PortalMint is what a new magic link is to open.
type PortalMint struct {
	Tenant string
	// TTL is how long the session lasts; 0 means PortalDefaultSessionTTL.
	TTL        time.Duration
	ReadOnly   bool
	ReturnURL  string
	EventTypes []string
}

// Mint checks m and stores a new link for principal p, returning it and
// its token (handed out once, never stored). Every problem with m is
// reported at once; a return URL on an origin not allowed is
// EUNPROCESSABLE. The tenant must exist: the caller checks it.
func (ps *Portals) Mint(ctx context.Context, p Principal, m PortalMint) (PortalLink, string, error) {
	var v webhook.Validation
	ttl := m.TTL
	switch {
	case ttl == 0:
		ttl = PortalDefaultSessionTTL
	case ttl < time.Minute || ttl > PortalMaxSessionTTL:
		v.Add(webhook.EINVALID, webhook.At("ttl"), "must be from 1m to %s", strings.TrimSuffix(PortalMaxSessionTTL.String(), "0m0s"))
	}
	if m.ReturnURL != "" {
		if err := ps.checkReturnURL(m.ReturnURL); err != nil {
			v.Add(webhook.EUNPROCESSABLE, webhook.At("return_url"), "%s", err)
		}
	}
	for i, e := range m.EventTypes {
		if !ValidEventPattern(e) {
			v.Add(webhook.EINVALID, webhook.At("event_types").Index(i),
				`%q is neither an event type slug nor a prefix glob such as "payment_*"`, e)
		}
	}
	if err := v.Err(); err != nil {
		return PortalLink{}, "", err
	}
	now := ps.cfg.Now().UTC()
	l := PortalLink{ID: webhook.NewID(PrefixPortalLink), Tenant: m.Tenant, ReadOnly: m.ReadOnly,
		ReturnURL: m.ReturnURL, EventTypes: m.EventTypes, SessionTTL: ttl,
		CreatedAt: now, ExpiresAt: now.Add(PortalOpenTTL)}
	token := newSessionToken()
	if err := ps.cfg.Store.PortalLinkCreate(ctx, l, Hash(token)); err != nil {
		return PortalLink{}, "", err
	}
	detail := "session " + ttl.String()
	if l.ReadOnly {
		detail += ", read-only"
	}
	ps.recorder.Record(ctx, audit.Entry{Actor: p.Actor(), Tenant: p.Tenant(), Action: "portal_link.create",
		Target: m.Tenant, Detail: detail})
	return l, token, nil
}

// checkReturnURL accepts an absolute http(s) URL on an allowed origin:
// the portal links to it, so anything else would be an open redirect.
func (ps *Portals) checkReturnURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return fmt.Errorf("must be an absolute http:// or https:// URL")
	}
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	for _, o := range ps.cfg.AllowedOrigins {
		if strings.EqualFold(strings.TrimRight(o, "/"), origin) {
			return nil
		}
	}
	if len(ps.cfg.AllowedOrigins) == 0 {
		return fmt.Errorf("origin %s is not allowed: the server allows no return origins (--portal-allowed-origins)", origin)
	}
	return fmt.Errorf("origin %s is not among --portal-allowed-origins", origin)
}

// ValidEventPattern reports whether s is an event type slug or a prefix
// glob: a slug's beginning followed by one "*" ("payment_*").
func ValidEventPattern(s string) bool {
	if prefix, ok := strings.CutSuffix(s, "*"); ok {
		return prefix != "" && catalog.ValidSlug(prefix) && !strings.Contains(prefix, "*")
	}
	return catalog.ValidSlug(s)
}

// ErrPortalLinkInvalid answers a link token that opens nothing: forged,
// used or expired. Link, when known, says which and where to return.
type ErrPortalLinkInvalid struct {
	// Link is the stored link when the token was genuine (used or
	// expired); nil for a token no link has.
	Link *PortalLink
}

func (e *ErrPortalLinkInvalid) Error() string {
	switch {
	case e.Link == nil:
		return "this portal link is not valid"
	case e.Link.OpenedAt != nil:
		return "this portal link has been used already"
	}
	return "this portal link has expired"
}

// Open exchanges a link token for a session, once: it returns the link
// and the session's token, or an *ErrPortalLinkInvalid.
func (ps *Portals) Open(ctx context.Context, token string) (PortalLink, string, error) {
	if token == "" || len(token) > 100 {
		return PortalLink{}, "", &ErrPortalLinkInvalid{}
	}
	session := newSessionToken()
	l, opened, err := ps.cfg.Store.PortalLinkOpen(ctx, Hash(token), Hash(session), ps.cfg.Now().UTC())
	switch {
	case webhook.ErrorCode(err) == webhook.ENOTFOUND:
		return PortalLink{}, "", &ErrPortalLinkInvalid{}
	case err != nil:
		return PortalLink{}, "", err
	case !opened:
		return PortalLink{}, "", &ErrPortalLinkInvalid{Link: &l}
	}
	return l, session, nil
}

// Lookup returns the link whose live session has token, or ErrNoSession.
func (ps *Portals) Lookup(ctx context.Context, token string) (PortalLink, error) {
	if token == "" || len(token) > 100 {
		return PortalLink{}, ErrNoSession
	}
	l, err := ps.cfg.Store.PortalSessionGet(ctx, Hash(token))
	switch {
	case webhook.ErrorCode(err) == webhook.ENOTFOUND:
		return PortalLink{}, ErrNoSession
	case err != nil:
		return PortalLink{}, err
	}
	if l.SessionExpiresAt == nil || !ps.cfg.Now().Before(*l.SessionExpiresAt) {
		return PortalLink{}, ErrNoSession
	}
	return l, nil
}

// MaySubscribe reports whether p may subscribe a webhook to event type
// slug: a portal session limited to some event types (exact slugs or
// prefix globs) may add only those; anyone else may add any.
func (p Principal) MaySubscribe(slug string) bool {
	if len(p.EventTypes) == 0 {
		return true
	}
	for _, pat := range p.EventTypes {
		if prefix, ok := strings.CutSuffix(pat, "*"); ok {
			if strings.HasPrefix(slug, prefix) {
				return true
			}
		} else if slug == pat {
			return true
		}
	}
	return false
}
