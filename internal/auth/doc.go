// Package auth is where Hookline authenticates: API keys (issued, checked
// with a short cache, rate limited) and dashboard users (password hashing,
// sign-in with throttling, sessions). The dashboard keeps only the HTTP
// side of it: cookies, forms and pages.
//
// Whoever a request authenticates as becomes a Principal in its context
// (WithPrincipal): its kind, its API key scopes, and the tenants it may act
// on (a Scope). Handlers, services and the audit log take it from there
// (PrincipalFrom), never from a bare string; the audit actor is
// Principal.Actor.
//
// It keeps nothing itself: the small storage interfaces it consumes
// (Store, UserStore, SessionStore) are declared here and implemented by
// the store backends, which import this package for its record types.
package auth
