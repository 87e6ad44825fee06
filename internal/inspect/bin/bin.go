// Package bin holds the request inspector's records: bins and the requests
// they captured. It is apart from package inspect so that the store, which
// keeps these records, does not depend on the inspector's HTTP machinery
// (and the inspector can depend on the store).
package bin

import (
	"net/http"
	"time"
)

// ID prefixes of bins and captured requests.
const (
	PrefixBin     = "bin_"
	PrefixRequest = "req_"
)

// Bin is a request inspector endpoint: any request to /bins/{token} is
// captured and shown, so a webhook can be tried without a third-party site.
type Bin struct {
	ID    string `json:"id"`
	Token string `json:"token"`
	Name  string `json:"name"`
	// Tenant is the tenant of the principal that made the bin (the
	// default tenant for an operator): only principals of that tenant, and
	// operators, see it.
	Tenant    string    `json:"tenant"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// MaxRequests is how many of the newest requests the bin keeps.
	MaxRequests int `json:"max_requests"`
	// Response is what the bin answers; nil for the default (200 with a
	// small JSON acknowledgement).
	Response *Response `json:"response"`
}

// Response is a bin's custom answer to what it captures, so a sender's
// handling of errors, slow receivers or odd headers can be tried. Package
// inspect checks it (CheckResponse) before it is stored.
type Response struct {
	Status int `json:"status"`
	// Headers are sent as given, one value per name, besides
	// Content-Length (set from Body).
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	// DelayMS is how long the bin waits before it answers, in
	// milliseconds.
	DelayMS int `json:"delay_ms"`
}

// Request is one request a bin captured.
type Request struct {
	ID     string `json:"id"`
	BinID  string `json:"bin_id"`
	Method string `json:"method"`
	// Target is the request target exactly as the request line carried it
	// (path and query, undecoded), and Proto the protocol it named: with
	// Headers and Body they make the raw view. Both are empty in requests
	// captured before they were recorded.
	Target     string      `json:"target"`
	Proto      string      `json:"proto"`
	Path       string      `json:"path"`
	Query      string      `json:"query"`
	Headers    http.Header `json:"headers"`
	Body       []byte      `json:"-"`
	Size       int64       `json:"size"` // the full body size, even when Body was cut
	Truncated  bool        `json:"truncated"`
	RemoteAddr string      `json:"remote_addr"`
	ReceivedAt time.Time   `json:"received_at"`
	// Answered is the status the bin answered with (0: not recorded).
	Answered int `json:"answered"`
}
