package client

import (
	"context"
	"net/url"
)

// EventPublish publishes an event. When it returns, the event and one
// pending delivery per subscribed active webhook are stored durably;
// delivery itself happens in the background.
//
// A publish that failed in transit can be repeated safely when it carries
// an IdempotencyKey: the server answers a repeat with the original event's
// id and Duplicate set.
//
// POST /api/v1/events (publish or admin). An unknown type or data that
// does not satisfy the type's schema is IsInvalid, with the *Error's
// Field naming the culprit ("type", "data.amount").
func (c *Client) EventPublish(ctx context.Context, p EventPublishParams) (*PublishResult, error) {
	var r PublishResult
	if err := c.do(ctx, request{method: "POST", path: "/api/v1/events", body: p}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// EventList returns one page of events, newest first, each with its
// delivery counts by state. EventListAll follows the cursors.
//
// GET /api/v1/events (admin).
func (c *Client) EventList(ctx context.Context, p EventListParams) (*Page[EventSummary], error) {
	q := url.Values{}
	setQuery(q, "tenant", p.Tenant)
	setQuery(q, "type", p.Type)
	setLimit(q, p.Limit)
	setQuery(q, "cursor", p.Cursor)
	var page Page[EventSummary]
	if err := c.do(ctx, request{method: "GET", path: "/api/v1/events", query: q}, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// EventGet returns an event with its deliveries.
//
// GET /api/v1/events/{id} (admin); IsNotFound for an unknown id.
func (c *Client) EventGet(ctx context.Context, id string) (*EventWithDeliveries, error) {
	return c.eventGet(ctx, id, nil)
}

// EventExplain is EventGet that also says which subscribed webhooks'
// payload filters kept the event from them, and why (judged by the
// filters as they are now).
//
// GET /api/v1/events/{id}?explain=true (read).
func (c *Client) EventExplain(ctx context.Context, id string) (*EventWithDeliveries, error) {
	return c.eventGet(ctx, id, url.Values{"explain": {"true"}})
}

func (c *Client) eventGet(ctx context.Context, id string, q url.Values) (*EventWithDeliveries, error) {
	var e EventWithDeliveries
	if err := c.do(ctx, request{method: "GET", path: pathf("/api/v1/events/%s", id), query: q}, &e); err != nil {
		return nil, err
	}
	return &e, nil
}
