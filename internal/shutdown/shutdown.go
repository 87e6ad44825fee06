// Package shutdown tells long-lived responses (server-sent event streams)
// that the http.Server serving them has begun a graceful shutdown, so they
// end at once instead of holding the shutdown for its whole timeout.
// Shutdown does not cancel request contexts: ordinary requests in flight
// are left to finish.
package shutdown

import (
	"net/http"
	"sync"
)

var (
	mu      sync.Mutex
	signals = map[*http.Server]chan struct{}{}
)

// Signal returns a channel closed when the server serving r begins
// shutting down, or nil when r did not come through an http.Server.
// Call it before writing the first byte of a stream: a shutdown that starts
// after the client saw the stream then finds the stream listening.
//
// A closed channel stays registered, so a stream that starts on a server
// already shutting down ends at once (a hook registered then would never
// run). One entry per server: servers are few and long-lived.
func Signal(r *http.Request) <-chan struct{} {
	srv, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	if srv == nil {
		return nil
	}
	mu.Lock()
	defer mu.Unlock()
	ch, ok := signals[srv]
	if !ok {
		ch = make(chan struct{})
		signals[srv] = ch
		srv.RegisterOnShutdown(func() { close(ch) })
	}
	return ch
}
