package transform

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func input() Request {
	return Request{
		Method: "POST", URL: "https://example.com/hook",
		Headers:   map[string]string{"content-type": "application/json", "X-Team": "blue"},
		Payload:   []byte(`{"id":"evt_1","type":"invoice.paid","data":{"amount":120,"currency":"EUR","items":[{"sku":"a"},{"sku":"b"}]}}`),
		EventType: "invoice.paid", EventID: "evt_1", Tenant: "acme",
	}
}

func run(t *testing.T, src string) (Result, error) {
	t.Helper()
	p, err := Compile(src)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return p.Run(context.Background(), input(), relaxed)
}

// relaxed limits let a script that must succeed do so however busy the
// machine: only the cases about the time limit use the default.
var relaxed = Limits{Timeout: time.Minute}

func TestGoodScripts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		check     func(t *testing.T, r Result)
	}{
		{"identity", `function handler(w) { return w }`, func(t *testing.T, r Result) {
			if string(r.Body) != string(input().Payload) || r.Method != "POST" || r.URL != input().URL {
				t.Errorf("got %s %s %s", r.Method, r.URL, r.Body)
			}
		}},
		{"reshape", `function handler(w) {
			const d = w.payload.data
			w.payload = {text: "Paid " + d.amount + " " + d.currency, skus: d.items.map(i => i.sku), tenant: w.tenant, type: w.event_type}
			return w }`, func(t *testing.T, r Result) {
			want := `{"text":"Paid 120 EUR","skus":["a","b"],"tenant":"acme","type":"invoice.paid"}`
			if string(r.Body) != want {
				t.Errorf("body %s, want %s", r.Body, want)
			}
		}},
		{"string body and headers", `function handler(w) {
			w.payload = "amount=" + w.payload.data.amount
			w.headers["Content-Type"] = "application/x-www-form-urlencoded"
			delete w.headers["content-type"]
			w.headers["X-Count"] = 2
			w.method = "put"
			w.url = "https://crm.example.com/in?x=1"
			return w }`, func(t *testing.T, r Result) {
			if string(r.Body) != "amount=120" || r.Method != "PUT" || r.URL != "https://crm.example.com/in?x=1" {
				t.Errorf("got %s %s %q", r.Method, r.URL, r.Body)
			}
			want := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Team": "blue", "X-Count": "2"}
			if !equalMaps(r.Headers, want) {
				t.Errorf("headers %v, want %v", r.Headers, want)
			}
		}},
		{"a header in another case replaces it", `function handler(w) { w.headers["Content-Type"] = "text/plain"; w.headers["x-team"] = "red"; return w }`, func(t *testing.T, r Result) {
			want := map[string]string{"Content-Type": "text/plain", "x-team": "red"}
			if !equalMaps(r.Headers, want) {
				t.Errorf("headers %v, want %v", r.Headers, want)
			}
		}},
		{"cancel", `function handler(w) { if (w.payload.data.amount > 100) w.cancel = true; return w }`, func(t *testing.T, r Result) {
			if !r.Cancelled {
				t.Error("not cancelled")
			}
		}},
		{"changed in place", `function handler(w) { w.payload = [1, "two", null] }`, func(t *testing.T, r Result) {
			if string(r.Body) != `[1,"two",null]` {
				t.Errorf("body %s", r.Body)
			}
		}},
		{"JSON.stringify as the standard says", `function handler(w) {
			w.payload = JSON.stringify({a: [1, "x\n", null, undefined, () => 1, NaN], b: undefined, d: new Date(0), e: {toJSON() { return "j" }}}, null, 1)
			return w }`, func(t *testing.T, r Result) {
			want := "{\n \"a\": [\n  1,\n  \"x\\n\",\n  null,\n  null,\n  null,\n  null\n ],\n \"d\": \"1970-01-01T00:00:00.000Z\",\n \"e\": \"j\"\n}"
			if string(r.Body) != want {
				t.Errorf("body %q, want %q", r.Body, want)
			}
		}},
		{"guarded built-ins still work", `function handler(w) {
			const a = Array.from({length: 3}, (_, i) => i * 2)
			const parts = "a,b,c".split(",")
			w.payload = {a, j: a.join("-"), r: "ab".repeat(2), p: "7".padStart(3, "0"), s: parts.concat(["d"]),
				f: [[1], [2, [3]]].flat(2), m: Math.max.apply(null, a), x: "aXbX".replaceAll("X", "$&$&"),
				g: "a1b2".match(/\d/g), spread: [...a, ..."hi"], fm: [1, 2].flatMap(x => [x, x])}
			return w }`, func(t *testing.T, r Result) {
			want := `{"a":[0,2,4],"j":"0-2-4","r":"abab","p":"007","s":["a","b","c","d"],"f":[1,2,3],"m":4,"x":"aXXbXX","g":["1","2"],"spread":[0,2,4,"h","i"],"fm":[1,1,2,2]}`
			if string(r.Body) != want {
				t.Errorf("body %s\nwant %s", r.Body, want)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := run(t, tt.src)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			tt.check(t, r)
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestNoStateBetweenRuns: every run starts from a fresh runtime, so
// neither globals nor changed built-ins carry over to the next delivery.
func TestNoStateBetweenRuns(t *testing.T) {
	t.Parallel()
	p, err := Compile(`var n = (globalThis.n || 0) + 1
		function handler(w) { Array.prototype.extra = 1; w.payload = {n: n, seen: typeof [].extra, count: (globalThis.count = (globalThis.count || 0) + 1)}; return w }`)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		r, err := p.Run(context.Background(), input(), relaxed)
		if err != nil {
			t.Fatal(err)
		}
		if string(r.Body) != `{"n":1,"seen":"number","count":1}` {
			t.Fatalf("body %s", r.Body)
		}
	}
}

// TestHostileScripts: each script fails in bounded time (the interrupt,
// the stack cap, the allocation watchdog or a built-in guard stops it)
// and the test process lives on. Which of the interrupt and the watchdog
// comes first depends on the machine, so those cases accept either.
//
// The watchdog counts the process's allocations, so these run one at a
// time (not in parallel with the other tests either): a hostile script's
// allocations would stop a neighbour's run too. The cases a guard must
// catch run with a long time limit, so that only the guard can stop them.
func TestHostileScripts(t *testing.T) {
	tests := []struct {
		name, body string
		kinds      []string
		contains   string
	}{
		{"infinite loop", `while (true) {}`, []string{"timeout"}, ""},
		{"deep recursion", `function f(n) { return f(n + 1) + 1 } f(0)`, []string{"stack"}, ""},
		{"new Array(1e9) then fill", `new Array(1e9).fill(0)`, []string{"runtime"}, "longer than a transform may use"},
		{"Array(1e9).fill(0)", `Array(1e9).fill(0)`, []string{"runtime"}, "longer than a transform may use"},
		{"repeat 1e9", `'x'.repeat(1e9)`, []string{"runtime"}, "repeat would make"},
		{"repeat 2**29", `'x'.repeat(2 ** 29)`, []string{"runtime"}, "repeat would make"},
		{"padEnd", `'x'.padEnd(1e9)`, []string{"runtime"}, "padding would make"},
		{"doubling concatenation", `let s = 'x'; while (true) s += s`, []string{"memory", "timeout"}, ""},
		{"doubling in a template", "let s = 'xy'; for (;;) s = `${s}${s}`", []string{"memory", "timeout"}, ""},
		{"array grown in a loop", `const a = []; for (;;) a.push({k: 'v' + a.length})`, []string{"memory", "timeout"}, ""},
		{"object grown in a loop", `const o = {}; for (let i = 0; ; i++) o['key' + i] = i`, []string{"memory", "timeout"}, ""},
		{"spread of a huge sparse array", `const a = [...Array(1e9)]`, []string{"memory", "timeout"}, ""},
		{"Set of a huge sparse array", `new Set(Array(1e9))`, []string{"memory", "timeout"}, ""},
		{"Array.from array-like", `Array.from({length: 1e9})`, []string{"runtime"}, "longer than a transform may use"},
		{"join amplification", `Array(1e6).join('x'.repeat(1e6))`, []string{"runtime"}, "join would make"},
		{"join of references", `Array(4096).fill('x'.repeat(1 << 19)).join('')`, []string{"runtime"}, "join would make"},
		{"replaceAll amplification", `'x'.repeat(1e6).replaceAll('x', 'y'.repeat(1e6))`, []string{"runtime"}, "replace would make"},
		{"regex replace amplification", `'x'.repeat(5000).replace(/x/g, '$&'.repeat(1000))`, []string{"runtime"}, "replace would make"},
		{"JSON.stringify sparse", `JSON.stringify(Array(1e9))`, []string{"runtime"}, "longer than a transform may use"},
		{"JSON.stringify references", `JSON.stringify(Array(4096).fill('x'.repeat(1 << 19)))`, []string{"runtime"}, "JSON text is longer"},
		{"apply with a huge array-like", `Math.max.apply(null, {length: 1e9})`, []string{"runtime"}, "argument list"},
		{"Reflect.apply", `Reflect.apply(Math.max, null, Array(1e9))`, []string{"runtime"}, "argument list"},
		{"flat of a sparse array", `[Array(1e9)].flat()`, []string{"runtime"}, "flat would visit"},
		{"flatMap returning a sparse array", `[1].flatMap(() => Array(1e9))`, []string{"runtime"}, "longer than a transform may use"},
		{"concat of a spreadable array-like", `[].concat({length: 1e9, [Symbol.isConcatSpreadable]: true})`, []string{"runtime"}, "concat spreads arrays only"},
		{"generic method on an array-like", `Array.prototype.indexOf.call({length: 1e15}, 1)`, []string{"runtime"}, "must be an array"},
		{"length set on an array", `const a = []; a.length = 4e9 - 1; a.includes(1)`, []string{"runtime"}, "longer than a transform may use"},
		{"String.raw", `String.raw({raw: {length: 1e9}})`, []string{"runtime"}, "must be an array"},
		{"ArrayBuffer is gone", `new ArrayBuffer(1e9)`, []string{"runtime"}, "ArrayBuffer is not defined"},
		{"typed arrays are gone", `new Uint8Array(1e9)`, []string{"runtime"}, "Uint8Array is not defined"},
		{"Proxy is gone", `new Proxy([], {})`, []string{"runtime"}, "Proxy is not defined"},
		{"no require", `require('fs')`, []string{"runtime"}, "require is not defined"},
		{"no timers", `setTimeout(() => {}, 1)`, []string{"runtime"}, "setTimeout is not defined"},
		{"catastrophic regexp backtracking", `for (;;) /^(a+)+(?=b)\1$/.test('a'.repeat(40) + 'c')`, []string{"timeout"}, ""},
		{"stop survives catch", `for (;;) { try { while (true) {} } catch (e) {} }`, []string{"timeout"}, ""},
		{"result too large", `w.payload = 'x'.repeat(1 << 20) + 'y'`, []string{"result"}, "longer than"},
		{"deeply nested result", `let o = {}; for (let i = 0; i < 1000; i++) o = {o}; w.payload = o`, []string{"runtime"}, "nested deeper"},
		{"cyclic result", `const o = {}; o.o = o; w.payload = o`, []string{"runtime"}, "circular"},
		{"protected header", `w.headers['Webhook-Signature'] = 'v1,forged'`, []string{"result"}, "cannot be changed by a transform"},
		{"loop marking header", `w.headers['Hookline-Hops'] = '0'`, []string{"result"}, "cannot be changed"},
		{"hop-by-hop header", `w.headers['Transfer-Encoding'] = 'chunked'`, []string{"result"}, "cannot be changed"},
		{"header injection", `w.headers['X-A'] = 'a\r\nX-B: b'`, []string{"result"}, "control characters"},
		{"two spellings of a new header", `w.headers['X-A'] = '1'; w.headers['x-a'] = '2'`, []string{"result"}, "given twice"},
		{"bad method", `w.method = 'GET'`, []string{"result"}, "method must be"},
		{"bad url", `w.url = 'file:///etc/passwd'`, []string{"result"}, "url must start with"},
		{"returns a number", `return 1`, []string{"result"}, "must return the webhook object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Compile("function handler(w) {\n" + tt.body + "\nreturn w }")
			if err != nil {
				t.Fatal(err)
			}
			lim := Limits{}
			if !slices.Contains(tt.kinds, "timeout") {
				lim.Timeout = time.Minute
			}
			_, err = p.Run(context.Background(), input(), lim)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want a transform error", err)
			}
			if !slices.Contains(tt.kinds, e.Kind) || !strings.Contains(e.Message, tt.contains) {
				t.Fatalf("err = %s: %v, want kind %v containing %q", e.Kind, e, tt.kinds, tt.contains)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, kind, contains string
		line                      int
	}{
		{"syntax", "function handler(w) {\n  return w +\n}", "syntax", "SyntaxError", 3},
		{"no handler", "function other(w) { return w }", "handler", "must define function handler", 0},
		{"handler not a function", "var handler = 1", "handler", "must define function handler", 0},
		{"top level throws", "\nthrow new Error('boom')", "runtime", "boom", 2},
		{"top level loops", "for (;;) {}", "timeout", "", 0},
		{"empty", "  ", "syntax", "is empty", 0},
		{"too long", "//" + strings.Repeat("x", MaxSource), "syntax", "at most", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(tt.src)
			var e *Error
			if !errors.As(err, &e) || e.Kind != tt.kind || !strings.Contains(e.Message, tt.contains) || e.Line != tt.line {
				t.Fatalf("err = %#v, want kind %s containing %q at line %d", err, tt.kind, tt.contains, tt.line)
			}
		})
	}
}

func TestPayloadIsValidJSON(t *testing.T) {
	t.Parallel()
	r, err := run(t, `function handler(w) { w.payload = {s: "\u2028<&>\"\\", n: -0, big: 1e21, f: 0.1, u: "\ud83d\ude00"}; return w }`)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("%s: %v", r.Body, err)
	}
	if v["s"] != "\u2028<&>\"\\" || v["u"] != "😀" || v["f"] != 0.1 {
		t.Errorf("decoded %v from %s", v, r.Body)
	}
}

// BenchmarkTransform is the cost a transform adds to one delivery: a
// fresh sandbox, the handler run on a small payment and the result read
// back (the program is compiled once, as the delivery path caches it).
// cpu-ns/op is the process's CPU time per run, GC included.
func BenchmarkTransform(b *testing.B) {
	p, err := Compile(`function handler(w) {
		const d = w.payload.data
		w.payload = {text: "Paid " + d.amount + " " + d.currency, skus: d.items.map(i => i.sku)}
		w.headers["X-Source"] = "hookline"
		return w }`)
	if err != nil {
		b.Fatal(err)
	}
	in := input()
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if _, err := p.Run(context.Background(), in, relaxed); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}
