package registry

import (
	"context"

	"github.com/hookline/hookline/internal/webhook"
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

// audit records an action. The change it describes has already been made,
// so a failure to record is logged rather than undoing it.
func (r *Registry) audit(ctx context.Context, action, target, detail string) {
	e := webhook.AuditEntry{
		ID: webhook.NewID(webhook.PrefixAudit), At: r.cfg.Now().UTC(), Actor: ActorFrom(ctx),
		Action: action, Target: target, Detail: detail,
	}
	if err := r.cfg.Store.AuditAdd(context.WithoutCancel(ctx), e); err != nil {
		r.cfg.Logger.Warn("recording audit entry failed", "action", action, "target", target, "err", err)
	}
}

// Audit records an action done outside the registry (API keys, sign-ins).
func (r *Registry) Audit(ctx context.Context, action, target, detail string) {
	r.audit(ctx, action, target, detail)
}
