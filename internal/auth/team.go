package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/webhook"
)

// PrefixInvite starts every invitation's ID.
const PrefixInvite = "inv_"

// InviteTTL is how long an invitation link may be used: a few days to
// reach its reader by e-mail or chat.
const InviteTTL = 7 * 24 * time.Hour

// maxInviteNote bounds the note an owner keeps with an invitation.
const maxInviteNote = 200

// Invite is a one-time link that makes a dashboard account with its role.
// Only the SHA-256 of its token is stored: a copy of the database accepts
// no invitation.
type Invite struct {
	ID   string `json:"id"`
	Role Role   `json:"role"`
	// Note says whom it is for, for the owners' list.
	Note string `json:"note,omitempty"`
	// CreatedBy is the audit actor that made it.
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// AcceptedAt and AcceptedBy (the account it made) are set once it
	// was used.
	AcceptedAt *time.Time `json:"accepted_at,omitempty"`
	AcceptedBy string     `json:"accepted_by,omitempty"`
}

// TeamStore is what managing users and invitations needs from storage.
// The stores keep at least one owner: a change that would leave none is
// refused (ECONFLICT) in the same transaction that would make it.
type TeamStore interface {
	UserStore
	// UserCreate stores a new user; ECONFLICT when the username is taken.
	UserCreate(ctx context.Context, u User) error
	// UserList returns every user by username.
	UserList(ctx context.Context) ([]User, error)
	// UserSetRole changes a user's role; ENOTFOUND, or ECONFLICT when it
	// would demote the last owner.
	UserSetRole(ctx context.Context, username string, role Role, now time.Time) error
	// UserSetPassword replaces an existing user's password hash;
	// ENOTFOUND when there is no such user.
	UserSetPassword(ctx context.Context, username, hash string, now time.Time) error
	// UserDelete deletes a user and its sessions; ENOTFOUND, or ECONFLICT
	// when it is the last owner.
	UserDelete(ctx context.Context, username string) error
	// InviteCreate stores a new invitation under its token's hash.
	InviteCreate(ctx context.Context, inv Invite, tokenHash []byte) error
	// InviteList returns every invitation, newest first.
	InviteList(ctx context.Context) ([]Invite, error)
	// InviteByToken returns the invitation with that token hash, used or
	// expired too; ENOTFOUND when there is none.
	InviteByToken(ctx context.Context, tokenHash []byte) (Invite, error)
	// InviteAccept, in one transaction, creates u with the invitation's
	// role and marks the invitation used by it, if it is unused and its
	// ExpiresAt is after now. ENOTFOUND when no such invitation can be
	// used; ECONFLICT when the username is taken (the invitation stays
	// unused).
	InviteAccept(ctx context.Context, tokenHash []byte, u User, now time.Time) (Invite, error)
	// InviteDelete deletes an invitation; ENOTFOUND when there is none.
	InviteDelete(ctx context.Context, id string) error
	audit.Store
}

// UsersConfig configures Users.
type UsersConfig struct {
	Store TeamStore
	Now   func() time.Time
	// HashPassword hashes new passwords; default HashPassword. Tests use a
	// cheaper work factor.
	HashPassword func(string) (string, error)
	Logger       *slog.Logger
}

// Users manages dashboard accounts and invitations for a principal, with
// their audit entries. It is the one implementation behind the REST API,
// the dashboard and the command line. Only an owner (ScopeOwner) manages
// accounts: an admin, and every key an admin makes, cannot make itself
// an owner.
type Users struct {
	cfg      UsersConfig
	recorder *audit.Recorder
}

// NewUsers returns Users; Store is required.
func NewUsers(cfg UsersConfig) *Users {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HashPassword == nil {
		cfg.HashPassword = HashPassword
	}
	return &Users{cfg: cfg, recorder: audit.NewRecorder(cfg.Store, cfg.Now, cfg.Logger)}
}

// ErrNotOwner refuses account management to a principal that is not an
// owner.
var ErrNotOwner = &webhook.Error{Code: webhook.EFORBIDDEN,
	Message: "managing dashboard users needs the owner role (or an API key with the owner scope)"}

var errUserNotFound = &webhook.Error{Code: webhook.ENOTFOUND, Message: "user not found"}

// mayManage refuses every principal but an owner of every tenant: users
// belong to no tenant.
func mayManage(p Principal) error {
	if !p.Can(ScopeOwner) || !p.Scope.All() {
		return ErrNotOwner
	}
	return nil
}

// List returns every user, by username.
func (us *Users) List(ctx context.Context, p Principal) ([]User, error) {
	if err := mayManage(p); err != nil {
		return nil, err
	}
	return us.cfg.Store.UserList(ctx)
}

