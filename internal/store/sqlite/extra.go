package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

const binColumns = `id, token, name, max_requests, created_at, expires_at`

func scanBin(r scanner) (webhook.Bin, error) {
	var b webhook.Bin
	var created, expires int64
	err := r.Scan(&b.ID, &b.Token, &b.Name, &b.MaxRequests, &created, &expires)
	b.CreatedAt, b.ExpiresAt = fromTS(created), fromTS(expires)
	return b, err
}

// BinCreate implements store.BinStore.
func (s *Store) BinCreate(ctx context.Context, b webhook.Bin) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO bins (`+binColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
			b.ID, b.Token, b.Name, b.MaxRequests, ts(b.CreatedAt), ts(b.ExpiresAt))
		return err
	})
}

// BinGet implements store.BinStore.
func (s *Store) BinGet(ctx context.Context, id string) (webhook.Bin, error) {
	b, err := scanBin(s.rdb.QueryRowContext(ctx, `SELECT `+binColumns+` FROM bins WHERE id = ?`, id))
	return b, notFound(err, "bin")
}

// BinByToken implements store.BinStore.
func (s *Store) BinByToken(ctx context.Context, token string) (webhook.Bin, error) {
	b, err := scanBin(s.rdb.QueryRowContext(ctx, `SELECT `+binColumns+` FROM bins WHERE token = ?`, token))
	return b, notFound(err, "bin")
}

// BinList implements store.BinStore.
func (s *Store) BinList(ctx context.Context) ([]webhook.Bin, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+binColumns+` FROM bins ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []webhook.Bin
	for rows.Next() {
		b, err := scanBin(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BinDelete implements store.BinStore.
func (s *Store) BinDelete(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM bins WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &webhook.Error{Code: webhook.ENOTFOUND, Message: "bin not found"}
		}
		return nil
	})
}

