package dashboard

import (
	"net/http"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/webhook"
)

// inviteForm is the "invite a user" form, as typed.
type inviteForm struct {
	Role string
	Note string
	// Once is this render's one-shot token (formOnce).
	Once string
}

// inviteRow is an invitation in the list with its state at the time of
// the request.
type inviteRow struct {
	auth.Invite
	State string // "pending", "accepted" or "expired"
}

type usersView struct {
	base
	Users   []auth.User
	Invites []inviteRow
	Roles   []auth.Role
	Form    inviteForm
	Errors  formErrors
	Error   string
}

func (d *Dashboard) usersView(r *http.Request, f inviteForm) (usersView, error) {
	v := usersView{base: d.base(r, "Users", "users"), Form: f, Roles: auth.Roles}
	p, _ := auth.PrincipalFrom(r.Context())
	users, err := d.cfg.Users.List(r.Context(), p)
	if err != nil {
		return v, err
	}
	invites, err := d.cfg.Users.Invites(r.Context(), p)
	if err != nil {
		return v, err
	}
	v.Users = users
	now := d.cfg.Now()
	for _, inv := range invites {
		row := inviteRow{Invite: inv, State: "pending"}
		switch {
		case inv.AcceptedAt != nil:
			row.State = "accepted"
		case !now.Before(inv.ExpiresAt):
			row.State = "expired"
		}
		v.Invites = append(v.Invites, row)
	}
	return v, nil
}

// users lists the dashboard's users and invitations, with the forms that
// change them: an owner's page.
func (d *Dashboard) users(w http.ResponseWriter, r *http.Request) error {
	v, err := d.usersView(r, inviteForm{Role: string(auth.RoleViewer), Once: newFormToken()})
	if err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "users", v)
	return nil
}

// usersError shows the users page again with the problem of a change.
func (d *Dashboard) usersError(w http.ResponseWriter, r *http.Request, f inviteForm, err error) error {
	status := webhook.HTTPStatus(webhook.ErrorCode(err))
	errs, top, err := fieldErrors(err, "role", "note")
	if err != nil {
		return err
	}
	v, err := d.usersView(r, f)
	if err != nil {
		return err
	}
	v.Errors, v.Error = errs, top
	d.render(w, r, status, "users", v)
	return nil
}

type inviteCreatedView struct {
	base
	Invite auth.Invite
	// Link is the invitation's URL: on this page only, never stored.
	Link string
}

// createInvite makes an invitation and shows its link once, on the
// answer to the POST itself, as a new API key is shown.
func (d *Dashboard) createInvite(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := inviteForm{Role: r.PostForm.Get("role"), Note: r.PostForm.Get("note"), Once: r.PostForm.Get("once")}
	now := d.cfg.Now()
	if _, ok := d.inviteForms.sent(f.Once, now); ok {
		http.Redirect(w, r, "/users?notice=invite-exists#invites", http.StatusSeeOther)
		return nil
	}
	p, _ := auth.PrincipalFrom(r.Context())
	inv, token, err := d.cfg.Users.Invite(r.Context(), p, auth.InviteParams{Role: f.Role, Note: f.Note})
	if err != nil {
		errs, top, err := fieldErrors(err, "role", "note")
		if err != nil {
			return err
		}
		v, err := d.usersView(r, f)
		if err != nil {
			return err
		}
		v.Errors, v.Error = errs, top
		d.render(w, r, http.StatusUnprocessableEntity, "users", v)
		return nil
	}
	d.inviteForms.record(f.Once, inv.ID, now)
	d.render(w, r, http.StatusCreated, "invite_created", inviteCreatedView{
		base: d.base(r, "Invitation created", "users"), Invite: inv, Link: d.origin(r) + "/invite/" + token})
	return nil
}

