package dashboard

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

// SessionCookie is the name of the session cookie. The request inspector
// redacts it from captured requests.
const SessionCookie = "hookline_session"

func newSessionToken() string {
	var b [32]byte // 256 bits
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// startSession creates a session for username and sets its cookie.
func (d *Dashboard) startSession(w http.ResponseWriter, r *http.Request, username string) error {
	token := newSessionToken()
	now := d.cfg.Now().UTC()
	s := auth.Session{
		ID: webhook.NewID(auth.PrefixSession), Username: username,
		CreatedAt: now, ExpiresAt: now.Add(d.cfg.SessionTTL),
	}
	if err := d.cfg.Store.SessionCreate(r.Context(), s, tokenHash(token)); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", Expires: s.ExpiresAt,
		MaxAge: int(d.cfg.SessionTTL.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: d.secure(r),
	})
	return nil
}

func (d *Dashboard) secure(r *http.Request) bool { return r.TLS != nil || d.cfg.SecureCookies }

// session returns the request's valid session. An expired or unknown one
// is deleted and its cookie cleared.
func (d *Dashboard) session(w http.ResponseWriter, r *http.Request) (auth.Session, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return auth.Session{}, false
	}
	hash := tokenHash(c.Value)
	s, err := d.cfg.Store.SessionGet(r.Context(), hash)
	if err != nil {
		if webhook.ErrorCode(err) != webhook.ENOTFOUND {
			d.log.Warn("dashboard: loading a session failed", "err", err)
		}
		d.clearCookie(w, r)
		return auth.Session{}, false
	}
	if !d.cfg.Now().Before(s.ExpiresAt) {
		if err := d.cfg.Store.SessionDelete(r.Context(), hash); err != nil {
			d.log.Warn("dashboard: deleting an expired session failed", "err", err)
		}
		d.clearCookie(w, r)
		return auth.Session{}, false
	}
	return s, true
}

func (d *Dashboard) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: d.secure(r)})
}

// endSession deletes the request's session, if any.
func (d *Dashboard) endSession(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		if err := d.cfg.Store.SessionDelete(r.Context(), tokenHash(c.Value)); err != nil {
			return err
		}
	}
	d.clearCookie(w, r)
	return nil
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// safeNext returns a same-site path to go to after sign-in, or "/".
func safeNext(next string) string {
	if next == "" || next[0] != '/' || len(next) > 2000 {
		return "/"
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return "/" // //host or /\host: another site
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}
