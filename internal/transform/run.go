package transform

import (
	"fmt"
	"strings"

	"github.com/dop251/goja"
	"golang.org/x/net/http/httpguts"
)

// maxHeaders bounds the headers a transform may return.
const maxHeaders = 64

// fail ends a run with a problem in what the handler returned.
func fail(format string, args ...any) {
	panic(&Error{Kind: "result", Message: fmt.Sprintf(format, args...)})
}

// load runs the script's top level and returns its handler.
func (s *sandbox) load(p *Program) goja.Callable {
	if _, err := s.r.RunProgram(p.prog); err != nil {
		panic(err)
	}
	h, ok := goja.AssertFunction(s.r.GlobalObject().Get("handler"))
	if !ok {
		panic(&Error{Kind: "handler", Message: "the script must define function handler(webhook)"})
	}
	return h
}

// request makes the handler's argument.
func (s *sandbox) request(in Request) *goja.Object {
	r := s.r
	o := r.NewObject()
	_ = o.Set("method", in.Method)
	_ = o.Set("url", in.URL)
	h := r.NewObject()
	for k, v := range in.Headers {
		_ = h.Set(k, v)
	}
	_ = o.Set("headers", h)
	payload, err := s.parse(goja.Undefined(), r.ToValue(string(in.Payload)))
	if err != nil {
		panic(err)
	}
	_ = o.Set("payload", payload)
	_ = o.Set("event_type", in.EventType)
	_ = o.Set("event_id", in.EventID)
	_ = o.Set("tenant", in.Tenant)
	_ = o.Set("cancel", false)
	return o
}

// result reads what the handler returned: the webhook object (or
// nothing, when it changed its argument in place).
func (s *sandbox) result(in Request, out goja.Value, arg *goja.Object) Result {
	if out == nil || goja.IsUndefined(out) {
		out = arg
	}
	o, ok := out.(*goja.Object)
	if !ok || o.ClassName() == "Array" {
		fail("handler must return the webhook object (got %s)", clip(out.String(), 40))
	}
	res := Result{Method: in.Method, URL: in.URL}
	if c := o.Get("cancel"); c != nil && c.ToBoolean() {
		res.Cancelled = true
		return res
	}
	if m := o.Get("method"); m != nil && !goja.IsUndefined(m) {
		method := strings.ToUpper(m.String())
		if !methods[method] {
			fail("method must be POST, PUT or PATCH")
		}
		res.Method = method
	}
	if u := o.Get("url"); u != nil && !goja.IsUndefined(u) {
		if u.String() != in.URL {
			if msg := checkURL(u.String()); msg != "" {
				fail("%s", msg)
			}
		}
		res.URL = u.String()
	}
	res.Headers = s.headers(in, o.Get("headers"))
	p := o.Get("payload")
	switch {
	case p == nil || goja.IsUndefined(p):
		fail("payload is undefined (return the webhook object with a payload, or set cancel)")
	case goja.IsString(p):
		str := p.String()
		if len(str) > s.lim.MaxOutput {
			fail("payload is longer than %d bytes", s.lim.MaxOutput)
		}
		res.Body = []byte(str)
	default:
		e := s.newEncoder(s.lim.MaxOutput)
		holder := s.r.NewObject()
		_ = holder.Set("", p)
		if !e.value(holder, "", p, 0) {
			fail("payload cannot be sent as JSON (a function or symbol)")
		}
		res.Body = e.b
	}
	return res
}

// headers reads the returned headers: names are case-insensitive, values
// strings (numbers and booleans are written as text), and the protected
// names keep Hookline's values.
func (s *sandbox) headers(in Request, v goja.Value) map[string]string {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return in.Headers
	}
	o, ok := v.(*goja.Object)
	if !ok {
		fail("headers must be an object of names and values")
	}
	keys := o.Keys()
	if len(keys) > maxHeaders {
		fail("at most %d headers", maxHeaders)
	}
	out := make(map[string]string, len(keys))
	seen := make(map[string]string, len(keys))
	for _, k := range keys {
		val := o.Get(k)
		if val == nil || goja.IsUndefined(val) || goja.IsNull(val) {
			continue // a header removed
		}
		if msg := headerProblem(k, val); msg != "" {
			fail("header %q %s", k, msg)
		}
		lower := strings.ToLower(k)
		if prev, dup := seen[lower]; dup {
			// Names are case-insensitive: a name written in another case
			// replaces the header it came in as ("content-type" set as
			// "Content-Type"); two new spellings are ambiguous.
			switch {
			case unchanged(in, prev, out[prev]):
				delete(out, prev)
			case unchanged(in, k, val.String()):
				continue
			default:
				fail("header %q is given twice (names are case-insensitive)", k)
			}
		}
		seen[lower] = k
		out[k] = val.String()
	}
	return out
}

// unchanged reports whether header name came in with value.
func unchanged(in Request, name, value string) bool {
	v, ok := in.Headers[name]
	return ok && v == value
}

func headerProblem(name string, v goja.Value) string {
	if !goja.IsString(v) && !goja.IsNumber(v) {
		if _, isBool := v.Export().(bool); !isBool {
			return "must have a string value"
		}
	}
	if name == "" || len(name) > 256 || !httpguts.ValidHeaderFieldName(name) {
		return "is not a valid header name"
	}
	if Protected(name) {
		return "is set by Hookline and cannot be changed by a transform"
	}
	value := v.String()
	if len(value) > 4096 {
		return "value must be at most 4096 bytes"
	}
	for _, c := range value {
		if c < ' ' && c != '\t' || c == 0x7f {
			return "value must not contain control characters"
		}
	}
	return ""
}
