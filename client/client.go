package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// DefaultUserAgent is the User-Agent sent when WithUserAgent is not used.
const DefaultUserAgent = "hookline-go-client"

// maxResponseBytes bounds how much of a response the client reads. The
// largest answers (a delivery's attempt log with response bodies) stay far
// below it; a misbehaving proxy cannot make the client buffer without end.
const maxResponseBytes = 64 << 20

// Client calls one Hookline server's REST API with one API key. It is safe
// for concurrent use.
type Client struct {
	base      string
	key       string
	http      *http.Client
	userAgent string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through hc, for custom
// timeouts, transports or proxies. The default is http.DefaultClient, which
// has no timeout: bound calls with their context instead.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithUserAgent sets the User-Agent header of every request, so the
// server's logs can tell callers apart.
func WithUserAgent(ua string) Option {
	return func(c *Client) {
		if ua != "" {
			c.userAgent = ua
		}
	}
}

// New returns a client for the server at baseURL (for example
// "http://127.0.0.1:8080", or "https://example.com/hookline" behind a
// reverse proxy that mounts Hookline under a path) that authenticates with
// apiKey as a bearer token. A trailing slash on baseURL is ignored.
//
// Most routes need a key with the admin scope; EventPublish and Me also
// work with a publish key.
func New(baseURL, apiKey string, opts ...Option) *Client {
	c := &Client{
		base:      strings.TrimRight(baseURL, "/"),
		key:       apiKey,
		http:      http.DefaultClient,
		userAgent: DefaultUserAgent,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// BaseURL returns the server URL the client talks to, without a trailing
// slash.
func (c *Client) BaseURL() string { return c.base }

// request describes one API call.
type request struct {
	method string
	path   string // under the base URL, already escaped
	query  url.Values
	body   any // marshalled as JSON when non-nil
	header http.Header
}

// do sends req and decodes a 2xx JSON answer into out (when out is
// non-nil). Any other status becomes an *Error.
func (c *Client) do(ctx context.Context, req request, out any) error {
	u := c.base + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var body io.Reader
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return fmt.Errorf("hookline: encode %s %s request: %w", req.method, req.path, err)
		}
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, body)
	if err != nil {
		return fmt.Errorf("hookline: %w", err)
	}
	for k, v := range req.header {
		hr.Header[k] = v
	}
	if req.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", c.userAgent)
	if c.key != "" {
		hr.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("hookline: read %s %s response: %w", req.method, req.path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newError(req.method, req.path, resp, data)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if raw, ok := out.(*[]byte); ok { // an answer that is not JSON
		*raw = data
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("hookline: decode %s %s response (status %d): %w", req.method, req.path, resp.StatusCode, err)
	}
	return nil
}

// pathf builds an API path from a format and path segments, escaping each
// segment so an ID can never change the route.
func pathf(format string, segments ...string) string {
	args := make([]any, len(segments))
	for i, s := range segments {
		args[i] = url.PathEscape(s)
	}
	return fmt.Sprintf(format, args...)
}

// Ptr returns a pointer to v, for the optional fields of parameter structs:
//
//	c.WebhookUpdate(ctx, id, client.WebhookUpdateParams{Active: client.Ptr(false)})
func Ptr[T any](v T) *T { return &v }
