package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

const binColumns = `id, token, name, max_requests, created_at, expires_at`

func scanBin(r scanner) (webhook.Bin, error) {
	var b webhook.Bin
	err := r.Scan(&b.ID, &b.Token, &b.Name, &b.MaxRequests, &b.CreatedAt, &b.ExpiresAt)
	b.CreatedAt, b.ExpiresAt = b.CreatedAt.UTC(), b.ExpiresAt.UTC()
	return b, err
}

// BinCreate implements store.BinStore.
func (s *Store) BinCreate(ctx context.Context, b webhook.Bin) error {
	_, err := s.exec(ctx, `INSERT INTO bins (`+binColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		b.ID, b.Token, b.Name, b.MaxRequests, b.CreatedAt, b.ExpiresAt)
	return err
}

// BinGet implements store.BinStore.
func (s *Store) BinGet(ctx context.Context, id string) (webhook.Bin, error) {
	b, err := scanBin(s.pool.QueryRow(ctx, `SELECT `+binColumns+` FROM bins WHERE id = $1`, id))
	return b, s.notFound(err, "bin")
}

// BinByToken implements store.BinStore.
func (s *Store) BinByToken(ctx context.Context, token string) (webhook.Bin, error) {
	b, err := scanBin(s.pool.QueryRow(ctx, `SELECT `+binColumns+` FROM bins WHERE token = $1`, token))
	return b, s.notFound(err, "bin")
}

// BinList implements store.BinStore.
func (s *Store) BinList(ctx context.Context) ([]webhook.Bin, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+binColumns+` FROM bins ORDER BY id DESC`)
	if err != nil {
		return nil, s.fail(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Bin, error) { return scanBin(r) })
	return out, s.fail(err)
}

// BinDelete implements store.BinStore; the requests go with the bin.
func (s *Store) BinDelete(ctx context.Context, id string) error {
	n, err := s.exec(ctx, `DELETE FROM bins WHERE id = $1`, id)
	if err == nil && n == 0 {
		return errNotFound("bin")
	}
	return err
}

