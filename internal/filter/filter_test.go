package filter

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/webhook"
)

func parse(t *testing.T, raw string) (*Filter, []webhook.FieldProblem) {
	t.Helper()
	var v webhook.Validation
	f := Parse(json.RawMessage(raw), webhook.At("filter"), &v)
	if e, ok := errors.AsType[*webhook.Error](v.Err()); ok {
		return f, e.Problems()
	}
	return f, nil
}

var doc = func() any {
	d, err := Envelope(webhook.Event{ID: "evt_1", Type: "payment_received", Tenant: "acme",
		CreatedAt: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC),
		Data: []byte(`{"amount": 150, "currency": "EUR", "country": "DE", "vip": false, "note": "Invoice 42 paid",
			"tags": ["new", "eu"], "items": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1}],
			"customer": {"email": "jane@example.com", "address": {"city": "Berlin"}}, "coupon": null}`)})
	if err != nil {
		panic(err)
	}
	return d
}()

func TestMatch(t *testing.T) {
	tests := []struct {
		filter string
		want   bool
		why    string // part of the explanation when it does not match
	}{
		{`{}`, true, ""},
		{`{"type": "payment_received"}`, true, ""},
		{`{"type": "payment_failed"}`, false, `type is "payment_received", not equal to "payment_failed"`},
		{`{"tenant": "acme", "data.amount": {"$gt": 100}}`, true, ""},
		{`{"data.amount": {"$gt": 150}}`, false, "data.amount is 150, not > 150"},
		{`{"data.amount": {"$gte": 150, "$lte": 150}}`, true, ""},
		{`{"data.amount": {"$lt": 100}}`, false, "not < 100"},
		{`{"data.amount": 150.0}`, true, ""},
		{`{"data.amount": "150"}`, false, ""},
		{`{"data.currency": {"$in": ["EUR", "GBP"]}}`, true, ""},
		{`{"data.currency": {"$nin": ["EUR", "GBP"]}}`, false, "$nin"},
		{`{"data.currency": {"$neq": "USD"}}`, true, ""},
		{`{"data.missing": {"$neq": "USD"}}`, true, ""},
		{`{"data.missing": {"$exists": false}}`, true, ""},
		{`{"data.coupon": {"$exists": true}}`, true, ""}, // null is a value
		{`{"data.coupon": null}`, true, ""},
		{`{"data.missing": {"$exists": true}}`, false, "data.missing is missing"},
		{`{"data.missing": 1}`, false, "data.missing is missing"},
		{`{"data.note": {"$startsWith": "Invoice"}}`, true, ""},
		{`{"data.note": {"$endsWith": "paid"}}`, true, ""},
		{`{"data.note": {"$contains": "42"}}`, true, ""},
		{`{"data.tags": {"$contains": "eu"}}`, true, ""},
		{`{"data.tags": {"$contains": "us"}}`, false, "containing"},
		{`{"data.tags": ["new", "eu"]}`, true, ""},
		{`{"data.tags.0": "new"}`, true, ""},
		{`{"data.tags.5": "new"}`, false, "missing"},
		{`{"data.items.*.sku": "B-7"}`, true, ""},
		{`{"data.items.*.sku": "C-9"}`, false, "2 values, none equal to"},
		{`{"data.items.*.qty": {"$gt": 1}}`, true, ""},
		{`{"data.items.*.sku": {"$nin": ["C-9"]}}`, true, ""},
		{`{"data.items.*.sku": {"$nin": ["A-1"]}}`, false, `"A-1"`},
		{`{"data.customer.email": {"$regex": "@example\\.com$"}}`, true, ""},
		{`{"data.customer.email": {"$regex": "^bob@"}}`, false, "matching"},
		{`{"data": {"customer": {"address": {"city": "Berlin"}}}}`, true, ""},
		{`{"data.customer": {"address.city": "Paris"}}`, false, "data.customer.address.city"},
		{`{"$or": [{"data.country": "US"}, {"data.vip": true}]}`, false, "$or: no alternative holds"},
		{`{"$or": [{"data.country": "US"}, {"data.country": "DE"}]}`, true, ""},
		{`{"$and": [{"data.country": "DE"}, {"data.amount": {"$gt": 1000}}]}`, false, "data.amount"},
		{`{"$not": {"data.country": "DE"}}`, false, "$not"},
		{`{"data.country": {"$not": {"$in": ["US", "CA"]}}}`, true, ""},
		{`{"timestamp": {"$gte": "2026-12-01"}}`, true, ""},
		{`{"data.amount": {"$gt": "100"}}`, false, ""}, // a number does not compare with a string
	}
	for _, tt := range tests {
		f, problems := parse(t, tt.filter)
		if problems != nil {
			t.Errorf("%s: %v", tt.filter, problems)
			continue
		}
		got, why := f.Match(doc)
		if got != tt.want {
			t.Errorf("%s: %v (%s), want %v", tt.filter, got, why, tt.want)
		}
		if !tt.want && !strings.Contains(why, tt.why) {
			t.Errorf("%s: explanation %q lacks %q", tt.filter, why, tt.why)
		}
	}
}

