// Package auth is where Hookline authenticates: API keys (issued, checked
// with a short cache, rate limited, revoked) and dashboard users (roles,
// invitations, password hashing, sign-in with throttling, sessions). The
// dashboard keeps only the HTTP side of it: cookies, forms and pages.
//
// Users is the one implementation of managing users and invitations, with
// their audit entries, behind the REST API, the dashboard and the command
// line. A user's role (owner, admin, viewer) is a set of key scopes
// (RoleScopes): only ScopeOwner manages users, so an admin, and any key it
// makes, never reaches them.
//
// Keys is the one implementation of creating and revoking keys, with their
// audit entries, behind the REST API, the dashboard and the command line.
//
// Whoever a request authenticates as becomes a Principal in its context
// (WithPrincipal): its kind, its API key scopes, and the tenants it may act
// on (a Scope). Handlers, services and the audit log take it from there
// (PrincipalFrom), never from a bare string; the audit actor is
// Principal.Actor, and store reads and writes by ID are limited to its
// Scope (ScopeFrom).
//
// It keeps nothing itself: the small storage interfaces it consumes
// (KeyStore, UserStore, SessionStore, besides audit.Store) are declared
// here and implemented by the store backends, which import this package
// for its record types; auth imports no store.
package auth
