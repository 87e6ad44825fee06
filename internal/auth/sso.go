package auth

import (
	"context"
	"slices"
	"strings"

	"github.com/hookline/hookline/internal/webhook"
)

// ssoPasswordHash is the stored password of an account made by single
// sign-on: not a hash of anything (CheckPassword never matches a
// malformed hash), so it signs in through its identity provider only,
// until an owner sets a password.
const ssoPasswordHash = "sso"

// SSOOnly reports whether u signs in by single sign-on only: it was made
// by it and has no password.
func (u User) SSOOnly() bool { return u.PasswordHash == ssoPasswordHash }

// SSOIdentity is who an identity provider vouched for.
type SSOIdentity struct {
	// Email is the address the provider verified; it becomes the
	// username.
	Email string
	// Roles are the values of the provider's role claim; the most
	// powerful that names a role (owner, admin, viewer) is the user's.
	// None leaves an existing user's role as it is.
	Roles []string
}

// SSOPolicy is who may sign in by single sign-on.
type SSOPolicy struct {
	// AllowedDomains are the e-mail domains whose users are let in (and
	// made on their first sign-in); none lets in only users who exist.
	AllowedDomains []string
	// DefaultRole is a new user's role when the role claim names none.
	DefaultRole Role
}

// SSOUser returns the account of a signed-in identity: the user named by
// its e-mail address, made (audited user.create) on its first sign-in
// when its domain is allowed, with its role set from the role claim
// (audited user.role_change) when the claim names one. The last owner is
// never demoted by a claim: it keeps the owner role. Anyone else is
// refused (EFORBIDDEN) with why.
func (us *Users) SSOUser(ctx context.Context, id SSOIdentity, policy SSOPolicy) (User, error) {
	name, err := CheckUsername(id.Email)
	if err != nil || !strings.Contains(name, "@") {
		return User{}, webhook.Errorf(webhook.EFORBIDDEN, "the identity provider gave no usable e-mail address (%q)", id.Email)
	}
	role := roleFromClaim(id.Roles)
	sys := System()
	u, err := us.cfg.Store.UserGet(ctx, name)
	switch {
	case webhook.ErrorCode(err) == webhook.ENOTFOUND:
		_, domain, _ := strings.Cut(name, "@")
		if !slices.Contains(policy.AllowedDomains, domain) {
			return User{}, webhook.Errorf(webhook.EFORBIDDEN,
				"%s has no Hookline account, and single sign-on makes accounts only for the domains %v: ask an owner to invite you", name, policy.AllowedDomains)
		}
		if role == "" {
			role = policy.DefaultRole
		}
		now := us.cfg.Now().UTC()
		u = User{Username: name, Role: role, PasswordHash: ssoPasswordHash, CreatedAt: now, UpdatedAt: now}
		if err := us.cfg.Store.UserCreate(ctx, u); err != nil {
			if webhook.ErrorCode(err) != webhook.ECONFLICT {
				return User{}, err
			}
			// Made at the same moment by another sign-in: use it.
			return us.cfg.Store.UserGet(ctx, name)
		}
		us.record(ctx, sys, "user.create", name, "role "+string(role)+", by single sign-on")
		return u, nil
	case err != nil:
		return User{}, err
	}
	if role == "" || role == u.Role {
		return u, nil
	}
	if err := us.cfg.Store.UserSetRole(ctx, name, role, us.cfg.Now().UTC()); err != nil {
		if webhook.ErrorCode(err) == webhook.ECONFLICT {
			return u, nil // the last owner stays one
		}
		return User{}, err
	}
	us.record(ctx, sys, "user.role_change", name, string(u.Role)+" → "+string(role)+", from the identity provider")
	u.Role = role
	return u, nil
}

// roleFromClaim is the most powerful role named among values, or "".
func roleFromClaim(values []string) Role {
	for _, r := range Roles {
		for _, v := range values {
			if got, ok := ParseRole(v); ok && got == r {
				return r
			}
		}
	}
	return ""
}
