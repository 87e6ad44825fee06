package registry

import (
	"context"
)

type actorKey struct{}

// WithActor records who is acting (e.g. "key:key_… (ci)" or "user:admin")
// for the audit log of changes made with ctx.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns the actor of ctx, or "system".
func ActorFrom(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return "system"
}

// audit records an action by the principal of ctx.
func (r *Registry) audit(ctx context.Context, action, target, detail string) {
	r.recorder.Record(ctx, ActorFrom(ctx), action, target, detail)
}

// Audit records an action done outside the registry (sign-ins).
func (r *Registry) Audit(ctx context.Context, action, target, detail string) {
	r.audit(ctx, action, target, detail)
}
