package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"

	"github.com/hookline/hookline/client"
)

// fakeAPI imitates a small part of Hookline's API in memory, so the
// examples run without a server: webhooks (create, get, list with cursors)
// and publishing, with problem JSON for errors.
func fakeAPI() *httptest.Server {
	var mu sync.Mutex
	var webhooks []map[string]any
	problem := func(w http.ResponseWriter, status int, field, detail string, errs ...client.FieldProblem) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		if field != "" {
			detail = field + ": " + detail
		}
		json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": http.StatusText(status),
			"status": status, "detail": detail, "field": field, "errors": errs, "request_id": "req-1"})
	}
	reply := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/webhooks", func(w http.ResponseWriter, r *http.Request) {
		var p client.WebhookCreateParams
		json.NewDecoder(r.Body).Decode(&p)
		var errs []client.FieldProblem
		if len(p.Name) < 2 {
			errs = append(errs, client.FieldProblem{Pointer: "/name", Detail: "must be 2 to 200 characters"})
		}
		if !strings.HasPrefix(p.URL, "http") {
			errs = append(errs, client.FieldProblem{Pointer: "/url", Detail: "must be an absolute http or https URL"})
		}
		if len(errs) > 0 {
			problem(w, 400, strings.TrimPrefix(errs[0].Pointer, "/"), errs[0].Detail, errs...)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		wh := map[string]any{"id": fmt.Sprintf("wh_%d", len(webhooks)+1), "name": p.Name, "url": p.URL,
			"events": p.Events, "active": true, "tenant": "default", "format": "envelope"}
		webhooks = append(webhooks, wh)
		reply(w, 201, map[string]any{"id": wh["id"], "name": p.Name, "url": p.URL, "events": p.Events,
			"active": true, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
	})
	mux.HandleFunc("GET /api/v1/webhooks/{id}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		for _, wh := range webhooks {
			if wh["id"] == r.PathValue("id") {
				reply(w, 200, wh)
				return
			}
		}
		problem(w, 404, "", "webhook not found")
	})
	mux.HandleFunc("GET /api/v1/webhooks", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		start, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		end := min(start+limit, len(webhooks))
		page := map[string]any{"data": webhooks[start:end]}
		if end < len(webhooks) {
			page["next_cursor"] = strconv.Itoa(end)
		}
		reply(w, 200, page)
	})
	mux.HandleFunc("POST /api/v1/events", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 202, map[string]any{"id": "evt_1", "deliveries": len(webhooks)})
	})
	return httptest.NewServer(mux)
}

func Example() {
	srv := fakeAPI() // a real program uses its server's URL
	defer srv.Close()
	ctx := context.Background()

	c := client.New(srv.URL, "hkl_example_key", client.WithUserAgent("billing-service/1.0"))

	wh, err := c.WebhookCreate(ctx, client.WebhookCreateParams{
		Name:   "Billing",
		URL:    "https://billing.example.com/hooks",
		Events: []string{"payment_received"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", wh.ID, "signed with", wh.Secret[:6]+"…")

	res, err := c.EventPublish(ctx, client.EventPublishParams{
		Type:           "payment_received",
		Data:           map[string]any{"payment_id": 1042, "amount": 49.0},
		IdempotencyKey: "payment-1042",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("published", res.ID, "to", res.Deliveries, "webhook(s)")
	// Output:
	// created wh_1 signed with whsec_…
	// published evt_1 to 1 webhook(s)
}

// Errors carry the server's problem document; the helpers answer the
// common questions.
func ExampleError() {
	srv := fakeAPI()
	defer srv.Close()
	ctx := context.Background()
	c := client.New(srv.URL, "hkl_example_key")

	_, err := c.WebhookGet(ctx, "wh_missing")
	fmt.Println("not found:", client.IsNotFound(err))

	_, err = c.WebhookCreate(ctx, client.WebhookCreateParams{Name: "Bad", URL: "ftp://x", Events: []string{"*"}})
	var e *client.Error
	if errors.As(err, &e) {
		fmt.Printf("%d %s: field %q: %s\n", e.Status, e.Title, e.Field, e.Message())
	}
	// Output:
	// not found: true
	// 400 Bad Request: field "url": must be an absolute http or https URL
}

// A request with several bad fields hears about all of them in Errors.
func ExampleFieldProblem() {
	srv := fakeAPI()
	defer srv.Close()
	c := client.New(srv.URL, "hkl_example_key")

	_, err := c.WebhookCreate(context.Background(), client.WebhookCreateParams{Name: "", URL: "ftp://x", Events: []string{"*"}})
	if e, ok := errors.AsType[*client.Error](err); ok {
		for _, p := range e.Errors {
			fmt.Printf("%s: %s\n", p.Place(), p.Detail)
		}
	}
	// Output:
	// /name: must be 2 to 200 characters
	// /url: must be an absolute http or https URL
}

// WebhookListAll pages through every webhook, fetching the next page only
// when the loop gets there.
func ExampleClient_WebhookListAll() {
	srv := fakeAPI()
	defer srv.Close()
	ctx := context.Background()
	c := client.New(srv.URL, "hkl_example_key")
	for _, name := range []string{"one", "two", "three"} {
		if _, err := c.WebhookCreate(ctx, client.WebhookCreateParams{
			Name: name, URL: "https://example.com/" + name, Events: []string{"*"},
		}); err != nil {
			log.Fatal(err)
		}
	}

	for wh, err := range c.WebhookListAll(ctx, client.WebhookListParams{Limit: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(wh.ID, wh.Name)
	}
	// Output:
	// wh_1 one
	// wh_2 two
	// wh_3 three
}

// WebhookUpdate changes only the fields that are set.
func ExampleClient_WebhookUpdate() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		fmt.Println(r.Method, r.URL.Path, body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "wh_1", "active": false})
	}))
	defer srv.Close()
	c := client.New(srv.URL, "hkl_example_key")

	wh, err := c.WebhookUpdate(context.Background(), "wh_1", client.WebhookUpdateParams{Active: client.Ptr(false)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("active:", wh.Active)
	// Output:
	// PATCH /api/v1/webhooks/wh_1 map[active:false]
	// active: false
}
