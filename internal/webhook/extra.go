package webhook

import (
	"net/http"
	"time"
)

// Bin is a request inspector endpoint: any request to /bins/{token} is
// captured and shown, so a webhook can be tried without a third-party site.
type Bin struct {
	ID        string    `json:"id"`
	Token     string    `json:"token"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// MaxRequests is how many of the newest requests the bin keeps.
	MaxRequests int `json:"max_requests"`
}

// BinRequest is one request a bin captured.
type BinRequest struct {
	ID         string      `json:"id"`
	BinID      string      `json:"bin_id"`
	Method     string      `json:"method"`
	Path       string      `json:"path"`
	Query      string      `json:"query"`
	Headers    http.Header `json:"headers"`
	Body       []byte      `json:"-"`
	Size       int64       `json:"size"` // the full body size, even when Body was cut
	Truncated  bool        `json:"truncated"`
	RemoteAddr string      `json:"remote_addr"`
	ReceivedAt time.Time   `json:"received_at"`
}

// AuditEntry records who changed what.
type AuditEntry struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
	// Actor is "key:<id> (<name>)", "user:<name>" or "system".
	Actor  string `json:"actor"`
	Action string `json:"action"` // e.g. webhook.create, webhook.test, key.revoke
	Target string `json:"target"` // the ID acted on
	Detail string `json:"detail,omitempty"`
}

// User is a dashboard account.
type User struct {
	Username     string    `json:"username"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Session is a signed-in dashboard session; only the token's hash is stored.
type Session struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ID prefixes of the supporting records.
const (
	PrefixBin        = "bin_"
	PrefixBinRequest = "req_"
	PrefixAudit      = "aud_"
	PrefixSession    = "ses_"
)
