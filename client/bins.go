package client

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Bin is a request inspector endpoint: anything sent to URL is captured.
type Bin struct {
	ID    string `json:"id"`
	Token string `json:"token"`
	Name  string `json:"name"`
	// Tenant is the tenant of the key that made the bin ("default" for
	// the operator's keys).
	Tenant      string    `json:"tenant"`
	URL         string    `json:"url"`
	MaxRequests int       `json:"max_requests"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	// Response is what the bin answers; nil for the default (200 with a
	// small JSON acknowledgement).
	Response *BinResponse `json:"response"`
}

// BinRequest is one request a bin captured.
type BinRequest struct {
	ID     string `json:"id"`
	BinID  string `json:"bin_id"`
	Method string `json:"method"`
	// Target is the request target as received (path and query,
	// undecoded), and Proto the protocol of the request line.
	Target       string              `json:"target"`
	Proto        string              `json:"proto"`
	Path         string              `json:"path"`
	Query        string              `json:"query"`
	Headers      map[string][]string `json:"headers"`
	Body         string              `json:"body"`
	BodyEncoding string              `json:"body_encoding,omitempty"`
	Size         int64               `json:"size"`
	Truncated    bool                `json:"truncated"`
	RemoteAddr   string              `json:"remote_addr"`
	ReceivedAt   time.Time           `json:"received_at"`
	// Answered is the status the bin answered with (0: not recorded).
	Answered int `json:"answered"`
}

// BodyBytes returns the captured body's bytes (decoding base64 bodies).
func (r *BinRequest) BodyBytes() ([]byte, error) {
	if r.BodyEncoding == "base64" {
		return base64.StdEncoding.DecodeString(r.Body)
	}
	return []byte(r.Body), nil
}

// BinCreate creates a bin.
func (c *Client) BinCreate(ctx context.Context, name string) (*Bin, error) {
	var b Bin
	err := c.do(ctx, request{method: "POST", path: "/api/v1/bins", body: map[string]string{"name": name}}, &b)
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// BinList lists the bins, newest first.
func (c *Client) BinList(ctx context.Context) ([]Bin, error) {
	var page struct {
		Data []Bin `json:"data"`
	}
	if err := c.do(ctx, request{method: "GET", path: "/api/v1/bins"}, &page); err != nil {
		return nil, err
	}
	return page.Data, nil
}

// BinGet returns one bin.
func (c *Client) BinGet(ctx context.Context, id string) (*Bin, error) {
	var b Bin
	if err := c.do(ctx, request{method: "GET", path: pathf("/api/v1/bins/%s", id)}, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// BinDelete deletes a bin and what it captured.
func (c *Client) BinDelete(ctx context.Context, id string) error {
	return c.do(ctx, request{method: "DELETE", path: pathf("/api/v1/bins/%s", id)}, nil)
}

// BinRequests returns a bin's captured requests, newest first.
func (c *Client) BinRequests(ctx context.Context, id string) ([]BinRequest, error) {
	var page struct {
		Data []BinRequest `json:"data"`
	}
	if err := c.do(ctx, request{method: "GET", path: pathf("/api/v1/bins/%s/requests", id)}, &page); err != nil {
		return nil, err
	}
	return page.Data, nil
}

// BinWatch calls fn for each request the bin captures after afterID ("":
// all it holds), oldest first, until ctx ends or fn returns an error. It
// follows the server's event stream and, when the connection drops,
// reconnects with the last id it saw, so nothing captured meanwhile is
// missed. onState, when non-nil, hears "connected" and "reconnecting: …".
func (c *Client) BinWatch(ctx context.Context, id, afterID string, fn func(BinRequest) error, onState func(string)) error {
	last := afterID
	backoff := 250 * time.Millisecond
	for {
		err := c.binStream(ctx, id, &last, fn, onState)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if apiErr, ok := errors.AsType[*Error](err); ok && apiErr.Status != http.StatusServiceUnavailable && apiErr.Status != http.StatusTooManyRequests {
			return err // a 401 or 404 will not fix itself
		}
		var fe fnError
		if errors.As(err, &fe) {
			return fe.err
		}
		if onState != nil {
			onState(fmt.Sprintf("reconnecting in %s: %v", backoff, err))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// fnError carries an error of the caller's fn out of the stream loop.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

func (c *Client) binStream(ctx context.Context, id string, last *string, fn func(BinRequest) error, onState func(string)) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+pathf("/api/v1/bins/%s/stream", id), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("User-Agent", c.userAgent)
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if *last != "" {
		req.Header.Set("Last-Event-ID", *last)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return newError("GET", req.URL.Path, resp, data)
	}
	if onState != nil {
		onState("connected")
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 32<<20)
	var event, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if event == "request" && data != "" {
				var r BinRequest
				if err := json.Unmarshal([]byte(data), &r); err != nil {
					return fmt.Errorf("hookline: bad event from the stream: %w", err)
				}
				if err := fn(r); err != nil {
					return fnError{err}
				}
				*last = r.ID
			}
			event, data = "", ""
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(line[len("event:"):])
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimPrefix(line[len("data:"):], " ")
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}
