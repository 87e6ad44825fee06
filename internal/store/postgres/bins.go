package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/store"
)

const binColumns = `id, token, name, tenant, max_requests, created_at, expires_at, response`

func scanBin(r scanner) (bin.Bin, error) {
	var b bin.Bin
	err := r.Scan(&b.ID, &b.Token, &b.Name, &b.Tenant, &b.MaxRequests, &b.CreatedAt, &b.ExpiresAt, &b.Response)
	b.CreatedAt, b.ExpiresAt = b.CreatedAt.UTC(), b.ExpiresAt.UTC()
	return b, err
}

// BinCreate implements store.BinStore.
func (s *Store) BinCreate(ctx context.Context, b bin.Bin) error {
	_, err := s.exec(ctx, `INSERT INTO bins (`+binColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		b.ID, b.Token, b.Name, store.BinTenant(b), b.MaxRequests, b.CreatedAt, b.ExpiresAt, b.Response)
	return err
}

// BinSetResponse implements store.BinStore.
func (s *Store) BinSetResponse(ctx context.Context, scope auth.Scope, id string, r *bin.Response) error {
	if r != nil {
		c := *r
		c.Body = cleanText(c.Body) // jsonb holds no NUL
		r = &c
	}
	n, err := s.exec(ctx, `UPDATE bins SET response = $1 WHERE id = $2`+inScope("tenant", 3), r, id, scope.All(), scope.Tenant())
	if err == nil && n == 0 {
		return errNotFound("bin")
	}
	return err
}

// BinGet implements store.BinStore.
func (s *Store) BinGet(ctx context.Context, scope auth.Scope, id string) (bin.Bin, error) {
	b, err := scanBin(s.pool.QueryRow(ctx, `SELECT `+binColumns+` FROM bins WHERE id = $1`+inScope("tenant", 2),
		id, scope.All(), scope.Tenant()))
	return b, s.notFound(err, "bin")
}

// BinByToken implements store.BinStore.
func (s *Store) BinByToken(ctx context.Context, token string) (bin.Bin, error) {
	b, err := scanBin(s.pool.QueryRow(ctx, `SELECT `+binColumns+` FROM bins WHERE token = $1`, token))
	return b, s.notFound(err, "bin")
}

// BinList implements store.BinStore.
func (s *Store) BinList(ctx context.Context, scope auth.Scope) ([]bin.Bin, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+binColumns+` FROM bins WHERE true`+inScope("tenant", 1)+` ORDER BY id DESC`,
		scope.All(), scope.Tenant())
	if err != nil {
		return nil, s.fail(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bin.Bin, error) { return scanBin(r) })
	return out, s.fail(err)
}

// BinDelete implements store.BinStore; the requests go with the bin.
func (s *Store) BinDelete(ctx context.Context, scope auth.Scope, id string) error {
	n, err := s.exec(ctx, `DELETE FROM bins WHERE id = $1`+inScope("tenant", 2), id, scope.All(), scope.Tenant())
	if err == nil && n == 0 {
		return errNotFound("bin")
	}
	return err
}

// BinRequestAdd implements store.BinStore. Captured requests come from
// anyone, so their text is made storable rather than refused.
func (s *Store) BinRequestAdd(ctx context.Context, r bin.Request) error {
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
			remote_addr, received_at, target, proto, answered)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			r.ID, r.BinID, cleanText(r.Method), cleanText(r.Path), cleanText(r.Query), headerJSON(r.Headers),
			nonNil(r.Body), r.Size, r.Truncated, cleanText(r.RemoteAddr), r.ReceivedAt, cleanText(r.Target),
			cleanText(r.Proto), r.Answered)
		b.Queue(`DELETE FROM bin_requests WHERE bin_id = $1 AND id NOT IN
			(SELECT id FROM bin_requests WHERE bin_id = $1 ORDER BY id DESC
			 LIMIT (SELECT max_requests FROM bins WHERE id = $1))`, r.BinID)
		return tx.SendBatch(ctx, &b).Close()
	})
}

const binRequestSelect = `SELECT id, bin_id, method, path, query, headers, body, size, truncated, remote_addr,
	received_at, target, proto, answered FROM bin_requests `

func scanBinRequest(r scanner) (bin.Request, error) {
	var br bin.Request
	var headers string
	if err := r.Scan(&br.ID, &br.BinID, &br.Method, &br.Path, &br.Query, &headers, &br.Body, &br.Size,
		&br.Truncated, &br.RemoteAddr, &br.ReceivedAt, &br.Target, &br.Proto, &br.Answered); err != nil {
		return br, err
	}
	br.ReceivedAt = br.ReceivedAt.UTC()
	return br, json.Unmarshal([]byte(headers), &br.Headers)
}

// BinRequestList implements store.BinStore.
func (s *Store) BinRequestList(ctx context.Context, p store.BinRequestListParams) ([]bin.Request, error) {
	rows, err := s.pool.Query(ctx, binRequestSelect+`WHERE bin_id = $1 AND id > $2
		AND bin_id IN (SELECT id FROM bins WHERE id = $1`+inScope("tenant", 4)+`) ORDER BY id DESC LIMIT $3`,
		p.BinID, p.AfterID, store.PageLimit(p.Limit), p.Scope.All(), p.Scope.Tenant())
	if err != nil {
		return nil, s.fail(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bin.Request, error) { return scanBinRequest(r) })
	return out, s.fail(err)
}

// BinRequestGet implements store.BinStore.
func (s *Store) BinRequestGet(ctx context.Context, id string) (bin.Request, error) {
	r, err := scanBinRequest(s.pool.QueryRow(ctx, binRequestSelect+`WHERE id = $1`, id))
	return r, s.notFound(err, "request")
}

// BinExpire implements store.BinStore.
func (s *Store) BinExpire(ctx context.Context, now time.Time) (int, error) {
	n, err := s.exec(ctx, `DELETE FROM bins WHERE expires_at <= $1`, now)
	return int(n), err
}
