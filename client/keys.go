package client

import (
	"context"
	"net/url"
)

// KeyList returns every API key's metadata, revoked and expired ones
// included.
//
// GET /api/v1/keys (admin).
func (c *Client) KeyList(ctx context.Context) ([]APIKey, error) {
	var page Page[APIKey]
	if err := c.do(ctx, request{method: "GET", path: "/api/v1/keys"}, &page); err != nil {
		return nil, err
	}
	return page.Data, nil
}

// KeyCreate creates an API key. The answer's Key is shown only this once.
//
// POST /api/v1/keys (admin).
func (c *Client) KeyCreate(ctx context.Context, p KeyCreateParams) (*CreatedKey, error) {
	var k CreatedKey
	if err := c.do(ctx, request{method: "POST", path: "/api/v1/keys", body: p}, &k); err != nil {
		return nil, err
	}
	return &k, nil
}

// KeyRevoke revokes an API key at once.
//
// DELETE /api/v1/keys/{id} (admin).
func (c *Client) KeyRevoke(ctx context.Context, id string) error {
	return c.do(ctx, request{method: "DELETE", path: pathf("/api/v1/keys/%s", id)}, nil)
}

// AuditList returns one page of the audit log, newest first. AuditListAll
// follows the cursors.
//
// GET /api/v1/audit-log (admin).
func (c *Client) AuditList(ctx context.Context, p AuditListParams) (*Page[AuditEntry], error) {
	q := url.Values{}
	setQuery(q, "target", p.Target)
	setLimit(q, p.Limit)
	setQuery(q, "cursor", p.Cursor)
	var page Page[AuditEntry]
	if err := c.do(ctx, request{method: "GET", path: "/api/v1/audit-log", query: q}, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// Me returns the key the client authenticates with and the server's name
// and version: a cheap way to check a URL and key.
//
// GET /api/v1/me (publish or admin); IsUnauthorized for a bad key.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	var m Me
	if err := c.do(ctx, request{method: "GET", path: "/api/v1/me"}, &m); err != nil {
		return nil, err
	}
	return &m, nil
}