// Get returns one user.
func (us *Users) Get(ctx context.Context, p Principal, username string) (User, error) {
	if err := mayManage(p); err != nil {
		return User{}, err
	}
	u, err := us.cfg.Store.UserGet(ctx, username)
	if webhook.ErrorCode(err) == webhook.ENOTFOUND {
		return User{}, errUserNotFound
	}
	return u, err
}

// UserParams describe a user to create.
type UserParams struct {
	Username string
	Role     string
	// Password is the new user's; "" makes a generated one, returned once.
	Password string
}

// Create makes a user and records user.create. It returns the user and,
// when none was given, the generated password (shown once).
func (us *Users) Create(ctx context.Context, p Principal, in UserParams) (User, string, error) {
	if err := mayManage(p); err != nil {
		return User{}, "", err
	}
	var v webhook.Validation
	name := checkUsername(&v, "username", in.Username)
	role := checkRole(&v, "role", in.Role)
	generated := ""
	if in.Password == "" {
		generated = GeneratePassword()
		in.Password = generated
	} else if err := CheckPasswordPolicy(in.Password); err != nil {
		_ = v.Merge(err)
	}
	if err := v.Err(); err != nil {
		return User{}, "", err
	}
	hash, err := us.cfg.HashPassword(in.Password)
	if err != nil {
		return User{}, "", err
	}
	now := us.cfg.Now().UTC()
	u := User{Username: name, Role: role, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := us.cfg.Store.UserCreate(ctx, u); err != nil {
		return User{}, "", usernameTaken(err, name)
	}
	us.record(ctx, p, "user.create", name, "role "+string(role))
	return u, generated, nil
}

func usernameTaken(err error, name string) error {
	if webhook.ErrorCode(err) == webhook.ECONFLICT {
		return webhook.FieldError(webhook.ECONFLICT, "username", "%q is taken: choose another username", name)
	}
	return err
}

// SetRole changes a user's role and records user.role_change. The last
// owner cannot be demoted.
func (us *Users) SetRole(ctx context.Context, p Principal, username, role string) (User, error) {
	u, err := us.Get(ctx, p, username)
	if err != nil {
		return User{}, err
	}
	var v webhook.Validation
	r := checkRole(&v, "role", role)
	if err := v.Err(); err != nil {
		return User{}, err
	}
	if r == u.Role {
		return u, nil
	}
	now := us.cfg.Now().UTC()
	if err := us.cfg.Store.UserSetRole(ctx, u.Username, r, now); err != nil {
		return User{}, lastOwner(err, "demoted")
	}
	us.record(ctx, p, "user.role_change", u.Username, string(u.Role)+" → "+string(r))
	u.Role, u.UpdatedAt = r, now
	return u, nil
}

func lastOwner(err error, what string) error {
	if webhook.ErrorCode(err) == webhook.ECONFLICT {
		return webhook.Errorf(webhook.ECONFLICT,
			"the last owner cannot be %s: make another user an owner first", what)
	}
	if webhook.ErrorCode(err) == webhook.ENOTFOUND {
		return errUserNotFound
	}
	return err
}

// SetPassword sets another user's password (an owner's reset), ends its
// sessions and records user.password_reset. "" makes a generated
// password, returned once.
func (us *Users) SetPassword(ctx context.Context, p Principal, username, password string) (string, error) {
	u, err := us.Get(ctx, p, username)
	if err != nil {
		return "", err
	}
	generated := ""
	if password == "" {
		generated = GeneratePassword()
		password = generated
	} else if err := CheckPasswordPolicy(password); err != nil {
		return "", err
	}
	hash, err := us.cfg.HashPassword(password)
	if err != nil {
		return "", err
	}
	if err := us.cfg.Store.UserSetPassword(ctx, u.Username, hash, us.cfg.Now().UTC()); err != nil {
		return "", lastOwner(err, "")
	}
	if err := us.cfg.Store.SessionDeleteUser(ctx, u.Username); err != nil {
		return "", err
	}
	us.record(ctx, p, "user.password_reset", u.Username, "")
	return generated, nil
}

// Delete removes a user and its sessions and records user.delete. The
// last owner cannot be removed.
func (us *Users) Delete(ctx context.Context, p Principal, username string) error {
	u, err := us.Get(ctx, p, username)
	if err != nil {
		return err
	}
	if err := us.cfg.Store.UserDelete(ctx, u.Username); err != nil {
		return lastOwner(err, "removed")
	}
	us.record(ctx, p, "user.delete", u.Username, "role "+string(u.Role))
	return nil
}

// InviteParams describe an invitation to make.
type InviteParams struct {
	Role string
	Note string
}

// Invite makes a one-time invitation link's token for a new account with
// a role, valid for InviteTTL, and records invite.create. The token is
// returned once; only its hash is kept.
func (us *Users) Invite(ctx context.Context, p Principal, in InviteParams) (Invite, string, error) {
	if err := mayManage(p); err != nil {
		return Invite{}, "", err
	}
	var v webhook.Validation
	role := checkRole(&v, "role", in.Role)
	note := strings.TrimSpace(in.Note)
	if utf8.RuneCountInString(note) > maxInviteNote {
		v.Add(webhook.EINVALID, webhook.At("note"), "must be at most %d characters", maxInviteNote)
	}
	if err := v.Err(); err != nil {
		return Invite{}, "", err
	}
	now := us.cfg.Now().UTC()
	inv := Invite{ID: webhook.NewID(PrefixInvite), Role: role, Note: note, CreatedBy: p.Actor(),
		CreatedAt: now, ExpiresAt: now.Add(InviteTTL)}
	token := newInviteToken()
	if err := us.cfg.Store.InviteCreate(ctx, inv, Hash(token)); err != nil {
		return Invite{}, "", err
	}
	detail := "role " + string(role)
	if note != "" {
		detail += ", for " + note
	}
	us.record(ctx, p, "invite.create", inv.ID, detail)
	return inv, token, nil
}

// Invites lists the invitations, newest first.
func (us *Users) Invites(ctx context.Context, p Principal) ([]Invite, error) {
	if err := mayManage(p); err != nil {
		return nil, err
	}
	return us.cfg.Store.InviteList(ctx)
}

// RevokeInvite deletes an invitation, so that its link no longer works,
// and records invite.revoke.
func (us *Users) RevokeInvite(ctx context.Context, p Principal, id string) error {
	if err := mayManage(p); err != nil {
		return err
	}
	if err := us.cfg.Store.InviteDelete(ctx, id); err != nil {
		if webhook.ErrorCode(err) == webhook.ENOTFOUND {
			return &webhook.Error{Code: webhook.ENOTFOUND, Message: "invitation not found"}
		}
		return err
	}
	us.record(ctx, p, "invite.revoke", id, "")
	return nil
}

// ErrInviteInvalid is the one answer to an invitation token that is
// unknown, used or expired.
var ErrInviteInvalid = &webhook.Error{Code: webhook.ENOTFOUND,
	Message: "this invitation link is not valid: it was used already, has expired or was revoked. Ask an owner for a new one"}

// LookupInvite returns the invitation of a token if it can still be
// used, else ErrInviteInvalid.
func (us *Users) LookupInvite(ctx context.Context, token string) (Invite, error) {
	if token == "" || len(token) > 100 {
		return Invite{}, ErrInviteInvalid
	}
	inv, err := us.cfg.Store.InviteByToken(ctx, Hash(token))
	switch {
	case webhook.ErrorCode(err) == webhook.ENOTFOUND:
		return Invite{}, ErrInviteInvalid
	case err != nil:
		return Invite{}, err
	case inv.AcceptedAt != nil || !us.cfg.Now().Before(inv.ExpiresAt):
		return Invite{}, ErrInviteInvalid
	}
	return inv, nil
}

// AcceptInvite makes the account an invitation is for, with the
// username and password its reader chose, and records invite.accept by
// the new user. The invitation works once.
func (us *Users) AcceptInvite(ctx context.Context, token, username, password string) (User, error) {
	if _, err := us.LookupInvite(ctx, token); err != nil {
		return User{}, err
	}
	var v webhook.Validation
	name := checkUsername(&v, "username", username)
	_ = v.Merge(CheckPasswordPolicy(password))
	if err := v.Err(); err != nil {
		return User{}, err
	}
	hash, err := us.cfg.HashPassword(password)
	if err != nil {
		return User{}, err
	}
	now := us.cfg.Now().UTC()
	u := User{Username: name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	inv, err := us.cfg.Store.InviteAccept(ctx, Hash(token), u, now)
	switch {
	case err == nil:
	case webhook.ErrorCode(err) == webhook.ENOTFOUND:
		return User{}, ErrInviteInvalid
	default:
		return User{}, usernameTaken(err, name)
	}
	u.Role = inv.Role
	us.recorder.Record(ctx, audit.Entry{Actor: UserPrincipal(u.Username, u.Role).Actor(), Action: "invite.accept",
		Target: u.Username, Detail: inv.ID + ", role " + string(inv.Role)})
	return u, nil
}

func (us *Users) record(ctx context.Context, p Principal, action, target, detail string) {
	us.recorder.Record(ctx, audit.Entry{Actor: p.Actor(), Tenant: p.Tenant(), Action: action, Target: target, Detail: detail})
}

func newInviteToken() string {
	var b [32]byte // 256 bits
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
