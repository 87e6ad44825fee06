package e2e

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDeclaredOversizeBodyRefusedAtOnce: a request declaring a body over
// the route's limit, whose bytes never come, is answered 413 without
// waiting for them (before, the connection was held until the read
// timeout and closed without an answer); a duplicate key in a JSON body
// is a 400 naming it.
func TestDeclaredOversizeBodyRefusedAtOnce(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Bounds the wait should the answer never come; the answer does not
	// depend on it.
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	req := "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + s.Key +
		"\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{}"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a declared 10 MB body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", resp.StatusCode)
	}

	var problem struct {
		Detail string `json:"detail"`
	}
	s.mustDo(http.StatusBadRequest, "POST", "/api/v1/events",
		`{"type": "payment_received", "data": {"amount": 1000000, "amount": 1}}`, &problem)
	if !strings.Contains(problem.Detail, `"amount" appears twice`) {
		t.Errorf("duplicate key: %q", problem.Detail)
	}
}
