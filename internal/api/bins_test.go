package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/inspect/bin"
)

// watchingBins is a request inspector whose one bin never gets a request:
// Watch blocks until its context ends.
type watchingBins struct{ Bins }

func (watchingBins) Get(_ context.Context, id string) (bin.Bin, error) {
	return bin.Bin{ID: id}, nil
}

func (watchingBins) Watch(ctx context.Context, _, _ string, _ func([]bin.Request) error) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestStreamEndsAtShutdown: an open bin stream (as `hookline listen`
// holds) ends when the server begins a graceful shutdown, instead of
// holding it for its whole timeout.
func TestStreamEndsAtShutdown(t *testing.T) {
	t.Parallel()
	a := New(Config{Bins: watchingBins{}})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /bins/{id}/stream", func(w http.ResponseWriter, r *http.Request) {
		if err := a.streamBin(w, r); err != nil {
			t.Errorf("streamBin: %v", err)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/bins/bin_1/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, 8)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatalf("stream did not start: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	read := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, resp.Body)
		read <- err
	}()
	if err := srv.Config.Shutdown(ctx); err != nil {
		srv.CloseClientConnections() // unblock the reader
		t.Fatalf("shutdown: %v (the stream held it)", err)
	}
	if err := <-read; err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
}
