package e2e

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/app"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/config"
)

// A client that holds a request open past the shutdown grace period must
// not make shutdown fail, nor keep being served after storage is closed:
// when the grace period ends the server closes what is left and Run
// returns cleanly.
func TestShutdownGraceExpiry(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.AllowPrivateTargets = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	cfg.ShutdownTimeout = time.Second
	logs := &syncBuffer{}
	a, err := app.New(cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln) }()
	var runErr error
	var stopOnce sync.Once
	stop := func() {
		stopOnce.Do(func() {
			cancel()
			runErr = <-done
		})
	}
	t.Cleanup(stop) // before t.TempDir's removal, which was registered first
	_, key, err := auth.Create(context.Background(), a.Store(), auth.CreateParams{Name: "test"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}

	// A slow client: headers and part of the body of a publish.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"type":"payment_received","data":{"slow":true}}`
	head := "POST /api/v1/events HTTP/1.1\r\nHost: hookline\r\nAuthorization: Bearer " + key +
		"\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n"
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	// "100 Continue" comes when the handler starts reading the body: the
	// request is in flight from here on.
	br := bufio.NewReader(conn)
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	cont, err := http.ReadResponse(br, nil)
	if err != nil || cont.StatusCode != 100 {
		t.Fatalf("want 100 Continue, got %v %v", cont, err)
	}
	if _, err := io.WriteString(conn, body[:10]); err != nil {
		t.Fatal(err)
	}

	stop()
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		t.Errorf("Run returned %q after the grace period ran out; a slow client should not make shutdown fail", runErr)
	}

	// Whatever Run said, the held connection must be closed by now: the
	// store is closed and nothing may be served on top of it.
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(conn, body[10:])
	resp, err := http.ReadResponse(br, nil)
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Errorf("connection still served after Run returned: %s %s", resp.Status, strings.TrimSpace(string(b)))
		t.Log(logs.String())
	}
}
