package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

const binColumns = `id, token, name, tenant, max_requests, created_at, expires_at, response`

func scanBin(r scanner) (bin.Bin, error) {
	var b bin.Bin
	var created, expires int64
	var resp sql.NullString
	if err := r.Scan(&b.ID, &b.Token, &b.Name, &b.Tenant, &b.MaxRequests, &created, &expires, &resp); err != nil {
		return b, err
	}
	b.CreatedAt, b.ExpiresAt = fromTS(created), fromTS(expires)
	if resp.Valid {
		b.Response = new(bin.Response)
		if err := json.Unmarshal([]byte(resp.String), b.Response); err != nil {
			return b, err
		}
	}
	return b, nil
}

// binResponseJSON is a bin's response column: NULL for the default.
func binResponseJSON(r *bin.Response) (any, error) {
	if r == nil {
		return nil, nil
	}
	b, err := json.Marshal(r)
	return string(b), err
}

// BinCreate implements store.BinStore.
func (s *Store) BinCreate(ctx context.Context, b bin.Bin) error {
	resp, err := binResponseJSON(b.Response)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO bins (`+binColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			b.ID, b.Token, b.Name, store.BinTenant(b), b.MaxRequests, ts(b.CreatedAt), ts(b.ExpiresAt), resp)
		return err
	})
}

// BinSetResponse implements store.BinStore.
func (s *Store) BinSetResponse(ctx context.Context, scope auth.Scope, id string, r *bin.Response) error {
	resp, err := binResponseJSON(r)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE bins SET response = ? WHERE id = ?`+inScope, resp, id, scopeAll(scope), scope.Tenant())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &webhook.Error{Code: webhook.ENOTFOUND, Message: "bin not found"}
		}
		return nil
	})
}

// BinGet implements store.BinStore.
func (s *Store) BinGet(ctx context.Context, scope auth.Scope, id string) (bin.Bin, error) {
	b, err := scanBin(s.rdb.QueryRowContext(ctx, `SELECT `+binColumns+` FROM bins WHERE id = ?`+inScope,
		id, scopeAll(scope), scope.Tenant()))
	return b, notFound(err, "bin")
}

// BinByToken implements store.BinStore.
func (s *Store) BinByToken(ctx context.Context, token string) (bin.Bin, error) {
	b, err := scanBin(s.rdb.QueryRowContext(ctx, `SELECT `+binColumns+` FROM bins WHERE token = ?`, token))
	return b, notFound(err, "bin")
}

// BinList implements store.BinStore.
func (s *Store) BinList(ctx context.Context, scope auth.Scope) ([]bin.Bin, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+binColumns+` FROM bins WHERE 1 = 1`+inScope+` ORDER BY id DESC`,
		scopeAll(scope), scope.Tenant())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bin.Bin
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
func (s *Store) BinDelete(ctx context.Context, scope auth.Scope, id string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`DELETE FROM bins WHERE id = ?`+inScope, id, scopeAll(scope), scope.Tenant())
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
func (s *Store) BinRequestAdd(ctx context.Context, r bin.Request) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var keep int
		if err := tx.QueryRow(`SELECT max_requests FROM bins WHERE id = ?`, r.BinID).Scan(&keep); err != nil {
			return notFound(err, "bin")
		}
		if _, err := tx.Exec(`INSERT INTO bin_requests (`+binRequestColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.BinID, r.Method, r.Path, r.Query, headerJSON(r.Headers), nonNil(r.Body), r.Size,
			boolInt(r.Truncated), r.RemoteAddr, ts(r.ReceivedAt), r.Target, r.Proto, r.Answered); err != nil {
			return err
		}
		_, err := tx.Exec(`DELETE FROM bin_requests WHERE bin_id = ? AND id NOT IN
			(SELECT id FROM bin_requests WHERE bin_id = ? ORDER BY id DESC LIMIT ?)`, r.BinID, r.BinID, keep)
		return err
	})
}

const binRequestColumns = `id, bin_id, method, path, query, headers, body, size, truncated, remote_addr,
	received_at, target, proto, answered`

func scanBinRequest(r scanner) (bin.Request, error) {
	var br bin.Request
	var headers string
	var trunc int
	var at int64
	if err := r.Scan(&br.ID, &br.BinID, &br.Method, &br.Path, &br.Query, &headers, &br.Body, &br.Size,
		&trunc, &br.RemoteAddr, &at, &br.Target, &br.Proto, &br.Answered); err != nil {
		return br, err
	}
	br.Truncated = trunc == 1
	br.ReceivedAt = fromTS(at)
	return br, json.Unmarshal([]byte(headers), &br.Headers)
}

// BinRequestList implements store.BinStore.
func (s *Store) BinRequestList(ctx context.Context, p store.BinRequestListParams) ([]bin.Request, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+binRequestColumns+` FROM bin_requests
		WHERE bin_id = ? AND id > ? AND bin_id IN (SELECT id FROM bins WHERE id = ?`+inScope+`)
		ORDER BY id DESC LIMIT ?`, p.BinID, p.AfterID, p.BinID, scopeAll(p.Scope), p.Scope.Tenant(), store.PageLimit(p.Limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []bin.Request
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
func (s *Store) BinRequestGet(ctx context.Context, id string) (bin.Request, error) {
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
