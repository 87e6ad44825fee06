package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/auth"
)

const portalColumns = `id, tenant, read_only, return_url, event_types, session_ttl, created_at, expires_at,
	opened_at, session_expires_at`

// PortalLinkCreate implements auth.PortalStore.
func (s *Store) PortalLinkCreate(ctx context.Context, l auth.PortalLink, tokenHash []byte) error {
	_, err := s.exec(ctx, `INSERT INTO portal_links (token_hash, id, tenant, read_only, return_url, event_types,
		session_ttl, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		tokenHash, l.ID, l.Tenant, l.ReadOnly, l.ReturnURL, nonNilStrings(l.EventTypes),
		l.SessionTTL.Microseconds(), l.CreatedAt, l.ExpiresAt)
	return err
}

// PortalLinkOpen implements auth.PortalStore. The update's condition is
// checked under the row's lock, so a link is opened once however many
// requests race for it.
func (s *Store) PortalLinkOpen(ctx context.Context, tokenHash, sessionHash []byte, now time.Time) (auth.PortalLink, bool, error) {
	if s.closed.Load() {
		return auth.PortalLink{}, false, errClosed
	}
	l, err := scanPortalLink(s.pool.QueryRow(ctx, `UPDATE portal_links SET opened_at = $1, session_hash = $2,
		session_expires_at = $1 + session_ttl * interval '1 microsecond'
		WHERE token_hash = $3 AND opened_at IS NULL AND expires_at > $1
		RETURNING `+portalColumns, now, sessionHash, tokenHash))
	if err == nil {
		return l, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return auth.PortalLink{}, false, s.fail(err)
	}
	l, err = scanPortalLink(s.pool.QueryRow(ctx, `SELECT `+portalColumns+` FROM portal_links
		WHERE token_hash = $1`, tokenHash))
	return l, false, s.notFound(err, "portal link")
}

// PortalSessionGet implements auth.PortalStore.
func (s *Store) PortalSessionGet(ctx context.Context, sessionHash []byte) (auth.PortalLink, error) {
	if s.closed.Load() {
		return auth.PortalLink{}, errClosed
	}
	l, err := scanPortalLink(s.pool.QueryRow(ctx, `SELECT `+portalColumns+` FROM portal_links
		WHERE session_hash = $1`, sessionHash))
	return l, s.notFound(err, "portal session")
}

func scanPortalLink(r pgx.Row) (auth.PortalLink, error) {
	var l auth.PortalLink
	var ttl int64
	if err := r.Scan(&l.ID, &l.Tenant, &l.ReadOnly, &l.ReturnURL, &l.EventTypes, &ttl, &l.CreatedAt,
		&l.ExpiresAt, &l.OpenedAt, &l.SessionExpiresAt); err != nil {
		return auth.PortalLink{}, err
	}
	if len(l.EventTypes) == 0 {
		l.EventTypes = nil
	}
	l.SessionTTL = time.Duration(ttl) * time.Microsecond
	l.CreatedAt, l.ExpiresAt = l.CreatedAt.UTC(), l.ExpiresAt.UTC()
	l.OpenedAt, l.SessionExpiresAt = utcPtr(l.OpenedAt), utcPtr(l.SessionExpiresAt)
	return l, nil
}

// PortalLinkExpire implements auth.PortalStore.
func (s *Store) PortalLinkExpire(ctx context.Context, now time.Time) (int, error) {
	n, err := s.exec(ctx, `DELETE FROM portal_links WHERE
		(opened_at IS NULL AND expires_at <= $1) OR session_expires_at <= $1`, now)
	return int(n), err
}
