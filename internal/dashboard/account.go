package dashboard

import (
	"errors"
	"fmt"
	"math"
	"net/http"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

type accountView struct {
	base
	Errors formErrors
	Error  string
	// SSOOnly: the user signs in by single sign-on and has no password
	// to change.
	SSOOnly bool
}

// account is the signed-in user's own page: who they are, their role, and
// the form to change their password.
func (d *Dashboard) account(w http.ResponseWriter, r *http.Request) error {
	u, err := d.cfg.Store.UserGet(r.Context(), userFrom(r.Context()))
	if err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "account", accountView{base: d.base(r, "Your account", "account"), SSOOnly: u.SSOOnly()})
	return nil
}

// changePassword changes the signed-in user's own password: the current
// one is required, and checking it is throttled as a sign-in is. Every
// session of the account ends; this browser gets a new one.
func (d *Dashboard) changePassword(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := r.PostForm
	v := accountView{base: d.base(r, "Your account", "account"), Errors: formErrors{}}
	current, password := f.Get("current_password"), f.Get("password")
	if current == "" {
		v.Errors.add("current_password", "is required")
	}
	if password == "" {
		v.Errors.add("password", "is required")
	} else if password != f.Get("confirm") {
		v.Errors.add("confirm", "does not match the new password")
	}
	if len(v.Errors) > 0 {
		d.render(w, r, http.StatusUnprocessableEntity, "account", v)
		return nil
	}
	se, token, err := d.sessions.ChangePassword(r.Context(), userFrom(r.Context()), current, password, clientIP(r))
	if throttled, ok := errors.AsType[*auth.ThrottledError](err); ok {
		mins := int(math.Ceil(throttled.Wait.Minutes()))
		v.Error = fmt.Sprintf("Too many wrong passwords. Try again in %d minute%s.", mins, plural(mins))
		if throttled.Busy {
			v.Error = "Too many password checks at once. Try again in a moment."
		}
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(throttled.Wait.Seconds()))))
		d.render(w, r, http.StatusTooManyRequests, "account", v)
		return nil
	}
	if err != nil {
		errs, top, err := fieldErrors(err, "current_password", "password")
		if err != nil {
			return err
		}
		v.Errors, v.Error = errs, top
		d.render(w, r, webhook.HTTPStatus(webhook.EUNPROCESSABLE), "account", v)
		return nil
	}
	d.setSessionCookie(w, r, token, se)
	http.Redirect(w, r, "/account?notice=password-saved", http.StatusSeeOther)
	return nil
}

type inviteView struct {
	base
	Invite   auth.Invite
	Token    string
	Username string
	Errors   formErrors
	Error    string
}

// invitePage is where an invitation link leads: a form to choose a
// username and password, or why the link no longer works.
func (d *Dashboard) invitePage(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	token := r.PathValue("token")
	v := inviteView{base: d.base(r, "Join Hookline", ""), Token: token}
	inv, err := d.cfg.Users.LookupInvite(r.Context(), token)
	if err != nil {
		if webhook.ErrorCode(err) != webhook.ENOTFOUND {
			return err
		}
		v.Error = err.(*webhook.Error).Message
		d.render(w, r, http.StatusNotFound, "invite", v)
		return nil
	}
	v.Invite = inv
	d.render(w, r, http.StatusOK, "invite", v)
	return nil
}

// acceptInvite makes the invited account and signs it in.
func (d *Dashboard) acceptInvite(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Referrer-Policy", "no-referrer")
	if err := parseForm(r); err != nil {
		return err
	}
	token := r.PathValue("token")
	f := r.PostForm
	v := inviteView{base: d.base(r, "Join Hookline", ""), Token: token, Username: f.Get("username")}
	inv, err := d.cfg.Users.LookupInvite(r.Context(), token)
	if err != nil {
		if webhook.ErrorCode(err) != webhook.ENOTFOUND {
			return err
		}
		v.Error = err.(*webhook.Error).Message
		d.render(w, r, http.StatusNotFound, "invite", v)
		return nil
	}
	v.Invite = inv
	if f.Get("password") != f.Get("confirm") {
		v.Errors = formErrors{"confirm": "does not match the password"}
		d.render(w, r, http.StatusUnprocessableEntity, "invite", v)
		return nil
	}
	u, err := d.cfg.Users.AcceptInvite(r.Context(), token, f.Get("username"), f.Get("password"))
	if err != nil {
		errs, top, err := fieldErrors(err, "username", "password")
		if err != nil {
			return err
		}
		v.Errors, v.Error = errs, top
		status := http.StatusUnprocessableEntity
		if errs == nil && top != "" {
			status = http.StatusNotFound // the link stopped working meanwhile
		}
		d.render(w, r, status, "invite", v)
		return nil
	}
	se, tok, err := d.sessions.Start(r.Context(), u)
	if err != nil {
		return err
	}
	d.setSessionCookie(w, r, tok, se)
	http.Redirect(w, r, "/?notice=welcome", http.StatusSeeOther)
	return nil
}
