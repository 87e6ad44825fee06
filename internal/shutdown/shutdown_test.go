package shutdown

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestSignal(t *testing.T) {
	t.Parallel()
	got := make(chan (<-chan struct{}), 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- Signal(r)
	}))
	t.Cleanup(srv.Close)
	if _, err := http.Get(srv.URL); err != nil {
		t.Fatal(err)
	}
	stop := <-got
	select {
	case <-stop:
		t.Fatal("signalled before shutdown")
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Config.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	<-stop // closed by the shutdown; a missing signal fails the test by its timeout

	// A stream that starts on a server already shutting down gets a
	// closed channel (the server's hooks have run and will not again).
	late := httptest.NewRequest("GET", "/", nil)
	late = late.WithContext(context.WithValue(late.Context(), http.ServerContextKey, srv.Config))
	select {
	case <-Signal(late):
	default:
		t.Error("Signal after shutdown: channel open, want closed")
	}

	// A request that is not served by an http.Server has no signal.
	if ch := Signal(httptest.NewRequest("GET", "/", nil)); ch != nil {
		t.Errorf("Signal without a server = %v, want nil", ch)
	}
}
