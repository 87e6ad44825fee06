package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hookline/hookline/client"
	"github.com/hookline/hookline/internal/config"
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

// TestLoopBetweenTwoServers: two Hookline servers whose raw webhooks
// publish into each other bounce an event back and forth (here for as many
// hops as its data nests publish requests; a transformation could make it
// for ever). Each delivery carries the event's hop count plus one
// (Hookline-Hops) and a server refuses an event past its --max-hops with
// 508, which the sender takes as final: with max-hops 3 the event exists 4
// times in all (hops 0 to 3), and the fifth publish is one failed attempt,
// never retried.
func TestLoopBetweenTwoServers(t *testing.T) {
	t.Parallel()
	maxHops := func(c *config.Config) { c.MaxHops = 3 }
	a, b := startServer(t, maxHops), startServer(t, maxHops)
	ctx := context.Background()
	const typ = "relay.hop"
	into := func(from, to *server) string {
		from.mustDo(201, "POST", "/api/v1/event-types", map[string]any{"slug": typ, "name": "Relay hop"}, nil)
		w, err := client.New(from.URL, from.Key).WebhookCreate(ctx, client.WebhookCreateParams{
			Name: "Relay", URL: to.URL + "/api/v1/events", Events: []string{typ}, Format: "raw",
			Headers: map[string]string{"Authorization": "Bearer " + to.Key}})
		if err != nil {
			t.Fatal(err)
		}
		return w.ID
	}
	into(a, b)
	bToA := into(b, a)

	// The header is checked before the body: a bad value is a 400, one
	// past the limit the loop's 508.
	for _, c := range []struct {
		hops   string
		status int
	}{{"many", 400}, {"-1", 400}, {"4", 508}} {
		h := a.authed()
		h.Set("Hookline-Hops", c.hops)
		p := mustProblem(t, a.raw("POST", "/api/v1/events", h, map[string]any{"type": typ, "data": map[string]any{}}), c.status)
		if !strings.Contains(p.Detail, "Hookline-Hops") {
			t.Errorf("Hookline-Hops %s: detail %q does not name the header", c.hops, p.Detail)
		}
	}

	// Each hop's raw body is the event's data, a publish request of the
	// next: ten levels, more than the three hops allowed.
	data := map[string]any{"n": 1}
	for range 10 {
		data = map[string]any{"type": typ, "data": data}
	}
	a.publish(typ, data)
	var failed deliveryResp
	eventually(t, "the loop's last hop refused", func() bool {
		for _, e := range b.listEvents(typ) {
			for _, d := range b.getEvent(e).Deliveries {
				if d.WebhookID == bToA && d.Status == "failed" {
					failed = b.getDelivery(d.ID)
					return true
				}
			}
		}
		return false
	})
	if failed.LastStatusCode != 508 || failed.Attempts != 1 {
		t.Errorf("last hop: status %d after %d attempts, want one 508", failed.LastStatusCode, failed.Attempts)
	}
	if na, nb := len(a.listEvents(typ)), len(b.listEvents(typ)); na != 2 || nb != 2 {
		t.Errorf("events: %d on A and %d on B, want 2 and 2 (hops 0 to 3)", na, nb)
	}
}

// listEvents returns the IDs of the server's events of one type.
func (s *server) listEvents(typ string) []string {
	s.t.Helper()
	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/events?type="+typ, nil, &page)
	var ids []string
	for _, e := range page.Data {
		ids = append(ids, e.ID)
	}
	return ids
}
