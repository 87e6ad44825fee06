package client

import (
	"context"
	"time"
)

// Alert kinds a channel can ask for.
const (
	AlertWebhookFailing  = "webhook.failing"
	AlertWebhookDisabled = "webhook.disabled"
	AlertBacklog         = "backlog"
)

// AlertChannel is where alerts go: a Slack-compatible incoming webhook
// (URL, masked: it is a secret) or e-mail addresses (To).
type AlertChannel struct {
	ID    string   `json:"id"`
	Type  string   `json:"type"` // "slack" or "email"
	URL   string   `json:"url,omitempty"`
	To    []string `json:"to,omitempty"`
	Kinds []string `json:"kinds"`
	// Tenant, when set, limits the channel to alerts about that tenant's
	// webhooks.
	Tenant    string    `json:"tenant,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// AlertChannelCreateParams is a channel to add: Type "slack" with URL, or
// "email" with To (the server needs --smtp-url), and the Kinds it gets.
type AlertChannelCreateParams struct {
	Type   string   `json:"type"`
	URL    string   `json:"url,omitempty"`
	To     []string `json:"to,omitempty"`
	Kinds  []string `json:"kinds"`
	Tenant string   `json:"tenant,omitempty"`
}

// AlertTestResult is what sending a test alert did: OK, or Error saying
// why the message did not arrive.
type AlertTestResult struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// AlertChannelList returns every alert channel, oldest first.
//
// GET /api/v1/alert-channels (read; operator keys only).
func (c *Client) AlertChannelList(ctx context.Context) ([]AlertChannel, error) {
	var page Page[AlertChannel]
	if err := c.do(ctx, request{method: "GET", path: "/api/v1/alert-channels"}, &page); err != nil {
		return nil, err
	}
	return page.Data, nil
}

// AlertChannelGet returns one alert channel.
//
// GET /api/v1/alert-channels/{id} (read).
func (c *Client) AlertChannelGet(ctx context.Context, id string) (*AlertChannel, error) {
	var ch AlertChannel
	if err := c.do(ctx, request{method: "GET", path: pathf("/api/v1/alert-channels/%s", id)}, &ch); err != nil {
		return nil, err
	}
	return &ch, nil
}

// AlertChannelCreate adds an alert channel; a bad one is an *Error whose
// Problems name each bad field.
//
// POST /api/v1/alert-channels (admin).
func (c *Client) AlertChannelCreate(ctx context.Context, p AlertChannelCreateParams) (*AlertChannel, error) {
	var ch AlertChannel
	if err := c.do(ctx, request{method: "POST", path: "/api/v1/alert-channels", body: p}, &ch); err != nil {
		return nil, err
	}
	return &ch, nil
}

// AlertChannelDelete removes an alert channel.
//
// DELETE /api/v1/alert-channels/{id} (admin).
func (c *Client) AlertChannelDelete(ctx context.Context, id string) error {
	return c.do(ctx, request{method: "DELETE", path: pathf("/api/v1/alert-channels/%s", id)}, nil)
}

// AlertChannelTest sends a test alert to the channel now (one try).
//
// POST /api/v1/alert-channels/{id}/test (admin).
func (c *Client) AlertChannelTest(ctx context.Context, id string) (*AlertTestResult, error) {
	var r AlertTestResult
	if err := c.do(ctx, request{method: "POST", path: pathf("/api/v1/alert-channels/%s/test", id)}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
