package client

import (
	"context"
	"encoding/json"
)

// EventTypeList returns the whole event catalog: built-in and custom types.
//
// GET /api/v1/event-types (admin).
func (c *Client) EventTypeList(ctx context.Context) ([]EventType, error) {
	var page Page[EventType]
	if err := c.do(ctx, request{method: "GET", path: "/api/v1/event-types"}, &page); err != nil {
		return nil, err
	}
	return page.Data, nil
}

// EventTypeGet returns one event type by slug.
//
// GET /api/v1/event-types/{slug} (admin); IsNotFound for an unknown slug.
func (c *Client) EventTypeGet(ctx context.Context, slug string) (*EventType, error) {
	var et EventType
	if err := c.do(ctx, request{method: "GET", path: pathf("/api/v1/event-types/%s", slug)}, &et); err != nil {
		return nil, err
	}
	return &et, nil
}

// EventTypeCreate registers a custom event type.
//
// POST /api/v1/event-types (admin); IsConflict when the slug exists.
func (c *Client) EventTypeCreate(ctx context.Context, p EventTypeCreateParams) (*EventType, error) {
	var et EventType
	if err := c.do(ctx, request{method: "POST", path: "/api/v1/event-types", body: p}, &et); err != nil {
		return nil, err
	}
	return &et, nil
}

// EventTypeUpdateParams changes an event type: nil fields stay as they
// are.
type EventTypeUpdateParams struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	// Example replaces the example data; it must satisfy the schema.
	Example json.RawMessage `json:"example,omitempty"`
	// Schema replaces the JSON Schema; json.RawMessage("null") removes it.
	Schema json.RawMessage `json:"schema,omitempty"`
	// Deprecated deprecates (true) or restores (false) the type.
	Deprecated *bool `json:"deprecated,omitempty"`
}

// EventTypeUpdate changes or deprecates an event type.
//
// PATCH /api/v1/event-types/{slug} (admin, operator); IsNotFound for an
// unknown slug, 403 for Hookline's own hookline.* types.
func (c *Client) EventTypeUpdate(ctx context.Context, slug string, p EventTypeUpdateParams) (*EventType, error) {
	var et EventType
	if err := c.do(ctx, request{method: "PATCH", path: pathf("/api/v1/event-types/%s", slug), body: p}, &et); err != nil {
		return nil, err
	}
	return &et, nil
}
