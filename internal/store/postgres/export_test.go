package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/store"
)

// MigrateTo applies the migrations up to version last to schema of the
// database at url, as a release that knew only those would have.
func MigrateTo(ctx context.Context, url, schema string, last int) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return err
	}
	setSchema(cfg, schema)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = migrateTo(ctx, conn, schema, last)
	return err
}

// CreateGroup stores ps as the committers store one group, and returns
// each call's answer and whether they were committed together.
func (s *Store) CreateGroup(ctx context.Context, ps []store.EventCreateParams) ([]store.EventCreateResult, []error, bool) {
	group := make([]*ingestReq, len(ps))
	for i, p := range ps {
		group[i] = &ingestReq{ctx: ctx, p: p, done: make(chan struct{})}
	}
	together := s.commitGroup(group, 0)
	res, errs := make([]store.EventCreateResult, len(ps)), make([]error, len(ps))
	for i, r := range group {
		<-r.done
		res[i], errs[i] = r.res, r.err
	}
	return res, errs, together
}

// SetTenantClock replaces the clock of the known-tenants cache.
func (s *Store) SetTenantClock(now func() time.Time) {
	s.tenants.mu.Lock()
	defer s.tenants.mu.Unlock()
	s.tenants.now = now
}

// TenantKnownFor is how long a tenant stays known (tenantKnownFor).
const TenantKnownFor = tenantKnownFor
