// Package reqid carries a request's id through its context. The server's
// middleware sets it; the API, the dashboard and the logs read it. It sits
// below every HTTP surface so none of them has to import another for it.
package reqid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

type key struct{}

// With returns a copy of ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// From returns the request id in ctx, or "" when there is none.
func From(ctx context.Context) string {
	id, _ := ctx.Value(key{}).(string)
	return id
}

// New returns a fresh random request id: 16 hex digits, short enough to
// quote and long enough not to repeat within any log's lifetime.
func New() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
