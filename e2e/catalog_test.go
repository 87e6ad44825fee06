package e2e

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

type eventTypeResp struct {
	Slug        string          `json:"slug"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Example     json.RawMessage `json:"example"`
	Schema      json.RawMessage `json:"schema"`
	Custom      bool            `json:"custom"`
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,99}$`)

func TestEventTypesBuiltinCatalog(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	var list struct {
		Data []eventTypeResp `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/event-types", nil, &list)
	// The 23 SaaS types of the spec, plus Hookline's 3 notification types.
	saas, ops := 0, 0
	for _, et := range list.Data {
		if strings.HasPrefix(et.Slug, "hookline.") {
			ops++
		} else {
			saas++
		}
	}
	if saas != 23 || ops != 3 {
		t.Fatalf("catalog has %d SaaS types and %d hookline.* types, want 23 and 3", saas, ops)
	}
	seen := map[string]bool{}
	for _, et := range list.Data {
		if !slugPattern.MatchString(et.Slug) {
			t.Errorf("slug %q does not match the slug pattern", et.Slug)
		}
		if seen[et.Slug] {
			t.Errorf("slug %q listed twice", et.Slug)
		}
		seen[et.Slug] = true
		if et.Name == "" || et.Description == "" {
			t.Errorf("%s: name %q and description %q must be set", et.Slug, et.Name, et.Description)
		}
		var obj map[string]any
		if err := json.Unmarshal(et.Example, &obj); err != nil || len(obj) == 0 {
			t.Errorf("%s: example %s is not a non-empty JSON object", et.Slug, et.Example)
		}
		if et.Custom {
			t.Errorf("%s: built-in type marked custom", et.Slug)
		}
	}
	for _, core := range []string{"payment_received", "site_published", "confirm_email_address", "domain_created", "renewal_payment_created"} {
		if !seen[core] {
			t.Errorf("core type %s missing from the catalog", core)
		}
		var one eventTypeResp
		s.mustDo(200, "GET", "/api/v1/event-types/"+core, nil, &one)
		if one.Slug != core || one.Name == "" || one.Description == "" || len(one.Example) == 0 {
			t.Errorf("GET %s = %s", core, fmtJSON(one))
		}
	}
	s.sendProblem(404, "GET", "/api/v1/event-types/no_such_type", nil)
}

func TestEventTypeCustomWithSchema(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rc := startReceiver(t, nil)
	schema := `{"type":"object","required":["order_id","amount"],"properties":{
		"order_id":{"type":"string"},"amount":{"type":"integer","minimum":0},
		"customer":{"type":"object","properties":{"email":{"type":"string","format":"email"}},"required":["email"]}}}`
	body := `{"slug":"order.shipped","name":"Order shipped","description":"An order left the warehouse",
		"example":{"order_id":"o_1","amount":10},"schema":` + schema + `}`
	r := s.raw("POST", "/api/v1/event-types", s.authed(), body)
	if r.Status != 201 {
		t.Fatalf("create: status %d: %s", r.Status, r.Body)
	}
	if loc := r.Header.Get("Location"); loc != "/api/v1/event-types/order.shipped" {
		t.Errorf("Location = %q", loc)
	}
	var got eventTypeResp
	s.mustDo(200, "GET", "/api/v1/event-types/order.shipped", nil, &got)
	if !got.Custom || got.Name != "Order shipped" || got.Description != "An order left the warehouse" || len(got.Schema) == 0 {
		t.Errorf("GET custom type = %s", fmtJSON(got))
	}
	var list struct {
		Data []eventTypeResp `json:"data"`
	}
	s.mustDo(200, "GET", "/api/v1/event-types", nil, &list)
	if len(list.Data) != 27 {
		t.Errorf("catalog has %d types after registering one, want 27 (26 built in)", len(list.Data))
	}

	s.createWebhook(rc.URL, "order.shipped")
	cases := []struct {
		name  string
		data  string
		field string
	}{
		{"missing required", `{"amount":5}`, "data.order_id"},
		{"wrong type", `{"order_id":"o_2","amount":"five"}`, "data.amount"},
		{"below minimum", `{"order_id":"o_2","amount":-1}`, "data.amount"},
		{"nested missing", `{"order_id":"o_2","amount":1,"customer":{}}`, "data.customer.email"},
	}
	for _, c := range cases {
		p := s.sendProblem(422, "POST", "/api/v1/events", `{"type":"order.shipped","data":`+c.data+`}`)
		if p.Field != c.field || !strings.Contains(p.Detail, c.field) {
			t.Errorf("%s: problem field %q detail %q, want field %q named in the detail", c.name, p.Field, p.Detail, c.field)
		}
	}
	id, n := s.publishRaw(`{"type":"order.shipped","data":{"order_id":"o_3","amount":7}}`)
	if n != 1 {
		t.Fatalf("conforming event made %d deliveries, want 1", n)
	}
	got1 := rc.wait(t, 1)
	if got1[0].Header.Get("webhook-id") != id || got1[0].Header.Get("webhook-event") != "order.shipped" {
		t.Errorf("delivered headers %v, want event %s of type order.shipped", got1[0].Header, id)
	}
	if len(rc.requests()) != 1 {
		t.Errorf("receiver got %d requests; rejected events must not be delivered", len(rc.requests()))
	}
}

func TestEventTypeCreateValidation(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	s.mustDo(201, "POST", "/api/v1/event-types", map[string]any{"slug": "dup.type", "name": "Dup"}, nil)
	long100 := "a" + strings.Repeat("b", 99)
	s.mustDo(201, "POST", "/api/v1/event-types", map[string]any{"slug": long100, "name": "Long"}, nil)

	cases := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"uppercase slug", `{"slug":"Order.created","name":"x"}`, 400, "slug"},
		{"leading dot", `{"slug":".order","name":"x"}`, 400, "slug"},
		{"leading dash", `{"slug":"-order","name":"x"}`, 400, "slug"},
		{"space in slug", `{"slug":"order created","name":"x"}`, 400, "slug"},
		{"slash in slug", `{"slug":"order/created","name":"x"}`, 400, "slug"},
		{"empty slug", `{"slug":"","name":"x"}`, 400, "slug"},
		{"101 characters", `{"slug":"a` + strings.Repeat("b", 100) + `","name":"x"}`, 400, "slug"},
		{"wildcard", `{"slug":"*","name":"x"}`, 400, "slug"},
		{"missing name", `{"slug":"no.name"}`, 400, "name"},
		{"name too long", `{"slug":"long.name","name":"` + strings.Repeat("n", 201) + `"}`, 400, "name"},
		{"description too long", `{"slug":"long.desc","name":"x","description":"` + strings.Repeat("d", 2001) + `"}`, 400, "description"},
		{"example not an object", `{"slug":"bad.example","name":"x","example":[1]}`, 400, "example"},
		{"example violates schema", `{"slug":"bad.example2","name":"x","example":{"a":"s"},
			"schema":{"type":"object","properties":{"a":{"type":"integer"}}}}`, 422, "example"},
		{"unknown field", `{"slug":"typo.field","name":"x","exmaple":{}}`, 400, "exmaple"},
		{"duplicate custom", `{"slug":"dup.type","name":"again"}`, 409, "slug"},
		{"duplicate built-in", `{"slug":"payment_received","name":"again"}`, 409, "slug"},
	}
	for _, c := range cases {
		p := s.sendProblem(c.status, "POST", "/api/v1/event-types", c.body)
		if p.Field != c.field {
			t.Errorf("%s: field %q, want %q (%s)", c.name, p.Field, c.field, p.Detail)
		}
	}
	// A schema that does not compile is refused, naming the schema.
	r := s.raw("POST", "/api/v1/event-types", s.authed(), `{"slug":"bad.schema","name":"x","schema":{"type":"no-such-type"}}`)
	if r.Status != 400 && r.Status != 422 {
		t.Fatalf("invalid schema: status %d, want 400 or 422: %s", r.Status, r.Body)
	}
	if p := mustProblem(t, r, r.Status); p.Field != "schema" {
		t.Errorf("invalid schema: field %q, want schema", p.Field)
	}
	// The built-in type was not replaced by the refused duplicate.
	var pr eventTypeResp
	s.mustDo(200, "GET", "/api/v1/event-types/payment_received", nil, &pr)
	if pr.Custom || pr.Name == "again" {
		t.Errorf("built-in type changed by a refused duplicate: %s", fmtJSON(pr))
	}
}
