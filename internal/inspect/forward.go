package inspect

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/webhook"
)

const (
	// ForwardTimeout bounds one forward: connect, send, answer.
	ForwardTimeout = 15 * time.Second
	// forwardExcerpt is how much of the answer's body is kept to show.
	forwardExcerpt = 4 << 10
	// maxURL bounds a forward URL.
	maxURL = 2048
)

// Forwarded is what a receiver answered to a forwarded request.
type Forwarded struct {
	URL        string      `json:"url"`
	Status     int         `json:"status"`
	Headers    http.Header `json:"headers"`
	Body       string      `json:"body"`
	Encoding   string      `json:"body_encoding,omitempty"`
	Truncated  bool        `json:"truncated"`
	DurationMS int64       `json:"duration_ms"`
}

// notForwarded are request headers that belong to the captured hop (or
// are set again for the new one) and are not sent on.
var notForwarded = []string{"Host", "Content-Length", "Connection", "Keep-Alive", "Proxy-Connection",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// Forward sends a captured request of a bin within the tenant scope of
// ctx's principal again, to target: the same method, headers (less the
// hop-by-hop ones) and body, through the SSRF-guarded client (a bin of
// this server is answered in process). The answer is returned with the
// first 4 KiB of its body. A request whose body was cut at the bin's limit
// is refused: what would be sent is not what arrived.
func (i *Inspector) Forward(ctx context.Context, binID, reqID, target string) (Forwarded, error) {
	target = strings.TrimSpace(target)
	if err := i.checkForwardURL(target); err != nil {
		return Forwarded{}, err
	}
	r, err := i.Request(ctx, binID, reqID)
	if err != nil {
		return Forwarded{}, err
	}
	if r.Truncated {
		return Forwarded{}, webhook.Errorf(webhook.EUNPROCESSABLE,
			"this request's body was cut at %d of its %d bytes: forwarding it would send a different request", len(r.Body), r.Size)
	}
	if i.cfg.Forward == nil {
		return Forwarded{}, webhook.Errorf(webhook.EUNPROCESSABLE, "forwarding is not enabled on this server")
	}
	ctx, cancel := context.WithTimeout(ctx, ForwardTimeout)
	defer cancel()
	out, err := http.NewRequestWithContext(ctx, r.Method, target, bytes.NewReader(r.Body))
	if err != nil {
		return Forwarded{}, webhook.FieldError(webhook.EINVALID, "url", "cannot be requested: %v", err)
	}
	out.Header = r.Headers.Clone()
	if out.Header == nil {
		out.Header = http.Header{}
	}
	for _, k := range notForwarded {
		out.Header.Del(k)
	}
	if len(r.Body) == 0 {
		out.Body, out.ContentLength = http.NoBody, 0
	}
	start := i.cfg.Now()
	resp, err := i.cfg.Forward.Do(out)
	if err != nil {
		// The guard's refusals and network failures are the receiver's
		// side of things: say what happened, as a delivery attempt would.
		msg := err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			msg = "no answer within " + ForwardTimeout.String()
		}
		return Forwarded{}, webhook.Errorf(webhook.EUNPROCESSABLE, "forwarding failed: %s", msg)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, forwardExcerpt+1))
	f := Forwarded{URL: target, Status: resp.StatusCode, Headers: resp.Header,
		DurationMS: i.cfg.Now().Sub(start).Milliseconds()}
	if len(body) > forwardExcerpt {
		body, f.Truncated = body[:forwardExcerpt], true
	}
	if utf8.Valid(body) && bytes.IndexByte(body, 0) < 0 {
		f.Body = string(body)
	} else {
		f.Body, f.Encoding = encodeBase64(body), "base64"
	}
	if f.Headers == nil {
		f.Headers = http.Header{}
	}
	return f, nil
}

func (i *Inspector) checkForwardURL(target string) error {
	var v webhook.Validation
	switch {
	case target == "":
		v.Add(webhook.EINVALID, webhook.At("url"), "is required")
	case len(target) > maxURL:
		v.Add(webhook.EINVALID, webhook.At("url"), "must be at most %d characters", maxURL)
	case i.cfg.Guard != nil:
		// A bin of this server is answered in process (see Transport):
		// the guard, which refuses this server's own address, is not asked.
		if u, err := url.Parse(target); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, own := i.match(ctx, u); own {
				break
			}
		}
		if err := v.Merge(i.cfg.Guard.CheckURL(target)); err != nil {
			return err
		}
	}
	return v.Err()
}

func encodeBase64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
