package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"

	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

// SSOConfig turns on single sign-on with an OpenID Connect provider
// (--oidc-issuer and friends).
type SSOConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// Scopes asked for; default openid, email and profile.
	Scopes []string
	// RoleClaim names the ID token claim (a string or a list of strings)
	// whose values may name the user's role; "" for none.
	RoleClaim string
	// Policy is who is let in, and a new user's role.
	Policy auth.SSOPolicy
	// Client makes every request to the provider (discovery, its keys,
	// the token exchange): the server's egress-guarded client.
	Client *http.Client
}

// ssoCookie carries a sign-in's state, nonce and PKCE verifier from the
// redirect to the provider to its answer; it is scoped to the callback.
const ssoCookie = "hookline_sso"

const ssoPath = "/login/sso"

// ssoFlight is what ssoCookie holds.
type ssoFlight struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
}

// sso is the provider, discovered on first use (so that a provider that
// is down when Hookline starts costs only the SSO button, until it is
// back).
type sso struct {
	cfg SSOConfig
	mu  sync.Mutex
	p   *oidc.Provider
}

func (s *sso) provider(ctx context.Context) (*oidc.Provider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p != nil {
		return s.p, nil
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, s.cfg.Client), 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, s.cfg.Issuer)
	if err != nil {
		return nil, err
	}
	s.p = p
	return p, nil
}

func (s *sso) oauth2(p *oidc.Provider, redirect string) *oauth2.Config {
	scopes := s.cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	}
	return &oauth2.Config{ClientID: s.cfg.ClientID, ClientSecret: s.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: redirect, Scopes: scopes}
}

// ssoUnavailable is what a sign-in shows when the provider cannot be
// reached or answers nonsense; the details go to the log.
const ssoUnavailable = "Single sign-on is not working right now: the identity provider could not be reached or gave an answer Hookline could not use. Try again, or sign in with a password."

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ssoStart sends the browser to the identity provider.
func (d *Dashboard) ssoStart(w http.ResponseWriter, r *http.Request) error {
	if d.sso == nil {
		return &webhook.Error{Code: webhook.ENOTFOUND, Message: "not found"}
	}
	p, err := d.sso.provider(r.Context())
	if err != nil {
		d.log.Warn("dashboard: single sign-on: discovering the provider failed", "issuer", d.sso.cfg.Issuer, "err", err)
		return d.loginError(w, r, http.StatusBadGateway, ssoUnavailable)
	}
	f := ssoFlight{State: randomToken(), Nonce: randomToken(), Verifier: oauth2.GenerateVerifier(),
		Next: safeNext(r.URL.Query().Get("next"))}
	b, _ := json.Marshal(f)
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: ssoPath,
		MaxAge: 600, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: d.secure(r)})
	u := d.sso.oauth2(p, d.origin(r)+ssoPath+"/callback").AuthCodeURL(f.State, oidc.Nonce(f.Nonce),
		oauth2.S256ChallengeOption(f.Verifier))
	http.Redirect(w, r, u, http.StatusFound)
	return nil
}

// ssoCallback is where the provider sends the browser back: the code is
// exchanged for an ID token, which is verified (signature, issuer,
// audience, expiry, nonce), and the identity it names is signed in.
func (d *Dashboard) ssoCallback(w http.ResponseWriter, r *http.Request) error {
	if d.sso == nil {
		return &webhook.Error{Code: webhook.ENOTFOUND, Message: "not found"}
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: "", Path: ssoPath, MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: d.secure(r)})
	var f ssoFlight
	c, err := r.Cookie(ssoCookie)
	if err == nil {
		b, derr := base64.RawURLEncoding.DecodeString(c.Value)
		err = errors.Join(derr, json.Unmarshal(b, &f))
	}
	q := r.URL.Query()
	if err != nil || f.State == "" || subtle.ConstantTimeCompare([]byte(f.State), []byte(q.Get("state"))) != 1 {
		return d.loginError(w, r, http.StatusBadRequest,
			"This single sign-on answer does not belong to a sign-in started here, or it took longer than 10 minutes. Try again.")
	}
	if e := q.Get("error"); e != "" {
		d.log.Info("dashboard: single sign-on refused by the provider", "error", e, "description", q.Get("error_description"))
		return d.loginError(w, r, http.StatusUnauthorized, "The identity provider did not sign you in ("+e+").")
	}
	p, err := d.sso.provider(r.Context())
	if err != nil {
		d.log.Warn("dashboard: single sign-on: discovering the provider failed", "issuer", d.sso.cfg.Issuer, "err", err)
		return d.loginError(w, r, http.StatusBadGateway, ssoUnavailable)
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(r.Context(), d.sso.cfg.Client), 15*time.Second)
	defer cancel()
	tok, err := d.sso.oauth2(p, d.origin(r)+ssoPath+"/callback").Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		d.log.Warn("dashboard: single sign-on: exchanging the code failed", "err", err)
		return d.loginError(w, r, http.StatusBadGateway, ssoUnavailable)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&oidc.Config{ClientID: d.sso.cfg.ClientID}).Verify(ctx, raw)
	if err != nil || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		d.log.Warn("dashboard: single sign-on: the ID token did not verify", "err", err)
		return d.loginError(w, r, http.StatusBadGateway, ssoUnavailable)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return d.loginError(w, r, http.StatusBadGateway, ssoUnavailable)
	}
	email, _ := claims["email"].(string)
	// An address the provider does not say it verified could be anyone's
	// (some providers let users type any), so it names no account.
	if verified, _ := claims["email_verified"].(bool); !verified {
		return d.loginError(w, r, http.StatusForbidden, "The identity provider has not verified your e-mail address ("+email+"), so it cannot sign you in here.")
	}
	id := auth.SSOIdentity{Email: email, Roles: claimStrings(claims[d.sso.cfg.RoleClaim])}
	u, err := d.cfg.Users.SSOUser(r.Context(), id, d.sso.cfg.Policy)
	if err != nil {
		if e, ok := errors.AsType[*webhook.Error](err); ok && e.Code == webhook.EFORBIDDEN {
			d.log.Warn("dashboard: single sign-on refused", "email", email, "reason", e.Message)
			return d.loginError(w, r, http.StatusForbidden, e.Message+".")
		}
		return err
	}
	se, token, err := d.sessions.Start(r.Context(), u)
	if err != nil {
		return err
	}
	d.setSessionCookie(w, r, token, se)
	d.cfg.Registry.Audit(auth.WithPrincipal(r.Context(), auth.UserPrincipal(u.Username, u.Role)), "user.sign_in", u.Username,
		clientIP(r)+", single sign-on")
	http.Redirect(w, r, safeNext(f.Next), http.StatusSeeOther)
	return nil
}

// claimStrings reads a role claim: a string (several separated by spaces
// or commas) or a list of strings.
func claimStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// loginError shows the sign-in page with why single sign-on did not sign
// the user in.
func (d *Dashboard) loginError(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	v := loginView{base: d.base(r, "Sign in", ""), Form: loginForm{Username: auth.AdminUser}, Error: msg, SSO: d.sso != nil}
	d.render(w, r, status, "login", v)
	return nil
}
