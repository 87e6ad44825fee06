package transform

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// encoder writes a JavaScript value as JSON, as JSON.stringify does, but
// reading each property once, bounded in size, depth and array length,
// and checking the stop flag as it goes: goja's own stringify runs to an
// array's length in one native call.
type encoder struct {
	s        *sandbox
	b        []byte
	max      int
	indent   string
	replacer goja.Callable
	allow    map[string]bool
	stack    []*goja.Object
	nodes    int
}

const maxDepth = 128

func (s *sandbox) newEncoder(max int) *encoder { return &encoder{s: s, max: max} }

// stringify replaces JSON.stringify.
func (s *sandbox) stringify(call goja.FunctionCall) goja.Value {
	s.check()
	e := s.newEncoder(s.lim.MaxOutput)
	if fn, ok := goja.AssertFunction(call.Argument(1)); ok {
		e.replacer = fn
	} else if o, ok := call.Argument(1).(*goja.Object); ok && o.ClassName() == "Array" {
		s.checkLen(o)
		e.allow = map[string]bool{}
		n := lenOf(o)
		for i := int64(0); i < n; i++ {
			if v := o.Get(strconv.FormatInt(i, 10)); v != nil && !goja.IsUndefined(v) {
				e.allow[v.String()] = true
			}
		}
	}
	switch sp := call.Argument(2).(type) {
	case nil:
	default:
		if o, ok := sp.(*goja.Object); ok {
			switch o.ClassName() {
			case "Number":
				sp = o.ToNumber()
			case "String":
				sp = o.ToString()
			}
		}
		if goja.IsNumber(sp) {
			e.indent = strings.Repeat(" ", int(min(max(sp.ToInteger(), 0), 10)))
		} else if goja.IsString(sp) {
			e.indent = sp.String()
			if len(e.indent) > 10 {
				e.indent = e.indent[:10]
			}
		}
	}
	holder := s.r.NewObject()
	_ = holder.Set("", call.Argument(0))
	if !e.value(holder, "", call.Argument(0), 0) {
		return goja.Undefined()
	}
	return s.r.ToValue(string(e.b))
}

// value writes v (the property key of holder) and reports whether it
// wrote anything (undefined, functions and symbols are skipped).
func (e *encoder) value(holder *goja.Object, key string, v goja.Value, depth int) bool {
	e.nodes++
	if e.nodes&1023 == 0 {
		e.s.check()
	}
	if o, ok := v.(*goja.Object); ok {
		if tj, ok := goja.AssertFunction(o.Get("toJSON")); ok {
			var err error
			if v, err = tj(o, e.s.r.ToValue(key)); err != nil {
				panic(err)
			}
		}
	}
	if e.replacer != nil {
		var err error
		if v, err = e.replacer(holder, e.s.r.ToValue(key), v); err != nil {
			panic(err)
		}
	}
	if o, ok := v.(*goja.Object); ok {
		switch o.ClassName() {
		case "Number":
			v = o.ToNumber()
		case "String":
			v = o.ToString()
		case "Boolean":
			v = e.s.r.ToValue(o.ToBoolean())
		}
	}
	switch {
	case v == nil || goja.IsUndefined(v):
		return false
	case goja.IsNull(v):
		e.b = append(e.b, "null"...)
	case goja.IsBigInt(v):
		panic(e.s.r.NewTypeError("BigInt value can't be serialized in JSON"))
	case goja.IsString(v):
		e.b = appendQuoted(e.b, v.String())
	case goja.IsNumber(v):
		f := v.ToFloat()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			e.b = append(e.b, "null"...)
		} else {
			e.b = append(e.b, v.String()...)
		}
	default:
		o, ok := v.(*goja.Object)
		if !ok {
			if b, isBool := v.Export().(bool); isBool {
				e.b = strconv.AppendBool(e.b, b)
				break
			}
			return false // a symbol
		}
		if _, fn := goja.AssertFunction(o); fn {
			return false
		}
		if depth >= maxDepth {
			e.s.throwRange("the value is nested deeper than %d levels", maxDepth)
		}
		for _, seen := range e.stack {
			if seen.SameAs(o) {
				panic(e.s.r.NewTypeError("Converting circular structure to JSON"))
			}
		}
		e.stack = append(e.stack, o)
		if o.ClassName() == "Array" {
			e.array(o, depth)
		} else {
			e.object(o, depth)
		}
		e.stack = e.stack[:len(e.stack)-1]
	}
	if len(e.b) > e.max {
		e.s.throwRange("the JSON text is longer than a transform may make (%d bytes)", e.max)
	}
	return true
}

func (e *encoder) newline(depth int) {
	if e.indent == "" {
		return
	}
	e.b = append(e.b, '\n')
	for range depth {
		e.b = append(e.b, e.indent...)
	}
}

func (e *encoder) array(o *goja.Object, depth int) {
	e.s.checkLen(o)
	n := lenOf(o)
	e.b = append(e.b, '[')
	for i := int64(0); i < n; i++ {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.newline(depth + 1)
		k := strconv.FormatInt(i, 10)
		if !e.value(o, k, o.Get(k), depth+1) {
			e.b = append(e.b, "null"...)
		}
	}
	if n > 0 {
		e.newline(depth)
	}
	e.b = append(e.b, ']')
}

func (e *encoder) object(o *goja.Object, depth int) {
	e.b = append(e.b, '{')
	first := true
	for _, k := range o.Keys() {
		if e.allow != nil && !e.allow[k] {
			continue
		}
		mark := len(e.b)
		if !first {
			e.b = append(e.b, ',')
		}
		e.newline(depth + 1)
		e.b = appendQuoted(e.b, k)
		e.b = append(e.b, ':')
		if e.indent != "" {
			e.b = append(e.b, ' ')
		}
		if !e.value(o, k, o.Get(k), depth+1) {
			e.b = e.b[:mark]
			continue
		}
		first = false
	}
	if !first {
		e.newline(depth)
	}
	e.b = append(e.b, '}')
}

// appendQuoted writes s as a JSON string, escaping as JSON.stringify does
// (no HTML escaping).
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			b = utf8.AppendRune(b, r)
			i += size
			continue
		}
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		default:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		}
		i++
	}
	return append(b, '"')
}
