package e2e

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/client"
	"github.com/hookline/hookline/internal/config"
)

// TestLogsHoldNoSecrets delivers to endpoints that fail every way a
// transport can (refused, timed out, TLS spoken to plain HTTP, a 500),
// each with a secret in its URL's path and query and a credential header,
// until every delivery has finally failed; then no log line holds any of
// those, nor a signing secret or the API key. Logs show a webhook's URL
// as scheme and host only.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	s := startServer(t, withRetrySchedule(20*time.Millisecond), func(c *config.Config) { c.DeliveryTimeout = time.Second })
	api := client.New(s.URL, s.Key)
	ctx := context.Background()

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedAddr := closed.Addr().String()
	closed.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); slow.Close() })
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(plain.Close)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	t.Cleanup(failing.Close)

	targets := map[string]string{
		"refused": "http://" + refusedAddr,
		"timeout": slow.URL,
		"tls":     strings.Replace(plain.URL, "http://", "https://", 1),
		"500":     failing.URL,
	}
	secrets := []string{s.Key}
	var ids []string
	for name, base := range targets {
		path, query, header := "pathsecret"+name+"x9", "querysecret"+name+"x9", "headersecret"+name+"x9"
		wh, err := api.WebhookCreate(ctx, client.WebhookCreateParams{Tenant: "logs", Name: "leak " + name,
			URL: base + "/hooks/" + path + "?token=" + query, Events: []string{"payment_received"},
			Headers: map[string]string{"Authorization": "Bearer " + header}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, wh.ID)
		secrets = append(secrets, path, query, header, wh.Secret)
	}
	if _, err := api.EventPublish(ctx, client.EventPublishParams{Type: "payment_received", Tenant: "logs",
		Data: map[string]any{"n": 1}}); err != nil {
		t.Fatal(err)
	}
	// Every delivery ends failed (two attempts each; the timeouts take a
	// second each), which logs at warn besides the debug line per attempt.
	deadline := time.Now().Add(60 * time.Second)
	for _, id := range ids {
		for {
			page, err := api.DeliveryList(ctx, client.DeliveryListParams{WebhookID: id})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Data) == 1 && page.Data[0].Status == "failed" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("webhook %s: deliveries %+v never finally failed", id, page.Data)
			}
			time.Sleep(50 * time.Millisecond) // polling the API: the test has no hook into the dispatcher
		}
	}
	logs := s.logs.String()
	if !strings.Contains(logs, "delivery failed after its last attempt") {
		t.Fatal("no final-failure line was logged: the test did not exercise what it checks")
	}
	for _, sec := range secrets {
		if strings.Contains(logs, sec) {
			i := strings.Index(logs, sec)
			t.Errorf("the logs hold %.12s…: …%s…", sec, logs[max(0, i-200):min(len(logs), i+50)])
		}
	}
}
