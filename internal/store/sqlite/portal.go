package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/hookline/hookline/internal/auth"
)

const portalColumns = `id, tenant, read_only, return_url, event_types, session_ttl, created_at, expires_at,
	opened_at, session_expires_at`

// PortalLinkCreate implements auth.PortalStore.
func (s *Store) PortalLinkCreate(ctx context.Context, l auth.PortalLink, tokenHash []byte) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO portal_links (token_hash, id, tenant, read_only, return_url, event_types,
			session_ttl, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			tokenHash, l.ID, l.Tenant, l.ReadOnly, l.ReturnURL, jsonText(stringsOrEmpty(l.EventTypes)),
			l.SessionTTL.Microseconds(), ts(l.CreatedAt), ts(l.ExpiresAt))
		return err
	})
}

// PortalLinkOpen implements auth.PortalStore. Writes are serialised, and
// the update's condition is checked in the same statement, so a link is
// opened once however many requests race for it.
func (s *Store) PortalLinkOpen(ctx context.Context, tokenHash, sessionHash []byte, now time.Time) (auth.PortalLink, bool, error) {
	var l auth.PortalLink
	opened := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		l, err = scanPortalLink(tx.QueryRow(`UPDATE portal_links SET opened_at = ?1, session_hash = ?2,
			session_expires_at = ?1 + session_ttl
			WHERE token_hash = ?3 AND opened_at IS NULL AND expires_at > ?1
			RETURNING `+portalColumns, ts(now), sessionHash, tokenHash))
		if err == nil {
			opened = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		l, err = scanPortalLink(tx.QueryRow(`SELECT `+portalColumns+` FROM portal_links WHERE token_hash = ?`,
			tokenHash))
		return notFound(err, "portal link")
	})
	return l, opened, err
}

// PortalSessionGet implements auth.PortalStore.
func (s *Store) PortalSessionGet(ctx context.Context, sessionHash []byte) (auth.PortalLink, error) {
	l, err := scanPortalLink(s.rdb.QueryRowContext(ctx, `SELECT `+portalColumns+` FROM portal_links
		WHERE session_hash = ?`, sessionHash))
	return l, notFound(err, "portal session")
}

func scanPortalLink(r *sql.Row) (auth.PortalLink, error) {
	var l auth.PortalLink
	var events string
	var ttl, created, expires int64
	var opened, sessionExpires sql.NullInt64
	if err := r.Scan(&l.ID, &l.Tenant, &l.ReadOnly, &l.ReturnURL, &events, &ttl, &created, &expires,
		&opened, &sessionExpires); err != nil {
		return auth.PortalLink{}, err
	}
	if err := json.Unmarshal([]byte(events), &l.EventTypes); err != nil {
		return auth.PortalLink{}, err
	}
	if len(l.EventTypes) == 0 {
		l.EventTypes = nil
	}
	l.SessionTTL = time.Duration(ttl) * time.Microsecond
	l.CreatedAt, l.ExpiresAt = fromTS(created), fromTS(expires)
	l.OpenedAt, l.SessionExpiresAt = fromNullTS(opened), fromNullTS(sessionExpires)
	return l, nil
}

// PortalLinkExpire implements auth.PortalStore.
func (s *Store) PortalLinkExpire(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM portal_links WHERE
			(opened_at IS NULL AND expires_at <= ?1) OR session_expires_at <= ?1`, ts(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
