package webhook

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2030, time.March, 14, 9, 26, 53, 589793238, time.UTC)

func bodyEvent() Event {
	return Event{
		ID: "evt_01hq3z5v9k8m7n6p5q4r3s2t1v", Tenant: DefaultTenant, Type: "invoice.paid",
		Data: json.RawMessage(`{"invoice":"in_1","amount":1200}`), CreatedAt: t0,
	}
}

func TestBodyEnvelopeKeepsDataBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
	}{
		{name: "compact", data: `{"a":1}`},
		{name: "empty object", data: `{}`},
		{name: "odd whitespace", data: "{ \"b\" :\t1 ,\r\n  \"a\" : [ 1 , 2 ] }"},
		{name: "leading and trailing whitespace", data: " \n\t{\"a\":1}\n"},
		{name: "keys not sorted", data: `{"z":1,"a":2,"m":{"y":true,"b":null}}`},
		{name: "duplicate keys", data: `{"a":1,"a":2}`},
		{name: "unicode escapes", data: `{"s":"caf\u00e9 \ud83d\ude00 \u003cb\u003e \"q\" \\ \/"}`},
		{name: "raw utf-8", data: `{"s":"café 😀 <b>&</b>"}`},
		{name: "numbers beyond float64", data: `{"n":123456789012345678901234567890,"f":1.000000000000000000001,"e":1E+400}`},
		{name: "nested", data: `{"a":{"b":{"c":[{"d":[]}]}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := bodyEvent()
			ev.Data = json.RawMessage(tt.data)
			got := Body(FormatEnvelope, ev)
			want := `{"id":"evt_01hq3z5v9k8m7n6p5q4r3s2t1v","type":"invoice.paid",` +
				`"timestamp":"2030-03-14T09:26:53.589793238Z","data":` + tt.data + `}`
			if string(got) != want {
				t.Errorf("Body =\n%s\nwant\n%s", got, want)
			}
			if !json.Valid(got) {
				t.Fatalf("Body is not valid JSON: %s", got)
			}
			var env struct {
				ID        string          `json:"id"`
				Type      string          `json:"type"`
				Timestamp time.Time       `json:"timestamp"`
				Data      json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(got, &env); err != nil {
				t.Fatal(err)
			}
			if env.ID != ev.ID || env.Type != ev.Type || !env.Timestamp.Equal(t0) {
				t.Errorf("envelope = %+v", env)
			}
			// The decoder drops the whitespace around a value, nothing else.
			if want := bytes.TrimSpace([]byte(tt.data)); !bytes.Equal(env.Data, want) {
				t.Errorf("data = %s, want %s", env.Data, want)
			}
			if string(ev.Data) != tt.data {
				t.Errorf("Body modified the event's data: %s", ev.Data)
			}
		})
	}
}

func TestBodyEnvelopeFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		id, typ       string
		created       time.Time
		wantPrefix    string
		wantTimestamp string
	}{
		{
			name: "utc with nanoseconds", id: "evt_1", typ: "a.b", created: t0,
			wantPrefix: `{"id":"evt_1","type":"a.b",`, wantTimestamp: "2030-03-14T09:26:53.589793238Z",
		},
		{
			name: "other zone becomes utc", id: "evt_1", typ: "a.b",
			created:    time.Date(2030, 3, 14, 11, 26, 53, 0, time.FixedZone("CEST", 2*3600)),
			wantPrefix: `{"id":"evt_1","type":"a.b",`, wantTimestamp: "2030-03-14T09:26:53Z",
		},
		{
			name: "trailing zeros trimmed", id: "evt_1", typ: "a.b", created: time.Date(2030, 3, 14, 9, 26, 53, 500000000, time.UTC),
			wantPrefix: `{"id":"evt_1","type":"a.b",`, wantTimestamp: "2030-03-14T09:26:53.5Z",
		},
		{
			// Not produced by Hookline, but the body must stay valid JSON.
			name: "characters needing escapes", id: `evt_"\` + "\n", typ: `x</script>`, created: t0,
			wantTimestamp: "2030-03-14T09:26:53.589793238Z",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := Event{ID: tt.id, Type: tt.typ, Data: json.RawMessage(`{}`), CreatedAt: tt.created}
			got := Body(FormatEnvelope, ev)
			if !strings.HasPrefix(string(got), tt.wantPrefix) {
				t.Errorf("Body = %s, want prefix %s", got, tt.wantPrefix)
			}
			if !strings.Contains(string(got), `"timestamp":"`+tt.wantTimestamp+`"`) {
				t.Errorf("Body = %s, want timestamp %s", got, tt.wantTimestamp)
			}
			var env map[string]any
			if err := json.Unmarshal(got, &env); err != nil {
				t.Fatalf("Body is not valid JSON: %v: %s", err, got)
			}
			if env["id"] != tt.id || env["type"] != tt.typ {
				t.Errorf("id/type = %q/%q, want %q/%q", env["id"], env["type"], tt.id, tt.typ)
			}
		})
	}
}

func TestBodyRawIsDataVerbatim(t *testing.T) {
	t.Parallel()
	for _, data := range []string{`{"a":1}`, " {\n\"z\" : \"\\u00e9\" , \"a\":[]}\n", `{}`} {
		ev := bodyEvent()
		ev.Data = json.RawMessage(data)
		if got := Body(FormatRaw, ev); string(got) != data {
			t.Errorf("Body(raw) = %q, want %q", got, data)
		}
	}
}

// The zero Format is the envelope: only "raw" sends data alone.
func TestBodyUnknownFormatIsEnvelope(t *testing.T) {
	t.Parallel()
	ev := bodyEvent()
	for _, f := range []Format{"", FormatEnvelope} {
		if got := Body(f, ev); !bytes.HasPrefix(got, []byte(`{"id":`)) {
			t.Errorf("Body(%q) = %s, want the envelope", f, got)
		}
	}
}
