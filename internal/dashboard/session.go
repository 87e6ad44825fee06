package dashboard

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/hookline/hookline/internal/auth"
)

// SessionCookie is the name of the session cookie. The request inspector
// redacts it from captured requests.
const SessionCookie = "hookline_session"

// setSessionCookie hands a new session's token to the browser.
func (d *Dashboard) setSessionCookie(w http.ResponseWriter, r *http.Request, token string, s auth.Session) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", Expires: s.ExpiresAt,
		MaxAge: int(d.cfg.SessionTTL.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: d.secure(r),
	})
}

func (d *Dashboard) secure(r *http.Request) bool { return r.TLS != nil || d.cfg.SecureCookies }

// session returns the request's valid session. Without one, a cookie the
// browser sent is cleared.
func (d *Dashboard) session(w http.ResponseWriter, r *http.Request) (auth.Session, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return auth.Session{}, false
	}
	s, err := d.sessions.Lookup(r.Context(), c.Value)
	if err != nil {
		if !errors.Is(err, auth.ErrNoSession) {
			d.log.Warn("dashboard: loading a session failed", "err", err)
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
	if c, err := r.Cookie(SessionCookie); err == nil {
		if err := d.sessions.SignOut(r.Context(), c.Value); err != nil {
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
