package inspect

import (
	"bytes"
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/webhook"
)

// Search limits.
const (
	// DefaultSearchLimit is how many matches a search returns when its
	// Limit is zero.
	DefaultSearchLimit = 100
	// maxSearchTerm bounds each term, in bytes.
	maxSearchTerm = 256
)

// Query selects captured requests. Every non-empty term must match:
//
//   - Method: the method, any case ("post").
//   - Path: a substring of the path and query as received, any case.
//   - Header: "Name" for requests that carry the header, "Name: text"
//     for those with a value of that header containing text (any case).
//   - Body: a substring of the stored body, byte for byte (bodies past the
//     bin's body limit are searched in their stored part only).
type Query struct {
	Method, Path, Header, Body string
	// Limit bounds the matches returned, newest first (0: 100; at most
	// MaxRequestsLimit, which is also the most a bin holds).
	Limit int
}

// Empty reports whether q selects every request.
func (q Query) Empty() bool {
	return q.Method == "" && q.Path == "" && q.Header == "" && q.Body == ""
}

// Values is q as query parameters, for links (empty terms left out).
func (q Query) Values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"method": q.Method, "path": q.Path, "header": q.Header, "body": q.Body} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// ParseQuery reads a Query from query parameters (method, path, header,
// body, limit), reporting every bad one at once.
func ParseQuery(vals url.Values) (Query, error) {
	q := Query{Method: strings.TrimSpace(vals.Get("method")), Path: vals.Get("path"),
		Header: strings.TrimSpace(vals.Get("header")), Body: vals.Get("body")}
	var v webhook.Validation
	for name, s := range map[string]string{"method": q.Method, "path": q.Path, "header": q.Header, "body": q.Body} {
		if len(s) > maxSearchTerm {
			v.Add(webhook.EINVALID, webhook.Param(name), "must be at most %d bytes", maxSearchTerm)
		}
	}
	if q.Method != "" && !validHeaderName(q.Method) {
		v.Add(webhook.EINVALID, webhook.Param("method"), "is not an HTTP method")
	}
	if name, _, _ := strings.Cut(q.Header, ":"); q.Header != "" && !validHeaderName(strings.TrimSpace(name)) {
		v.Add(webhook.EINVALID, webhook.Param("header"), `must be a header name, or "Name: text"`)
	}
	if s := vals.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxRequestsLimit {
			v.Add(webhook.EINVALID, webhook.Param("limit"), "must be 1 to %d", MaxRequestsLimit)
		}
		q.Limit = n
	}
	return q, v.Err()
}

// Match reports whether r matches every term of q.
func (q Query) Match(r bin.Request) bool {
	if q.Method != "" && !strings.EqualFold(q.Method, r.Method) {
		return false
	}
	if q.Path != "" && !containsFold(requestTarget(r), q.Path) {
		return false
	}
	if q.Header != "" && !matchHeader(r, q.Header) {
		return false
	}
	if q.Body != "" && !bytes.Contains(r.Body, []byte(q.Body)) {
		return false
	}
	return true
}

func matchHeader(r bin.Request, term string) bool {
	name, text, hasText := strings.Cut(term, ":")
	name, text = strings.TrimSpace(name), strings.TrimSpace(text)
	for k, vals := range r.Headers {
		if !strings.EqualFold(k, name) {
			continue
		}
		if !hasText {
			return true
		}
		for _, v := range vals {
			if containsFold(v, text) {
				return true
			}
		}
	}
	return false
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// Search returns the requests of a bin within the tenant scope of ctx's
// principal that match q, newest first, at most q.Limit. The work is
// bounded by what a bin holds (at most MaxRequestsLimit requests).
func (i *Inspector) Search(ctx context.Context, binID string, q Query) ([]bin.Request, error) {
	reqs, err := i.Requests(ctx, binID)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultSearchLimit
	}
	out := reqs[:0]
	for _, r := range reqs {
		if len(out) == limit {
			break
		}
		if q.Match(r) {
			out = append(out, r)
		}
	}
	return out, nil
}
