package client

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// TestBinWatchResumes: when the stream drops, BinWatch reconnects with the
// last event id it saw, so requests captured meanwhile still arrive, once.
func TestBinWatchResumes(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var lastIDs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		lastIDs = append(lastIDs, r.Header.Get("Last-Event-ID"))
		n := len(lastIDs)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		send := func(id string) {
			fmt.Fprintf(w, "id: %s\nevent: request\ndata: {\"id\":%q,\"method\":\"POST\",\"body\":\"b\"}\n\n", id, id)
		}
		if n == 1 {
			send("req_1")
			return // the connection drops
		}
		send("req_2") // captured while the client was away
		send("req_3")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	c := New(srv.URL, "hkl_x")
	ctx, cancel := context.WithCancel(context.Background())
	var got []string
	err := c.BinWatch(ctx, "bin_1", "", func(r BinRequest) error {
		got = append(got, r.ID)
		if len(got) == 3 {
			cancel()
		}
		return nil
	}, nil)
	if err != context.Canceled {
		t.Fatalf("BinWatch = %v, want context.Canceled", err)
	}
	if fmt.Sprint(got) != "[req_1 req_2 req_3]" {
		t.Fatalf("got %v, want each request once, in order", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lastIDs) < 2 || lastIDs[0] != "" || lastIDs[1] != "req_1" {
		t.Fatalf("Last-Event-ID per connection = %q, want \"\" then req_1", lastIDs)
	}
}
