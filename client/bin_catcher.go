package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// BinResponse is what a bin answers to the requests it captures.
type BinResponse struct {
	// Status is 200 to 599.
	Status int `json:"status"`
	// Headers are set on the answer, one value per name; hop-by-hop
	// headers and those that would act on the dashboard are refused.
	Headers map[string]string `json:"headers,omitempty"`
	// Body is UTF-8 text, at most 64 KiB.
	Body string `json:"body,omitempty"`
	// DelayMS is how long the bin waits before it answers (at most
	// 30000).
	DelayMS int `json:"delay_ms,omitempty"`
}

// BinSearch selects captured requests; every non-empty term must match.
type BinSearch struct {
	Method string // the method, any case
	Path   string // a substring of the path and query as received, any case
	// Header is "Name" for requests carrying the header, or "Name: text"
	// for those with a value of it containing text (any case).
	Header string
	Body   string // a substring of the stored body, byte for byte
	Limit  int    // at most this many matches (0: all)
}

func (s BinSearch) values() url.Values {
	v := url.Values{}
	for k, t := range map[string]string{"method": s.Method, "path": s.Path, "header": s.Header, "body": s.Body} {
		if t != "" {
			v.Set(k, t)
		}
	}
	if s.Limit > 0 {
		v.Set("limit", strconv.Itoa(s.Limit))
	}
	return v
}

// BinForwarded is what a receiver answered to a forwarded request.
type BinForwarded struct {
	URL     string              `json:"url"`
	Status  int                 `json:"status"`
	Headers map[string][]string `json:"headers"`
	// Body is the first 4 KiB of the answer's body: text, or base64 when
	// BodyEncoding is "base64".
	Body         string `json:"body"`
	BodyEncoding string `json:"body_encoding,omitempty"`
	Truncated    bool   `json:"truncated"`
	DurationMS   int64  `json:"duration_ms"`
}

// BinSetResponse makes the bin answer every request it captures with r.
func (c *Client) BinSetResponse(ctx context.Context, id string, r BinResponse) (*Bin, error) {
	var b Bin
	if err := c.do(ctx, request{method: "PUT", path: pathf("/api/v1/bins/%s/response", id), body: r}, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// BinResetResponse makes the bin answer with the default response again.
func (c *Client) BinResetResponse(ctx context.Context, id string) (*Bin, error) {
	var b Bin
	if err := c.do(ctx, request{method: "DELETE", path: pathf("/api/v1/bins/%s/response", id)}, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// BinSearch returns the bin's captured requests that match s, newest
// first.
func (c *Client) BinSearch(ctx context.Context, id string, s BinSearch) ([]BinRequest, error) {
	var page struct {
		Data []BinRequest `json:"data"`
	}
	if err := c.do(ctx, request{method: "GET", path: pathf("/api/v1/bins/%s/requests", id), query: s.values()}, &page); err != nil {
		return nil, err
	}
	return page.Data, nil
}

// BinRequest returns one captured request.
func (c *Client) BinRequest(ctx context.Context, binID, id string) (*BinRequest, error) {
	var r BinRequest
	if err := c.do(ctx, request{method: "GET", path: pathf("/api/v1/bins/%s/requests/%s", binID, id)}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// BinRequestRaw returns a captured request as received: the request line,
// the headers, a blank line and the stored body bytes.
func (c *Client) BinRequestRaw(ctx context.Context, binID, id string) ([]byte, error) {
	var raw []byte
	err := c.do(ctx, request{method: "GET", path: pathf("/api/v1/bins/%s/requests/%s/raw", binID, id),
		header: http.Header{"Accept": {"message/http"}}}, &raw)
	return raw, err
}

// BinForward sends a captured request again, to target, and returns what
// the receiver answered.
func (c *Client) BinForward(ctx context.Context, binID, id, target string) (*BinForwarded, error) {
	var f BinForwarded
	err := c.do(ctx, request{method: "POST", path: pathf("/api/v1/bins/%s/requests/%s/forward", binID, id),
		body: map[string]string{"url": target}}, &f)
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// BinExport downloads the bin's requests (those matching s) as "json" or
// "har" (HTTP Archive 1.2).
func (c *Client) BinExport(ctx context.Context, id, format string, s BinSearch) ([]byte, error) {
	q := s.values()
	q.Set("format", format)
	var doc []byte
	err := c.do(ctx, request{method: "GET", path: pathf("/api/v1/bins/%s/export", id), query: q}, &doc)
	return doc, err
}
