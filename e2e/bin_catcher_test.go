package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookline/hookline/client"
)

// TestBinCatcher drives the request catcher through the CLI and the Go
// client against the real server: a custom response, a request to the bin,
// search, the raw view, JSON and HAR downloads, forwarding to a loopback
// receiver, and the audit entry the forward leaves.
func TestBinCatcher(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	c := newCLI(t, s, true)
	ctx := context.Background()
	api := client.New(s.URL, s.Key)

	var b client.Bin
	c.json(&b, "bins", "create", "--name", "catcher")
	c.ok("bins", "respond", b.ID, "--status", "418", "--header", "X-Teapot=short and stout",
		"--body", "I'm a teapot", "--delay", "10ms")
	got, err := api.BinGet(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Response == nil || got.Response.Status != 418 || got.Response.DelayMS != 10 ||
		got.Response.Headers["X-Teapot"] != "short and stout" {
		t.Fatalf("bin response after 'bins respond': %+v", got.Response)
	}
	// Refused values are reported all at once, with JSON pointers.
	_, err = api.BinSetResponse(ctx, b.ID, client.BinResponse{Status: 101, DelayMS: 60000,
		Headers: map[string]string{"Set-Cookie": "a=b"}})
	apiErr, ok := errors.AsType[*client.Error](err)
	if !ok || apiErr.Status != http.StatusBadRequest && apiErr.Status != http.StatusUnprocessableEntity || len(apiErr.Errors) != 3 {
		t.Fatalf("a bad response: %v", err)
	}

	// The bin answers as told.
	req, _ := http.NewRequest("POST", b.URL+"/orders%2F1?expand=items", bytes.NewReader([]byte("{\"sku\":\"A-1\"}\x00\xff")))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Webhook-Event", "order.created")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 418 || string(answer) != "I'm a teapot" || resp.Header.Get("X-Teapot") != "short and stout" {
		t.Fatalf("the bin answered %d %v %q", resp.StatusCode, resp.Header, answer)
	}
	if resp, err := http.Get(b.URL + "/health"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}

	u, _ := url.Parse(b.URL)
	binPath := u.Path
	// Search: by method and header, by body bytes; both the CLI and the client.
	var found []client.BinRequest
	c.json(&found, "bins", "requests", b.ID, "--method", "post", "--header", "webhook-event: ORDER")
	if len(found) != 1 || found[0].Answered != 418 || found[0].Target != binPath+"/orders%2F1?expand=items" {
		t.Fatalf("search found %+v", found)
	}
	posted := found[0]
	if all, err := api.BinSearch(ctx, b.ID, client.BinSearch{}); err != nil || len(all) != 2 {
		t.Fatalf("all requests: %d, %v", len(all), err)
	}
	if none, err := api.BinSearch(ctx, b.ID, client.BinSearch{Body: "B-2"}); err != nil || len(none) != 0 {
		t.Fatalf("a search for absent bytes: %d, %v", len(none), err)
	}
	if _, err := api.BinSearch(ctx, b.ID, client.BinSearch{Header: "bad name"}); err == nil {
		t.Fatal("a bad header term was accepted")
	}

	// The raw view keeps the request line and the body bytes.
	raw := c.ok("bins", "raw", b.ID, posted.ID)
	wantLine := "POST " + posted.Target + " HTTP/1.1\r\n"
	if !strings.HasPrefix(raw, wantLine) || !strings.HasSuffix(raw, "\r\n\r\n{\"sku\":\"A-1\"}\x00\xff") ||
		!strings.Contains(raw, "\r\nWebhook-Event: order.created\r\n") {
		t.Fatalf("raw:\n%q", raw)
	}

	// Downloads.
	dir := t.TempDir()
	har := filepath.Join(dir, "bin.har")
	c.ok("bins", "export", b.ID, "--format", "har", "--output", har)
	data, err := os.ReadFile(har)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Log struct {
			Version string
			Entries []struct {
				Request struct {
					Method, URL string
					PostData    struct {
						Text     string
						Encoding string `json:"_encoding"`
					}
				}
				Response struct{ Status int }
			}
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Log.Version != "1.2" || len(doc.Log.Entries) != 2 || doc.Log.Entries[0].Request.Method != "POST" ||
		doc.Log.Entries[0].Request.URL != b.URL+"/orders%2F1?expand=items" || doc.Log.Entries[0].Response.Status != 418 ||
		doc.Log.Entries[0].Request.PostData.Encoding != "base64" {
		t.Fatalf("HAR: %s", data)
	}
	jsonDoc, err := api.BinExport(ctx, b.ID, "json", client.BinSearch{Method: "GET"})
	if err != nil {
		t.Fatal(err)
	}
	var page struct{ Data []client.BinRequest }
	if err := json.Unmarshal(jsonDoc, &page); err != nil || len(page.Data) != 1 || page.Data[0].Method != "GET" {
		t.Fatalf("JSON export of the GETs: %s (%v)", jsonDoc, err)
	}

	// Forward to a loopback receiver (the test server opens loopback to
	// the guard), and the audit entry it leaves.
	rc := startReceiver(t, func(*http.Request, int) (int, http.Header, string) {
		return 202, http.Header{"X-Receiver": {"local"}}, "accepted"
	})
	out := c.ok("bins", "forward", b.ID, posted.ID, "--url", rc.URL+"/hooks")
	if !strings.HasPrefix(out, "202 from "+rc.URL+"/hooks") || !strings.Contains(out, "X-Receiver: local") {
		t.Fatalf("forward printed:\n%s", out)
	}
	seen := rc.wait(t, 1)[0]
	if seen.Method != "POST" || string(seen.Body) != "{\"sku\":\"A-1\"}\x00\xff" || seen.Header.Get("Webhook-Event") != "order.created" {
		t.Fatalf("the receiver saw %s %q %v", seen.Method, seen.Body, seen.Header)
	}
	// The guard still refuses what it refuses for deliveries.
	if _, err := api.BinForward(ctx, b.ID, posted.ID, "http://169.254.169.254/latest/meta-data"); err == nil {
		t.Fatal("forwarding to a link-local address was allowed")
	}
	entries, err := api.AuditList(ctx, client.AuditListParams{Target: posted.ID})
	if err != nil {
		t.Fatal(err)
	}
	forwards := 0
	for _, e := range entries.Data {
		if e.Action == "bin.forward" && e.Target == posted.ID {
			forwards++
		}
	}
	if forwards != 2 {
		t.Errorf("%d bin.forward audit entries, want 2 (one sent, one refused)", forwards)
	}

	c.ok("bins", "respond", b.ID, "--reset")
	if got, err := api.BinGet(ctx, b.ID); err != nil || got.Response != nil {
		t.Fatalf("after --reset: %+v %v", got, err)
	}
}
