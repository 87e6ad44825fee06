package client

import (
	"context"
	"net/url"
)

// HookSubscribe creates a REST Hooks subscription, as automation platforms
// do when a user turns a trigger on: a webhook in raw format subscribed to
// one event type.
//
// POST /api/v1/hooks (admin).
func (c *Client) HookSubscribe(ctx context.Context, p HookSubscribeParams) (*Hook, error) {
	var h Hook
	if err := c.do(ctx, request{method: "POST", path: "/api/v1/hooks", body: p}, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// HookUnsubscribe deletes a REST Hooks subscription by its id.
//
// DELETE /api/v1/hooks/{id} (admin).
func (c *Client) HookUnsubscribe(ctx context.Context, id string) error {
	return c.do(ctx, request{method: "DELETE", path: pathf("/api/v1/hooks/%s", id)}, nil)
}

// HookSamples returns up to three recent payloads of an event type, newest
// first (or the catalog example when there are none), as the flat objects
// a subscription receives, each with an "id".
//
// GET /api/v1/hooks/samples/{event} (admin).
func (c *Client) HookSamples(ctx context.Context, event string, p HookSamplesParams) ([]map[string]any, error) {
	q := url.Values{}
	setQuery(q, "tenant", p.Tenant)
	var out []map[string]any
	if err := c.do(ctx, request{method: "GET", path: pathf("/api/v1/hooks/samples/%s", event), query: q}, &out); err != nil {
		return nil, err
	}
	return out, nil
}
