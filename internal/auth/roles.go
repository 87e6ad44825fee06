package auth

import (
	"strings"

	"github.com/hookline/hookline/internal/webhook"
)

// Role is what a dashboard user may do.
type Role string

// Roles of dashboard users, from most to least powerful.
const (
	// RoleOwner may do everything, managing users and invites included.
	RoleOwner Role = "owner"
	// RoleAdmin may do everything but manage users.
	RoleAdmin Role = "admin"
	// RoleViewer may look at everything an admin sees but change
	// nothing: the server refuses its every change.
	RoleViewer Role = "viewer"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleOwner, RoleAdmin, RoleViewer}

// ParseRole returns the role named s (any case, surrounding space
// ignored).
func ParseRole(s string) (Role, bool) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	switch r {
	case RoleOwner, RoleAdmin, RoleViewer:
		return r, true
	}
	return "", false
}

// MayChange reports whether r may change anything at all (a viewer may
// not).
func (r Role) MayChange() bool { return r == RoleOwner || r == RoleAdmin }

// RoleScopes are the API key scopes a role holds: what its user may do,
// and the most its keys may be given.
func RoleScopes(r Role) []string {
	switch r {
	case RoleOwner:
		return []string{ScopeOwner}
	case RoleAdmin:
		return []string{ScopeAdmin}
	case RoleViewer:
		return []string{ScopeRead}
	}
	return nil
}

// checkRole is the field problem of a role that is not one.
func checkRole(v *webhook.Validation, field, role string) Role {
	r, ok := ParseRole(role)
	if !ok {
		v.Add(webhook.EINVALID, webhook.At(field), "must be owner, admin or viewer")
	}
	return r
}

// Username rules: what a sign-in form, a URL path segment and an e-mail
// address all take without escaping.
const maxUsername = 64

// CheckUsername returns the stored form of a new username (trimmed,
// lower case) or a field error: 1 to 64 characters, letters, digits and
// . _ - @ +, starting with a letter or digit.
func CheckUsername(name string) (string, error) {
	var v webhook.Validation
	u := checkUsername(&v, "username", name)
	return u, v.Err()
}

func checkUsername(v *webhook.Validation, field, name string) string {
	u := strings.ToLower(strings.TrimSpace(name))
	switch {
	case u == "":
		v.Add(webhook.EINVALID, webhook.At(field), "is required")
	case len(u) > maxUsername:
		v.Add(webhook.EINVALID, webhook.At(field), "must be at most %d characters", maxUsername)
	case !usernameOK(u):
		v.Add(webhook.EINVALID, webhook.At(field),
			"may hold only letters, digits and . _ - @ +, and must start with a letter or digit")
	}
	return u
}

func usernameOK(u string) bool {
	for i, c := range u {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && strings.ContainsRune("._-@+", c):
		default:
			return false
		}
	}
	return true
}
