package registry

import (
	"context"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/auth"
)

// audit records an action by the principal of ctx ("system" without one).
func (r *Registry) audit(ctx context.Context, action, target, detail string) {
	p, _ := auth.PrincipalFrom(ctx)
	r.recorder.Record(ctx, audit.Entry{Actor: p.Actor(), Tenant: p.Tenant(), Action: action, Target: target, Detail: detail})
}

// Audit records an action done outside the registry (sign-ins).
func (r *Registry) Audit(ctx context.Context, action, target, detail string) {
	r.audit(ctx, action, target, detail)
}
