package dashboard

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strings"

	"github.com/hookline/hookline/internal/auth"
)

type loginForm struct {
	Username string
	Password string
	Next     string
}

type loginView struct {
	base
	Form  loginForm
	Error string
	// Resume is a form sent after the session ended, kept for after the
	// sign-in (resume.go).
	Resume *resumeForm
	// SSO offers single sign-on.
	SSO bool
}

func (d *Dashboard) loginPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok := d.session(w, r); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return nil
	}
	v := loginView{base: d.base(r, "Sign in", ""), Form: loginForm{Next: r.URL.Query().Get("next")},
		SSO: d.sso != nil}
	d.render(w, r, http.StatusOK, "login", v)
	return nil
}

func (d *Dashboard) login(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := loginForm{
		Username: strings.TrimSpace(r.PostForm.Get("username")),
		Password: r.PostForm.Get("password"),
		Next:     r.PostForm.Get("next"),
	}
	v := loginView{base: d.base(r, "Sign in", ""), Form: f, Resume: resumeFromLogin(r), SSO: d.sso != nil}
	v.Form.Password = ""
	se, token, err := d.sessions.SignIn(r.Context(), f.Username, f.Password, clientIP(r))
	var throttled *auth.ThrottledError
	var failed *auth.SignInFailure
	switch {
	case errors.As(err, &throttled):
		mins := int(math.Ceil(throttled.Wait.Minutes()))
		v.Error = fmt.Sprintf("Too many failed sign-ins. Try again in %d minute%s.", mins, plural(mins))
		if throttled.Busy {
			v.Error = "Too many sign-ins at once. Try again in a moment."
		}
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(throttled.Wait.Seconds()))))
		d.render(w, r, http.StatusTooManyRequests, "login", v)
		return nil
	case errors.As(err, &failed):
		// Never the typed name: it is often a password typed in the wrong
		// field. SignIn has recorded the failure in the audit log.
		d.log.Warn("dashboard: failed sign-in", "account", failed.Target, "remote", clientIP(r))
		v.Error = "Wrong username or password."
		d.render(w, r, http.StatusUnauthorized, "login", v)
		return nil
	case err != nil:
		return err
	}
	d.setSessionCookie(w, r, token, se)
	p := auth.UserPrincipal(se.Username, se.Role)
	d.cfg.Registry.Audit(auth.WithPrincipal(r.Context(), p), "user.sign_in", se.Username, clientIP(r))
	if v.Resume != nil {
		d.resumeAfterSignIn(w, r.WithContext(auth.WithPrincipal(r.Context(), p)), v.Resume)
		return nil
	}
	http.Redirect(w, r, safeNext(f.Next), http.StatusSeeOther)
	return nil
}

func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request) error {
	if err := d.endSession(w, r); err != nil {
		return err
	}
	d.cfg.Registry.Audit(r.Context(), "user.sign_out", userFrom(r.Context()), "")
	http.Redirect(w, r, "/login?notice=signed-out", http.StatusSeeOther)
	return nil
}

// clientIP is the peer address without its port. Forwarded headers are
// ignored: they are the client's to set.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