// origin is where this server is reached: --public-url, else the
// request's own origin.
func (d *Dashboard) origin(r *http.Request) string {
	if d.cfg.PublicURL != "" {
		return strings.TrimRight(d.cfg.PublicURL, "/")
	}
	scheme := "http"
	if d.secure(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (d *Dashboard) revokeInvite(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.PrincipalFrom(r.Context())
	if err := d.cfg.Users.RevokeInvite(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/users?notice=invite-revoked#invites", http.StatusSeeOther)
	return nil
}

func (d *Dashboard) setUserRole(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	p, _ := auth.PrincipalFrom(r.Context())
	if _, err := d.cfg.Users.SetRole(r.Context(), p, r.PathValue("name"), r.PostForm.Get("role")); err != nil {
		if webhook.ErrorCode(err) == webhook.ENOTFOUND {
			return err
		}
		return d.usersError(w, r, inviteForm{Role: string(auth.RoleViewer), Once: newFormToken()}, err)
	}
	http.Redirect(w, r, "/users?notice=role-saved", http.StatusSeeOther)
	return nil
}

type userPasswordView struct {
	base
	Target auth.User
	Errors formErrors
	// Generated is the password made for the user: on this page only.
	Generated string
}

func (d *Dashboard) targetUser(r *http.Request) (auth.User, error) {
	p, _ := auth.PrincipalFrom(r.Context())
	return d.cfg.Users.Get(r.Context(), p, r.PathValue("name"))
}

// resetPasswordPage is an owner's form to set another user's password.
func (d *Dashboard) resetPasswordPage(w http.ResponseWriter, r *http.Request) error {
	u, err := d.targetUser(r)
	if err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "user_password", userPasswordView{base: d.base(r, "Reset password", "users"), Target: u})
	return nil
}

// resetPassword sets another user's password, typed or generated (shown
// once on the answer), and ends their sessions.
func (d *Dashboard) resetPassword(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	u, err := d.targetUser(r)
	if err != nil {
		return err
	}
	p, _ := auth.PrincipalFrom(r.Context())
	v := userPasswordView{base: d.base(r, "Reset password", "users"), Target: u}
	password := r.PostForm.Get("password")
	if r.PostForm.Get("generate") != "" {
		password = ""
	} else if password == "" {
		v.Errors = formErrors{"password": "type a new password, or choose “Generate one”"}
		d.render(w, r, http.StatusUnprocessableEntity, "user_password", v)
		return nil
	}
	generated, err := d.cfg.Users.SetPassword(r.Context(), p, u.Username, password)
	if err != nil {
		errs, top, err := fieldErrors(err, "password")
		if err != nil {
			return err
		}
		if top != "" {
			errs = formErrors{"password": top}
		}
		v.Errors = errs
		d.render(w, r, http.StatusUnprocessableEntity, "user_password", v)
		return nil
	}
	if u.Username == p.Name {
		// Their own sessions ended with the others: this one too.
		return d.signedOutAfter(w, r)
	}
	if generated != "" {
		v.Generated = generated
		d.render(w, r, http.StatusOK, "user_password", v)
		return nil
	}
	http.Redirect(w, r, "/users?notice=password-reset", http.StatusSeeOther)
	return nil
}

// signedOutAfter sends a user whose own session a change ended to the
// sign-in page.
func (d *Dashboard) signedOutAfter(w http.ResponseWriter, r *http.Request) error {
	d.clearCookie(w, r)
	http.Redirect(w, r, "/login?notice=expired", http.StatusSeeOther)
	return nil
}

type userDeleteView struct {
	base
	Target auth.User
	Self   bool
}

func (d *Dashboard) confirmDeleteUser(w http.ResponseWriter, r *http.Request) error {
	u, err := d.targetUser(r)
	if err != nil {
		return err
	}
	d.render(w, r, http.StatusOK, "user_delete", userDeleteView{base: d.base(r, "Remove user", "users"), Target: u,
		Self: u.Username == userFrom(r.Context())})
	return nil
}

func (d *Dashboard) deleteUser(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.PrincipalFrom(r.Context())
	name := r.PathValue("name")
	if err := d.cfg.Users.Delete(r.Context(), p, name); err != nil {
		if webhook.ErrorCode(err) == webhook.ENOTFOUND {
			return err
		}
		return d.usersError(w, r, inviteForm{Role: string(auth.RoleViewer), Once: newFormToken()}, err)
	}
	if name == p.Name {
		return d.signedOutAfter(w, r)
	}
	http.Redirect(w, r, "/users?notice=user-deleted", http.StatusSeeOther)
	return nil
}

// InviteDays is how many days an invitation link works.
func (inviteCreatedView) InviteDays() int { return int(auth.InviteTTL / (24 * time.Hour)) }

// InviteDays is how many days an invitation link works.
func (usersView) InviteDays() int { return int(auth.InviteTTL / (24 * time.Hour)) }