// BinRequestAdd implements store.BinStore.
func (s *Store) BinRequestAdd(ctx context.Context, r webhook.BinRequest) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var keep int
		if err := tx.QueryRow(`SELECT max_requests FROM bins WHERE id = ?`, r.BinID).Scan(&keep); err != nil {
			return notFound(err, "bin")
		}
		if _, err := tx.Exec(`INSERT INTO bin_requests (id, bin_id, method, path, query, headers, body,
			size, truncated, remote_addr, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.BinID, r.Method, r.Path, r.Query, headerJSON(r.Headers), nonNil(r.Body), r.Size,
			boolInt(r.Truncated), r.RemoteAddr, ts(r.ReceivedAt)); err != nil {
			return err
		}
		_, err := tx.Exec(`DELETE FROM bin_requests WHERE bin_id = ? AND id NOT IN
			(SELECT id FROM bin_requests WHERE bin_id = ? ORDER BY id DESC LIMIT ?)`, r.BinID, r.BinID, keep)
		return err
	})
}

const binRequestColumns = `id, bin_id, method, path, query, headers, body, size, truncated, remote_addr, received_at`

func scanBinRequest(r scanner) (webhook.BinRequest, error) {
	var br webhook.BinRequest
	var headers string
	var trunc int
	var at int64
	if err := r.Scan(&br.ID, &br.BinID, &br.Method, &br.Path, &br.Query, &headers, &br.Body, &br.Size,
		&trunc, &br.RemoteAddr, &at); err != nil {
		return br, err
	}
	br.Truncated = trunc == 1
	br.ReceivedAt = fromTS(at)
	return br, json.Unmarshal([]byte(headers), &br.Headers)
}

// BinRequestList implements store.BinStore.
func (s *Store) BinRequestList(ctx context.Context, p store.BinRequestListParams) ([]webhook.BinRequest, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+binRequestColumns+` FROM bin_requests
		WHERE bin_id = ? AND id > ? ORDER BY id DESC LIMIT ?`, p.BinID, p.AfterID, store.PageLimit(p.Limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []webhook.BinRequest
	for rows.Next() {
		r, err := scanBinRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// BinRequestGet implements store.BinStore.
func (s *Store) BinRequestGet(ctx context.Context, id string) (webhook.BinRequest, error) {
	r, err := scanBinRequest(s.rdb.QueryRowContext(ctx, `SELECT `+binRequestColumns+` FROM bin_requests WHERE id = ?`, id))
	return r, notFound(err, "request")
}

// BinExpire implements store.BinStore.
func (s *Store) BinExpire(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM bins WHERE expires_at <= ?`, ts(now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// AuditAdd implements store.AuditStore.
func (s *Store) AuditAdd(ctx context.Context, e webhook.AuditEntry) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO audit_log (id, at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)`,
			e.ID, ts(e.At), e.Actor, e.Action, e.Target, e.Detail)
		return err
	})
}

// AuditList implements store.AuditStore.
func (s *Store) AuditList(ctx context.Context, p store.AuditListParams) (store.AuditPage, error) {
	var where []string
	var args []any
	if p.Target != "" {
		where = append(where, "target = ?")
		args = append(args, p.Target)
	}
	if p.Cursor != "" {
		where = append(where, "id < ?")
		args = append(args, p.Cursor)
	}
	q := `SELECT id, at, actor, action, target, detail FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := store.PageLimit(p.Limit)
	rows, err := s.rdb.QueryContext(ctx, q+" ORDER BY id DESC LIMIT ?", append(args, limit+1)...)
	if err != nil {
		return store.AuditPage{}, err
	}
	defer rows.Close()
	var page store.AuditPage
	for rows.Next() {
		var e webhook.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return page, err
		}
		e.At = fromTS(at)
		page.Entries = append(page.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return page, err
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
	err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// UserGet implements store.UserStore.
func (s *Store) UserGet(ctx context.Context, username string) (webhook.User, error) {
	var u webhook.User
	var created, updated int64
	err := s.rdb.QueryRowContext(ctx, `SELECT username, password_hash, created_at, updated_at FROM users
		WHERE username = ?`, username).Scan(&u.Username, &u.PasswordHash, &created, &updated)
	u.CreatedAt, u.UpdatedAt = fromTS(created), fromTS(updated)
	return u, notFound(err, "user")
}

// UserSave implements store.UserStore.
func (s *Store) UserSave(ctx context.Context, u webhook.User) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO users (username, password_hash, created_at, updated_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,
			updated_at = excluded.updated_at`, u.Username, u.PasswordHash, ts(u.CreatedAt), ts(u.UpdatedAt))
		return err
	})
}

// SessionCreate implements store.UserStore.
func (s *Store) SessionCreate(ctx context.Context, se webhook.Session, tokenHash []byte) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO sessions (token_hash, id, username, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?)`, tokenHash, se.ID, se.Username, ts(se.CreatedAt), ts(se.ExpiresAt))
		return err
	})
}

// SessionGet implements store.UserStore.
func (s *Store) SessionGet(ctx context.Context, tokenHash []byte) (webhook.Session, error) {
	var se webhook.Session
	var created, expires int64
	err := s.rdb.QueryRowContext(ctx, `SELECT id, username, created_at, expires_at FROM sessions
		WHERE token_hash = ?`, tokenHash).Scan(&se.ID, &se.Username, &created, &expires)
	se.CreatedAt, se.ExpiresAt = fromTS(created), fromTS(expires)
	return se, notFound(err, "session")
}

// SessionDelete implements store.UserStore.
func (s *Store) SessionDelete(ctx context.Context, tokenHash []byte) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
		return err
	})
}

// SessionDeleteUser implements store.UserStore.
func (s *Store) SessionDeleteUser(ctx context.Context, username string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM sessions WHERE username = ?`, username)
		return err
	})
}

// LeaderAcquire implements store.MaintenanceStore.
func (s *Store) LeaderAcquire(ctx context.Context, name, owner string, now, until time.Time) (bool, error) {
	var got bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO leaders (name, owner, until) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
			WHERE leaders.owner = excluded.owner OR leaders.until <= ?`, name, owner, ts(until), ts(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		got = n == 1
		return err
	})
	return got, err
}