func TestParseProblems(t *testing.T) {
	tests := []struct {
		filter  string
		pointer string
		msg     string
	}{
		{`[1]`, "/filter", "must be a JSON object"},
		{`{"a": `, "/filter", "not valid JSON"},
		{`{"data.amount": {"$gtt": 1}}`, "/filter/data.amount/$gtt", "unknown operator $gtt"},
		{`{"$nor": []}`, "/filter/$nor", "unknown operator $nor"},
		{`{"$or": {}}`, "/filter/$or", "non-empty array"},
		{`{"$or": [{"a": 1}, 2]}`, "/filter/$or/1", "filters (objects)"},
		{`{"data.x": {"$in": 3}}`, "/filter/data.x/$in", "array"},
		{`{"data.x": {"$gt": true}}`, "/filter/data.x/$gt", "number or a string"},
		{`{"data.x": {"$exists": 1}}`, "/filter/data.x/$exists", "true or false"},
		{`{"data.x": {"$regex": "a("}}`, "/filter/data.x/$regex", "missing closing )"},
		{`{"data.x": {"$regex": "(?=x)"}}`, "/filter/data.x/$regex", "$regex"},
		{`{"data..x": 1}`, "/filter/data..x", "not a path"},
		{`{"data": {"$eq": 1, "x": 2}}`, "/filter/data", "mixes operators and paths"},
		{`{"data.x": {"$not": 1}}`, "/filter/data.x/$not", "takes operators"},
		{`{"data.x": {"$regex": "` + strings.Repeat("a", MaxRegex+1) + `"}}`, "/filter/data.x/$regex", "1 to 256"},
	}
	for _, tt := range tests {
		f, problems := parse(t, tt.filter)
		if f != nil || len(problems) == 0 {
			t.Errorf("%s: accepted", tt.filter)
			continue
		}
		p := problems[0]
		if p.Pointer != tt.pointer || !strings.Contains(p.Message, tt.msg) {
			t.Errorf("%s: %s %q, want %s %q", tt.filter, p.Pointer, p.Message, tt.pointer, tt.msg)
		}
	}
}

func TestLimits(t *testing.T) {
	deep := strings.Repeat(`{"$not": `, MaxDepth+2) + `{"a": 1}` + strings.Repeat("}", MaxDepth+2)
	if _, problems := parse(t, deep); len(problems) == 0 || !strings.Contains(problems[0].Message, "nests too deep") {
		t.Errorf("deep filter: %v", problems)
	}
	var b strings.Builder
	b.WriteString("{")
	for i := range MaxNodes + 1 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"data.k` + string(rune('a'+i%26)) + strings.Repeat("x", i/26) + `": 1`)
	}
	b.WriteString("}")
	if _, problems := parse(t, b.String()); len(problems) == 0 || !strings.Contains(problems[0].Message, "too large") {
		t.Errorf("wide filter: %v", problems)
	}
	if _, problems := parse(t, `{"a": "`+strings.Repeat("x", MaxBytes)+`"}`); len(problems) == 0 {
		t.Error("a filter over MaxBytes was accepted")
	}
}

func FuzzParseMatch(f *testing.F) {
	for _, s := range []string{`{}`, `{"data.items.*.sku": {"$in": ["A"]}}`, `{"$or": [{"a": 1}, {"$not": {"b": {"$exists": true}}}]}`,
		`{"data.note": {"$regex": "^In"}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var v webhook.Validation
		flt := Parse(json.RawMessage(raw), webhook.At("filter"), &v)
		if flt == nil {
			return
		}
		flt.Match(doc) // must not panic
	})
}
