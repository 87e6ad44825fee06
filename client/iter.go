package client

import (
	"context"
	"iter"
)

// WebhookListAll yields every webhook matching p, following the cursors
// page by page (p.Limit sets the page size, p.Cursor where to start). It
// stops at the first error, which it yields with a zero Webhook.
func (c *Client) WebhookListAll(ctx context.Context, p WebhookListParams) iter.Seq2[Webhook, error] {
	return listAll(p.Cursor, func(cursor string) (*Page[Webhook], error) {
		p.Cursor = cursor
		return c.WebhookList(ctx, p)
	})
}

// EventListAll yields every event matching p, following the cursors. It
// stops at the first error, which it yields with a zero EventSummary.
func (c *Client) EventListAll(ctx context.Context, p EventListParams) iter.Seq2[EventSummary, error] {
	return listAll(p.Cursor, func(cursor string) (*Page[EventSummary], error) {
		p.Cursor = cursor
		return c.EventList(ctx, p)
	})
}

// DeliveryListAll yields every delivery matching p, following the cursors.
// It stops at the first error, which it yields with a zero Delivery.
func (c *Client) DeliveryListAll(ctx context.Context, p DeliveryListParams) iter.Seq2[Delivery, error] {
	return listAll(p.Cursor, func(cursor string) (*Page[Delivery], error) {
		p.Cursor = cursor
		return c.DeliveryList(ctx, p)
	})
}

// AuditListAll yields every audit entry matching p, following the cursors.
// It stops at the first error, which it yields with a zero AuditEntry.
func (c *Client) AuditListAll(ctx context.Context, p AuditListParams) iter.Seq2[AuditEntry, error] {
	return listAll(p.Cursor, func(cursor string) (*Page[AuditEntry], error) {
		p.Cursor = cursor
		return c.AuditList(ctx, p)
	})
}

// listAll pages through a list starting at cursor. A page is fetched only
// when the caller asks for more, so breaking out of the loop early costs
// no further requests.
func listAll[T any](cursor string, fetch func(cursor string) (*Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		seen := map[string]bool{}
		for {
			page, err := fetch(cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, v := range page.Data {
				if !yield(v, nil) {
					return
				}
			}
			// A cursor seen before would loop forever; a correct server
			// never sends one, but a client must not trust that blindly.
			if page.NextCursor == "" || seen[page.NextCursor] {
				return
			}
			seen[page.NextCursor] = true
			cursor = page.NextCursor
		}
	}
}
