package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/config"
)

func TestPublishValidation(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	cases := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"unknown type", `{"type":"no_such_type","data":{}}`, 422, "type"},
		{"missing type", `{"data":{}}`, 400, "type"},
		{"data array", `{"type":"payment_received","data":[1,2]}`, 400, "data"},
		{"data string", `{"type":"payment_received","data":"x"}`, 400, "data"},
		{"data number", `{"type":"payment_received","data":42}`, 400, "data"},
		{"data null", `{"type":"payment_received","data":null}`, 400, "data"},
		{"data missing", `{"type":"payment_received"}`, 400, "data"},
		{"unknown field", `{"type":"payment_received","data":{},"tenat":"x"}`, 400, "tenat"},
		{"type not a string", `{"type":5,"data":{}}`, 400, "type"},
		{"tenant invalid", `{"type":"payment_received","data":{},"tenant":"a/b"}`, 400, "tenant"},
		{"idempotency key too long", `{"type":"payment_received","data":{},"idempotency_key":"` + strings.Repeat("k", 256) + `"}`, 400, "idempotency_key"},
	}
	for _, c := range cases {
		p := s.sendProblem(c.status, "POST", "/api/v1/events", c.body)
		if p.Field != c.field {
			t.Errorf("%s: field %q, want %q (%s)", c.name, p.Field, c.field, p.Detail)
		}
		if c.name == "unknown field" && !strings.Contains(p.Detail, "tenat") {
			t.Errorf("unknown field: detail %q does not name the field", p.Detail)
		}
	}
	for name, body := range map[string]string{
		"empty body":     ``,
		"not JSON":       `type=payment_received`,
		"truncated":      `{"type":"payment_received","data":{`,
		"trailing data":  `{"type":"payment_received","data":{}} {}`,
		"top-level list": `[{"type":"payment_received","data":{}}]`,
	} {
		r := s.raw("POST", "/api/v1/events", s.authed(), body)
		if r.Status != 400 {
			t.Errorf("%s: status %d, want 400: %s", name, r.Status, r.Body)
			continue
		}
		mustProblem(t, r, 400)
	}
	var list struct {
		Data []json.RawMessage `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/events", nil, &list)
	if len(list.Data) != 0 {
		t.Errorf("refused events were stored: %s", fmtJSON(list.Data))
	}
}

func TestPublishTooLarge(t *testing.T) {
	t.Parallel()
	t.Run("default limit 1 MiB", func(t *testing.T) {
		t.Parallel()
		s := startServer(t)
		pad := strings.Repeat("x", 1<<20)
		p := s.sendProblem(413, "POST", "/api/v1/events", `{"type":"payment_received","data":{"pad":"`+pad+`"}}`)
		if !strings.Contains(p.Detail, "1048576") {
			t.Errorf("detail %q does not name the limit", p.Detail)
		}
		// Just under the limit is accepted.
		under := strings.Repeat("x", 1<<20-100)
		s.publishRaw(`{"type":"payment_received","data":{"pad":"` + under + `"}}`)
	})
	t.Run("configured limit", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, func(c *config.Config) { c.MaxEventBytes = 2048 })
		s.sendProblem(413, "POST", "/api/v1/events", `{"type":"payment_received","data":{"pad":"`+strings.Repeat("y", 3000)+`"}}`)
		s.publishRaw(`{"type":"payment_received","data":{"pad":"` + strings.Repeat("y", 1500) + `"}}`)
	})
}

func TestPublishReply(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	s.createWebhook(rc.URL+"/a", "payment_received")
	s.createWebhook(rc.URL+"/b", "payment_received", "site_published")
	s.createWebhook(rc.URL+"/c", "*")
	s.createWebhook(rc.URL+"/d", "site_published")
	r := s.raw("POST", "/api/v1/events", s.authed(), `{"type":"payment_received","data":{"amount":1}}`)
	if r.Status != 202 {
		t.Fatalf("publish: %d %s", r.Status, r.Body)
	}
	var rep struct {
		ID         string `json:"id"`
		Deliveries *int   `json:"deliveries"`
	}
	if err := json.Unmarshal(r.Body, &rep); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rep.ID, "evt_") || rep.Deliveries == nil || *rep.Deliveries != 3 {
		t.Fatalf("reply %s, want an evt_ id and deliveries 3", r.Body)
	}
	if loc := r.Header.Get("Location"); loc != "/api/v1/events/"+rep.ID {
		t.Errorf("Location = %q", loc)
	}
	// Only the wildcard webhook subscribes to domain_created.
	if _, n := s.publishRaw(`{"type":"domain_created","data":{}}`); n != 1 {
		t.Errorf("deliveries = %d for a type only \"*\" matches, want 1", n)
	}
	// No webhook of the tenant at all: still accepted, zero deliveries.
	if _, n := s.publishRaw(`{"type":"domain_created","data":{},"tenant":"empty"}`); n != 0 {
		t.Errorf("deliveries = %d in a tenant without webhooks, want 0", n)
	}
	e := s.getEvent(rep.ID)
	if e.ID != rep.ID || e.Type != "payment_received" || e.Tenant != "default" || len(e.Deliveries) != 3 || e.Timestamp.IsZero() {
		t.Errorf("GET event = %s", fmtJSON(e))
	}
	s.sendProblem(404, "GET", "/api/v1/events/evt_missing", nil)
}

func TestPublishIdempotency(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	s.createWebhook(rc.URL, "payment_received", "site_published")

	type reply struct {
		ID         string `json:"id"`
		Deliveries int    `json:"deliveries"`
	}
	publish := func(body string, h http.Header) (int, reply) {
		t.Helper()
		hdr := s.authed()
		for k, v := range h {
			hdr[k] = v
		}
		r := s.raw("POST", "/api/v1/events", hdr, body)
		var rep reply
		if r.Status/100 == 2 {
			if err := json.Unmarshal(r.Body, &rep); err != nil {
				t.Fatal(err)
			}
		}
		return r.Status, rep
	}
	st1, first := publish(`{"type":"payment_received","data":{"n":1},"idempotency_key":"order-42"}`, nil)
	st2, again := publish(`{"type":"payment_received","data":{"n":1},"idempotency_key":"order-42"}`, nil)
	if st1 != 202 || first.Deliveries != 1 {
		t.Fatalf("first publish: %d %+v, want 202 with 1 delivery", st1, first)
	}
	// The contract answers 202 {id, deliveries}; the server answers a
	// repeat with 200 and "duplicate": true, which is also a success.
	if st2 != 202 && st2 != 200 {
		t.Fatalf("repeat publish: status %d, want 2xx", st2)
	}
	if again.ID != first.ID || again.Deliveries != first.Deliveries {
		t.Fatalf("repeat publish = %+v, want the first event %+v", again, first)
	}
	// The Idempotency-Key header works like the field.
	_, h1 := publish(`{"type":"site_published","data":{"n":2}}`, http.Header{"Idempotency-Key": {"site-7"}})
	_, h2 := publish(`{"type":"site_published","data":{"n":2}}`, http.Header{"Idempotency-Key": {"site-7"}})
	if h1.ID == "" || h1.ID != h2.ID {
		t.Fatalf("Idempotency-Key header: ids %q and %q, want equal", h1.ID, h2.ID)
	}
	// A marker event after the repeats: once it arrived, a second delivery
	// of a repeated event would have been queued before it.
	marker := s.publish("payment_received", map[string]any{"marker": true})
	rc.wait(t, 3)
	got := rc.waitID(t, marker)
	for _, id := range []string{first.ID, h1.ID, marker} {
		if n := count(ids(got), id); n != 1 {
			t.Errorf("event %s delivered %d times, want once (requests: %v)", id, n, ids(got))
		}
	}
	var list struct {
		Data []json.RawMessage `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/events", nil, &list)
	if len(list.Data) != 3 {
		t.Errorf("%d events stored, want 3", len(list.Data))
	}
	// The same key under another tenant is a different event.
	_, other := publish(`{"type":"payment_received","data":{"n":1},"idempotency_key":"order-42","tenant":"acme"}`, nil)
	if other.ID == "" || other.ID == first.ID {
		t.Errorf("key reused under tenant acme returned %q, want a new event", other.ID)
	}
}

