package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hookline/hookline/client"
)

// TestNoDeliveryToItself: with loopback open to deliveries (as here), a
// webhook to the server's own API (by its address, or localhost at its
// port) is refused as a loop, while a receiver on another loopback port
// still gets its deliveries. Before, a raw webhook with an Authorization
// header posting to /api/v1/events turned one publish into 2, then 4.
func TestNoDeliveryToItself(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	api := client.New(s.URL, s.Key)
	ctx := context.Background()
	port := s.URL[strings.LastIndex(s.URL, ":"):]
	for _, u := range []string{s.URL + "/api/v1/events", "http://localhost" + port + "/api/v1/events"} {
		_, err := api.WebhookCreate(ctx, client.WebhookCreateParams{Name: "Loop", URL: u, Events: []string{"*"},
			Format: "raw", Headers: map[string]string{"Authorization": "Bearer " + s.Key}})
		var e *client.Error
		if !errors.As(err, &e) || e.Status != 422 || !strings.Contains(e.Detail, "itself") {
			t.Errorf("webhook to %s: %v, want a 422 naming the loop", u, err)
		}
	}
	if _, err := api.WebhookCreate(ctx, client.WebhookCreateParams{Name: "Neighbour", URL: rc.URL + "/in",
		Events: []string{"payment_received"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.EventPublish(ctx, client.EventPublishParams{Type: "payment_received", Data: map[string]any{"n": 1}}); err != nil {
		t.Fatal(err)
	}
	rc.wait(t, 1)
}
