package inspect

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
)

// Transport wraps next (the guarded egress transport) so that requests to a
// bin of this server are answered in process: no connection is made, so
// the SSRF guard stays closed to loopback and private ranges. Every other
// request goes to next unchanged.
//
// Wire it once, before the client is used:
//
//	client.Transport = insp.Transport(client.Transport)
func (i *Inspector) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{i: i, next: next}
}

type transport struct {
	i    *Inspector
	next http.RoundTripper
}

// InProcessAddr is the source address recorded for requests that Hookline
// delivered to its own bins without the network.
const InProcessAddr = "hookline (in-process)"

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	b, ok := t.i.match(req.Context(), req.URL)
	if !ok {
		return t.next.RoundTrip(req)
	}
	if req.Body != nil {
		defer req.Body.Close()
	}
	// The request as a server would see it.
	sr := req.Clone(req.Context())
	sr.Header = req.Header.Clone()
	if sr.Header == nil {
		sr.Header = http.Header{}
	}
	sr.Host = req.URL.Host
	if req.Host != "" {
		sr.Host = req.Host
	}
	sr.RequestURI = req.URL.RequestURI()
	sr.RemoteAddr = InProcessAddr
	sr.Proto, sr.ProtoMajor, sr.ProtoMinor = "HTTP/1.1", 1, 1
	if req.ContentLength > 0 {
		sr.Header.Set("Content-Length", strconv.FormatInt(req.ContentLength, 10))
	}
	if sr.Body == nil {
		sr.Body = http.NoBody
	}
	rec := &recorder{header: http.Header{}}
	t.i.capture(rec, sr, b, InProcessAddr, nil)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rec.header,
		Body:          io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		ContentLength: int64(rec.body.Len()),
		Request:       req,
	}, nil
}

// recorder is the in-process ResponseWriter.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}