func TestEventDataBytesPreserved(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	s.createWebhook(rc.URL, "customer_created")
	data := `{ "zeta" :1,"alpha":  [ 1.50, 2e3,"\u00e9\n" ],"nested":{"b":null ,"a":true},"big":12345678901234567890 }`
	id, _ := s.publishRaw(`{"type":"customer_created","data":` + data + `}`)
	got := rc.wait(t, 1)[0]
	var env map[string]json.RawMessage
	if err := json.Unmarshal(got.Body, &env); err != nil {
		t.Fatalf("body %q: %v", got.Body, err)
	}
	if string(env["data"]) != data {
		t.Errorf("delivered data\n%s\nwant exactly\n%s", env["data"], data)
	}
	if !strings.HasSuffix(string(got.Body), `"data":`+data+`}`) {
		t.Errorf("body %s does not carry the data bytes as published", got.Body)
	}
	if e := s.getEvent(id); !jsonEqual(t, e.Data, []byte(data)) {
		t.Errorf("GET event data %s, want %s", e.Data, data)
	}
}

// jsonEqual compares two JSON texts by value, keeping numbers exact.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	dec := func(x []byte) string {
		d := json.NewDecoder(strings.NewReader(string(x)))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatalf("decode %s: %v", x, err)
		}
		out, _ := json.Marshal(v)
		return string(out)
	}
	return dec(a) == dec(b)
}
