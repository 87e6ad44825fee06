package client

import (
	"context"
	"net/url"
	"time"
)

// DeliveryList returns one page of deliveries, newest first.
// DeliveryListAll follows the cursors.
//
// GET /api/v1/deliveries (admin).
func (c *Client) DeliveryList(ctx context.Context, p DeliveryListParams) (*Page[Delivery], error) {
	q := url.Values{}
	setQuery(q, "tenant", p.Tenant)
	setQuery(q, "webhook_id", p.WebhookID)
	setQuery(q, "event_id", p.EventID)
	setQuery(q, "status", p.Status)
	setQuery(q, "event_type", p.EventType)
	if !p.Since.IsZero() {
		q.Set("since", p.Since.UTC().Format(time.RFC3339Nano))
	}
	if !p.Until.IsZero() {
		q.Set("until", p.Until.UTC().Format(time.RFC3339Nano))
	}
	setQuery(q, "q", p.Query)
	setLimit(q, p.Limit)
	setQuery(q, "cursor", p.Cursor)
	var page Page[Delivery]
	if err := c.do(ctx, request{method: "GET", path: "/api/v1/deliveries", query: q}, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// DeliveryGet returns a delivery with its attempt log, oldest attempt
// first.
//
// GET /api/v1/deliveries/{id} (admin); IsNotFound for an unknown id.
func (c *Client) DeliveryGet(ctx context.Context, id string) (*DeliveryWithAttempts, error) {
	var d DeliveryWithAttempts
	if err := c.do(ctx, request{method: "GET", path: pathf("/api/v1/deliveries/%s", id)}, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// DeliveryRetry makes a delivery pending and due now, whatever its state,
// and returns it. The next attempt goes through the same path as the first.
//
// POST /api/v1/deliveries/{id}/retry (admin); IsConflict while an attempt
// is in flight.
func (c *Client) DeliveryRetry(ctx context.Context, id string) (*Delivery, error) {
	var d Delivery
	if err := c.do(ctx, request{method: "POST", path: pathf("/api/v1/deliveries/%s/retry", id)}, &d); err != nil {
		return nil, err
	}
	return &d, nil
}
