package inspect

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/inspect/bin"
)

// requestTarget is the request target of r as received; for requests
// captured before targets were recorded, rebuilt from path and query.
func requestTarget(r bin.Request) string {
	if r.Target != "" {
		return r.Target
	}
	if r.Query != "" {
		return r.Path + "?" + r.Query
	}
	return r.Path
}

func requestProto(r bin.Request) string {
	if r.Proto != "" {
		return r.Proto
	}
	return "HTTP/1.1"
}

// headerNames returns r's header names, Host first, then sorted: Go's
// server keeps neither the order nor the spelling of names as sent.
func headerNames(h http.Header) []string {
	names := make([]string, 0, len(h))
	for k := range h {
		if k != "Host" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	if _, ok := h["Host"]; ok {
		names = append([]string{"Host"}, names...)
	}
	return names
}

// Raw is r as it came over the wire: the request line exactly as
// received, the headers (one line per value; names in Go's canonical
// spelling, Host first, the rest sorted, since the server keeps neither
// order nor spelling), a blank line and the stored body bytes unchanged.
// A body cut at the bin's limit ends where it was cut.
func Raw(r bin.Request) []byte {
	var b bytes.Buffer
	b.WriteString(r.Method + " " + requestTarget(r) + " " + requestProto(r) + "\r\n")
	for _, k := range headerNames(r.Headers) {
		for _, v := range r.Headers[k] {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	b.Write(r.Body)
	return b.Bytes()
}

// The HAR 1.2 document (http://www.softwareishard.com/blog/har-12-spec/):
// only what the format requires, and what a viewer shows of a request.
type (
	harDoc struct {
		Log harLog `json:"log"`
	}
	harLog struct {
		Version string     `json:"version"`
		Creator harCreator `json:"creator"`
		Entries []harEntry `json:"entries"`
		Comment string     `json:"comment,omitempty"`
	}
	harCreator struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	harEntry struct {
		StartedDateTime string      `json:"startedDateTime"`
		Time            float64     `json:"time"`
		Request         harRequest  `json:"request"`
		Response        harResponse `json:"response"`
		Cache           struct{}    `json:"cache"`
		Timings         harTimings  `json:"timings"`
		ServerIPAddress string      `json:"serverIPAddress,omitempty"`
		Comment         string      `json:"comment,omitempty"`
	}
	harNV struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	harRequest struct {
		Method      string       `json:"method"`
		URL         string       `json:"url"`
		HTTPVersion string       `json:"httpVersion"`
		Cookies     []harNV      `json:"cookies"`
		Headers     []harNV      `json:"headers"`
		QueryString []harNV      `json:"queryString"`
		PostData    *harPostData `json:"postData,omitempty"`
		HeadersSize int          `json:"headersSize"`
		BodySize    int64        `json:"bodySize"`
		Comment     string       `json:"comment,omitempty"`
	}
	harPostData struct {
		MimeType string  `json:"mimeType"`
		Params   []harNV `json:"params"`
		Text     string  `json:"text"`
		// Encoding is not in HAR 1.2's postData (only in a response's
		// content); viewers that know it (as for content) decode binary
		// bodies, the others show the base64 text.
		Encoding string `json:"_encoding,omitempty"`
		Comment  string `json:"comment,omitempty"`
	}
	harResponse struct {
		Status      int        `json:"status"`
		StatusText  string     `json:"statusText"`
		HTTPVersion string     `json:"httpVersion"`
		Cookies     []harNV    `json:"cookies"`
		Headers     []harNV    `json:"headers"`
		Content     harContent `json:"content"`
		RedirectURL string     `json:"redirectURL"`
		HeadersSize int        `json:"headersSize"`
		BodySize    int        `json:"bodySize"`
		Comment     string     `json:"comment,omitempty"`
	}
	harContent struct {
		Size     int    `json:"size"`
		MimeType string `json:"mimeType"`
	}
	harTimings struct {
		Send    float64 `json:"send"`
		Wait    float64 `json:"wait"`
		Receive float64 `json:"receive"`
	}
)

// HAR returns reqs (newest first, as listed) as a HAR 1.2 document, oldest
// entry first as the format orders them. base is the URL bins are
// published under (entries need absolute URLs). Binary bodies are base64
// with "_encoding": "base64"; the response of each entry is the status the
// bin answered, its headers and body are not kept.
func HAR(reqs []bin.Request, base, version string) ([]byte, error) {
	doc := harDoc{Log: harLog{Version: "1.2", Creator: harCreator{Name: "Hookline", Version: version},
		Entries: make([]harEntry, 0, len(reqs)), Comment: "Requests captured by a Hookline request inspector bin"}}
	for k := len(reqs) - 1; k >= 0; k-- {
		doc.Log.Entries = append(doc.Log.Entries, harEntryOf(reqs[k], strings.TrimRight(base, "/")))
	}
	return json.MarshalIndent(doc, "", "  ")
}

func harEntryOf(r bin.Request, base string) harEntry {
	target := requestTarget(r)
	req := harRequest{
		Method: r.Method, URL: base + target, HTTPVersion: requestProto(r),
		Cookies: []harNV{}, Headers: []harNV{}, QueryString: []harNV{},
		HeadersSize: -1, BodySize: r.Size,
	}
	for _, k := range headerNames(r.Headers) {
		for _, v := range r.Headers[k] {
			req.Headers = append(req.Headers, harNV{Name: k, Value: v})
		}
	}
	for _, c := range (&http.Request{Header: r.Headers}).Cookies() {
		req.Cookies = append(req.Cookies, harNV{Name: c.Name, Value: c.Value})
	}
	if _, q, ok := strings.Cut(target, "?"); ok {
		for _, pair := range strings.Split(q, "&") {
			if pair == "" {
				continue
			}
			k, v, _ := strings.Cut(pair, "=")
			// Unescaped where possible, as viewers show them; a malformed
			// escape stays as sent.
			if u, err := url.QueryUnescape(k); err == nil {
				k = u
			}
			if u, err := url.QueryUnescape(v); err == nil {
				v = u
			}
			req.QueryString = append(req.QueryString, harNV{Name: k, Value: v})
		}
	}
	if len(r.Body) > 0 || r.Size > 0 {
		pd := &harPostData{MimeType: r.Headers.Get("Content-Type"), Params: []harNV{}}
		if pd.MimeType == "" {
			pd.MimeType = "application/octet-stream"
		}
		if utf8.Valid(r.Body) && bytes.IndexByte(r.Body, 0) < 0 {
			pd.Text = string(r.Body)
		} else {
			pd.Text, pd.Encoding = base64.StdEncoding.EncodeToString(r.Body), "base64"
		}
		if r.Truncated {
			pd.Comment = "body cut at the bin's limit: the first bytes of " + strconv.FormatInt(r.Size, 10)
		}
		req.PostData = pd
	}
	status := r.Answered
	resp := harResponse{Status: status, StatusText: http.StatusText(status), HTTPVersion: requestProto(r),
		Cookies: []harNV{}, Headers: []harNV{}, Content: harContent{MimeType: "x-unknown"},
		HeadersSize: -1, BodySize: -1}
	if status == 0 {
		resp.Comment = "the status the bin answered was not recorded"
	}
	e := harEntry{StartedDateTime: r.ReceivedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		Request: req, Response: resp}
	if r.RemoteAddr != "" {
		e.Comment = "from " + r.RemoteAddr
	}
	return e
}

// requestJSON is a captured request as the API shows it: the body as text,
// or base64 with the encoding named.
type requestJSON struct {
	bin.Request
	Headers      http.Header `json:"headers"`
	Body         string      `json:"body"`
	BodyEncoding string      `json:"body_encoding,omitempty"`
}

// JSON returns reqs as the API's list of captured requests
// ({"data": [...]}), for downloads.
func JSON(reqs []bin.Request) ([]byte, error) {
	out := make([]requestJSON, len(reqs))
	for k, r := range reqs {
		out[k] = requestJSON{Request: r, Headers: r.Headers}
		if out[k].Headers == nil {
			out[k].Headers = http.Header{}
		}
		if utf8.Valid(r.Body) {
			out[k].Body = string(r.Body)
		} else {
			out[k].Body, out[k].BodyEncoding = base64.StdEncoding.EncodeToString(r.Body), "base64"
		}
	}
	return json.MarshalIndent(map[string]any{"data": out}, "", "  ")
}