// BinRequestAdd implements store.BinStore. Captured requests come from
// anyone, so their text is made storable rather than refused.
func (s *Store) BinRequestAdd(ctx context.Context, r webhook.BinRequest) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		// Locking the bin makes concurrent adds trim one after the other.
		b.Queue(`SELECT 1 FROM bins WHERE id = $1 FOR UPDATE`, r.BinID).Query(func(rows pgx.Rows) error {
			found := rows.Next()
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if !found {
				return errNotFound("bin")
			}
			return nil
		})
		b.Queue(`INSERT INTO bin_requests (id, bin_id, method, path, query, headers, body, size, truncated,
			remote_addr, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			r.ID, r.BinID, cleanText(r.Method), cleanText(r.Path), cleanText(r.Query), headerJSON(r.Headers),
			nonNil(r.Body), r.Size, r.Truncated, cleanText(r.RemoteAddr), r.ReceivedAt)
		b.Queue(`DELETE FROM bin_requests WHERE bin_id = $1 AND id NOT IN
			(SELECT id FROM bin_requests WHERE bin_id = $1 ORDER BY id DESC
			 LIMIT (SELECT max_requests FROM bins WHERE id = $1))`, r.BinID)
		return tx.SendBatch(ctx, &b).Close()
	})
}

const binRequestSelect = `SELECT id, bin_id, method, path, query, headers, body, size, truncated, remote_addr,
	received_at FROM bin_requests `

func scanBinRequest(r scanner) (webhook.BinRequest, error) {
	var br webhook.BinRequest
	var headers string
	if err := r.Scan(&br.ID, &br.BinID, &br.Method, &br.Path, &br.Query, &headers, &br.Body, &br.Size,
		&br.Truncated, &br.RemoteAddr, &br.ReceivedAt); err != nil {
		return br, err
	}
	br.ReceivedAt = br.ReceivedAt.UTC()
	return br, json.Unmarshal([]byte(headers), &br.Headers)
}

// BinRequestList implements store.BinStore.
func (s *Store) BinRequestList(ctx context.Context, p store.BinRequestListParams) ([]webhook.BinRequest, error) {
	rows, err := s.pool.Query(ctx, binRequestSelect+`WHERE bin_id = $1 AND id > $2 ORDER BY id DESC LIMIT $3`,
		p.BinID, p.AfterID, store.PageLimit(p.Limit))
	if err != nil {
		return nil, s.fail(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.BinRequest, error) { return scanBinRequest(r) })
	return out, s.fail(err)
}

// BinRequestGet implements store.BinStore.
func (s *Store) BinRequestGet(ctx context.Context, id string) (webhook.BinRequest, error) {
	r, err := scanBinRequest(s.pool.QueryRow(ctx, binRequestSelect+`WHERE id = $1`, id))
	return r, s.notFound(err, "request")
}

// BinExpire implements store.BinStore.
func (s *Store) BinExpire(ctx context.Context, now time.Time) (int, error) {
	n, err := s.exec(ctx, `DELETE FROM bins WHERE expires_at <= $1`, now)
	return int(n), err
}

// AuditAdd implements store.AuditStore.
func (s *Store) AuditAdd(ctx context.Context, e webhook.AuditEntry) error {
	_, err := s.exec(ctx, `INSERT INTO audit_log (id, at, actor, action, target, detail)
		VALUES ($1, $2, $3, $4, $5, $6)`, e.ID, e.At, e.Actor, e.Action, e.Target, e.Detail)
	return err
}

// AuditList implements store.AuditStore.
func (s *Store) AuditList(ctx context.Context, p store.AuditListParams) (store.AuditPage, error) {
	var wh where
	if p.Target != "" {
		wh.add("target = ?", p.Target)
	}
	if p.Cursor != "" {
		wh.add("id < ?", p.Cursor)
	}
	limit := store.PageLimit(p.Limit)
	rows, err := s.pool.Query(ctx, `SELECT id, at, actor, action, target, detail FROM audit_log`+wh.String()+
		` ORDER BY id DESC LIMIT `+wh.arg(limit+1), wh.args...)
	if err != nil {
		return store.AuditPage{}, s.fail(err)
	}
	var page store.AuditPage
	page.Entries, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.AuditEntry, error) {
		var e webhook.AuditEntry
		err := r.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Target, &e.Detail)
		e.At = e.At.UTC()
		return e, err
	})
	if err != nil {
		return store.AuditPage{}, s.fail(err)
	}
	if len(page.Entries) > limit {
		page.Entries = page.Entries[:limit]
		page.Next = page.Entries[limit-1].ID
	}
	return page, nil
}

// UserCount implements store.UserStore.
func (s *Store) UserCount(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, s.fail(err)
}

// UserGet implements store.UserStore.
func (s *Store) UserGet(ctx context.Context, username string) (webhook.User, error) {
	var u webhook.User
	err := s.pool.QueryRow(ctx, `SELECT username, password_hash, created_at, updated_at FROM users
		WHERE username = $1`, username).Scan(&u.Username, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, s.notFound(err, "user")
}

// UserSave implements store.UserStore.
func (s *Store) UserSave(ctx context.Context, u webhook.User) error {
	_, err := s.exec(ctx, `INSERT INTO users (username, password_hash, created_at, updated_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO UPDATE
		SET password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
		u.Username, u.PasswordHash, u.CreatedAt, u.UpdatedAt)
	return err
}

// SessionCreate implements store.UserStore.
func (s *Store) SessionCreate(ctx context.Context, se webhook.Session, tokenHash []byte) error {
	_, err := s.exec(ctx, `INSERT INTO sessions (token_hash, id, username, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, tokenHash, se.ID, se.Username, se.CreatedAt, se.ExpiresAt)
	return err
}

// SessionGet implements store.UserStore.
func (s *Store) SessionGet(ctx context.Context, tokenHash []byte) (webhook.Session, error) {
	var se webhook.Session
	err := s.pool.QueryRow(ctx, `SELECT id, username, created_at, expires_at FROM sessions
		WHERE token_hash = $1`, tokenHash).Scan(&se.ID, &se.Username, &se.CreatedAt, &se.ExpiresAt)
	se.CreatedAt, se.ExpiresAt = se.CreatedAt.UTC(), se.ExpiresAt.UTC()
	return se, s.notFound(err, "session")
}

// SessionDelete implements store.UserStore.
func (s *Store) SessionDelete(ctx context.Context, tokenHash []byte) error {
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	return err
}

// SessionDeleteUser implements store.UserStore.
func (s *Store) SessionDeleteUser(ctx context.Context, username string) error {
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE username = $1`, username)
	return err
}

// LeaderAcquire implements store.MaintenanceStore. Two instances racing
// for a free name both reach the one row; the loser's update finds it
// taken and changes nothing.
func (s *Store) LeaderAcquire(ctx context.Context, name, owner string, now, until time.Time) (bool, error) {
	n, err := s.exec(ctx, `INSERT INTO leaders (name, owner, until) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
		WHERE leaders.owner = excluded.owner OR leaders.until <= $4`, name, owner, until, now)
	return n == 1, err
}
