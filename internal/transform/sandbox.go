package transform

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dlclark/regexp2"
	"github.com/dop251/goja"
)

// maxLen bounds the length of an array a guarded built-in works on: the
// native loops of goja's Array methods run to an array's length (a
// sparse array of a billion holes costs nothing to make) and cannot be
// interrupted once started.
const maxLen = 1 << 20

// goja compiles the regular expressions RE2 cannot run (backreferences,
// lookaround) with regexp2, whose backtracking a crafted pattern makes
// exponential, inside one native call. Its default match timeout is
// "never"; a bounded one turns such a match into no match. This is
// process-wide, and goja is regexp2's only user here.
func init() { regexp2.DefaultMatchTimeout = 100 * time.Millisecond }

// removed are globals a transform does not need and that would each need
// a guard: buffers and typed arrays allocate their whole size at once,
// Proxy lets a length answer differently on each read, and weak
// references make a run depend on the garbage collector.
var removed = []string{
	"ArrayBuffer", "SharedArrayBuffer", "DataView", "Atomics", "Proxy", "WeakRef", "FinalizationRegistry",
	"Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
	"Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
}

// sandbox is one run's runtime and its bounds. It is used once.
type sandbox struct {
	r       *goja.Runtime
	lim     Limits
	stopped atomic.Bool
	mu      sync.Mutex
	reason  *Error
	// parse and rangeError are the built-ins as they were before the
	// script ran (it may replace the globals).
	parse      goja.Callable
	rangeError goja.Value
}

func newSandbox(lim Limits) *sandbox {
	r := goja.New()
	r.SetMaxCallStackSize(lim.Stack)
	s := &sandbox{r: r, lim: lim}
	g := r.GlobalObject()
	for _, name := range removed {
		_ = g.Delete(name)
	}
	s.rangeError = g.Get("RangeError")
	s.parse, _ = goja.AssertFunction(g.Get("JSON").ToObject(r).Get("parse"))
	s.guard()
	return s
}

// stop ends the run: the interrupt stops JavaScript at its next
// instruction, and the flag makes the next guarded built-in throw, so
// native loops that call back through one stop too.
func (s *sandbox) stop(kind, msg string) {
	s.mu.Lock()
	if s.reason == nil {
		s.reason = &Error{Kind: kind, Message: msg}
	}
	s.mu.Unlock()
	s.stopped.Store(true)
	s.r.Interrupt(kind)
}

func (s *sandbox) close() { s.stopped.Store(true) }

// do runs fn under the run's time limit and allocation watchdog, and
// turns whatever stops it into an *Error.
func (s *sandbox) do(fn func()) (err error) {
	timer := time.AfterFunc(s.lim.Timeout, func() {
		s.stop("timeout", fmt.Sprintf("the transform ran longer than %s", s.lim.Timeout))
	})
	defer timer.Stop()
	unwatch := watch(s)
	defer unwatch()
	defer func() {
		if x := recover(); x != nil {
			err = s.failure(x)
		}
	}()
	fn()
	return nil
}

// failure names what stopped a run.
func (s *sandbox) failure(x any) *Error {
	s.mu.Lock()
	reason := s.reason
	s.mu.Unlock()
	var ie *goja.InterruptedError
	var so *goja.StackOverflowError
	var ex *goja.Exception
	var te *Error
	err, _ := x.(error)
	switch {
	case reason != nil:
		// An exception thrown by a guard after the stop is the stop.
		return reason
	case errors.As(err, &te):
		return te
	case errors.As(err, &ie):
		return &Error{Kind: "timeout", Message: "the transform was interrupted"}
	case errors.As(err, &so):
		return &Error{Kind: "stack", Message: fmt.Sprintf("the call stack is deeper than %d calls", s.lim.Stack)}
	case err == nil:
		if v, ok := x.(goja.Value); ok {
			// Thrown by the Go side (reading the result), outside any
			// JavaScript frame.
			return &Error{Kind: "runtime", Message: clip(v.String(), 500)}
		}
	case errors.As(err, &ex):
		e := &Error{Kind: "runtime", Message: clip(ex.Value().String(), 500)}
		for _, f := range ex.Stack() {
			if p := f.Position(); p.Line > 0 {
				e.Line, e.Column = p.Line, p.Column
				break
			}
		}
		return e
	}
	// A panic inside the engine itself: the run fails, the server does
	// not. Its text is not shown, as it may describe the server.
	return &Error{Kind: "runtime", Message: "the transform engine failed on this script"}
}

func clip(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}

// throwRange throws a RangeError in the script.
func (s *sandbox) throwRange(format string, args ...any) {
	obj, err := s.r.New(s.rangeError, s.r.ToValue(fmt.Sprintf(format, args...)))
	if err != nil {
		panic(s.r.NewTypeError(fmt.Sprintf(format, args...)))
	}
	panic(obj)
}

// check throws if the run was stopped, and counts the steps of native
// loops that call back into guarded built-ins.
func (s *sandbox) check() {
	if s.stopped.Load() {
		panic(s.r.NewTypeError("the transform was stopped"))
	}
}

// checkArray requires v to be an array no longer than maxLen, or a
// primitive (which an Array method reads as a string or as empty).
func (s *sandbox) checkArray(v goja.Value, what string) {
	obj, ok := v.(*goja.Object)
	if !ok {
		return
	}
	if obj.ClassName() != "Array" {
		panic(s.r.NewTypeError(what + " must be an array in a transform (convert with Array.from first)"))
	}
	s.checkLen(obj)
}

func (s *sandbox) checkLen(obj *goja.Object) {
	if n := lenOf(obj); n > maxLen {
		s.throwRange("an array of %d elements is longer than a transform may use (%d)", n, maxLen)
	}
}

// lenOf is obj's length property as an integer (0 when it has none).
func lenOf(obj *goja.Object) int64 {
	v := obj.Get("length")
	if v == nil {
		return 0
	}
	return v.ToInteger()
}

func truthy(v goja.Value) bool { return v != nil && v.ToBoolean() }

func orUndefined(v goja.Value) goja.Value {
	if v == nil {
		return goja.Undefined()
	}
	return v
}

// wrap replaces obj's method name with guard followed by the original.
func (s *sandbox) wrap(obj *goja.Object, name string, guard func(goja.FunctionCall) goja.FunctionCall) {
	orig, ok := goja.AssertFunction(obj.Get(name))
	if !ok {
		return
	}
	_ = obj.DefineDataProperty(name, s.r.ToValue(func(call goja.FunctionCall) goja.Value {
		s.check()
		if guard != nil {
			call = guard(call)
		}
		v, err := orig(call.This, call.Arguments...)
		if err != nil {
			panic(err)
		}
		return v
	}), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

func (s *sandbox) wrapSymbol(obj *goja.Object, sym *goja.Symbol, guard func(goja.FunctionCall) goja.FunctionCall) {
	orig, ok := goja.AssertFunction(obj.GetSymbol(sym))
	if !ok {
		return
	}
	_ = obj.DefineDataPropertySymbol(sym, s.r.ToValue(func(call goja.FunctionCall) goja.Value {
		s.check()
		call = guard(call)
		v, err := orig(call.This, call.Arguments...)
		if err != nil {
			panic(err)
		}
		return v
	}), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// guard installs the built-in guards. Each one bounds a native call that
// an interrupt cannot stop: by the length of the arrays it loops over, by
// the size of the string it makes, or by calling back into a guard
// (iterator steps) where the stop flag is checked.
func (s *sandbox) guard() {
	r := s.r
	g := r.GlobalObject()
	array := g.Get("Array").ToObject(r)
	ap := array.Get("prototype").ToObject(r)
	for _, name := range ap.GetOwnPropertyNames() {
		switch name {
		case "constructor", "length":
			continue
		case "join":
			_ = ap.DefineDataProperty(name, r.ToValue(s.join), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
			continue
		}
		name := name
		s.wrap(ap, name, func(call goja.FunctionCall) goja.FunctionCall {
			s.checkArray(call.This, "this of Array.prototype."+name)
			for _, a := range call.Arguments {
				if o, ok := a.(*goja.Object); ok && o.ClassName() == "Array" {
					s.checkLen(o)
				}
			}
			switch name {
			case "concat":
				for _, a := range call.Arguments {
					if o, ok := a.(*goja.Object); ok && o.ClassName() != "Array" &&
						truthy(o.GetSymbol(goja.SymIsConcatSpreadable)) {
						panic(r.NewTypeError("concat spreads arrays only in a transform"))
					}
				}
			case "flat":
				if o, ok := call.This.(*goja.Object); ok {
					s.checkNested(o, call.Argument(0))
				}
			case "flatMap":
				if fn, ok := goja.AssertFunction(call.Argument(0)); ok {
					call.Arguments[0] = r.ToValue(func(c goja.FunctionCall) goja.Value {
						v, err := fn(c.This, c.Arguments...)
						if err != nil {
							panic(err)
						}
						if o, ok := v.(*goja.Object); ok && o.ClassName() == "Array" {
							s.checkLen(o)
						}
						return v
					})
				}
			}
			return call
		})
	}
	_ = array.DefineDataProperty("from", r.ToValue(s.arrayFrom(array.Get("from"))), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)

	// Calls that spread an array-like into arguments read its length once
	// and copy that many elements in one native loop.
	listArg := func(i int) func(goja.FunctionCall) goja.FunctionCall {
		return func(call goja.FunctionCall) goja.FunctionCall {
			if i < len(call.Arguments) {
				call.Arguments[i] = s.list(call.Arguments[i])
			}
			return call
		}
	}
	fp := g.Get("Function").ToObject(r).Get("prototype").ToObject(r)
	s.wrap(fp, "apply", listArg(1))
	reflect := g.Get("Reflect").ToObject(r)
	s.wrap(reflect, "apply", listArg(2))
	s.wrap(reflect, "construct", listArg(1))

	str := g.Get("String").ToObject(r)
	sp := str.Get("prototype").ToObject(r)
	s.wrap(sp, "repeat", func(call goja.FunctionCall) goja.FunctionCall {
		n := call.Argument(0).ToFloat()
		if l := float64(len(call.This.String())); l*n > float64(s.lim.MaxOutput) {
			s.throwRange("repeat would make a string longer than a transform may (%d bytes)", s.lim.MaxOutput)
		}
		return call
	})
	pad := func(call goja.FunctionCall) goja.FunctionCall {
		if call.Argument(0).ToFloat() > float64(s.lim.MaxOutput) {
			s.throwRange("padding would make a string longer than a transform may (%d bytes)", s.lim.MaxOutput)
		}
		return call
	}
	s.wrap(sp, "padStart", pad)
	s.wrap(sp, "padEnd", pad)
	s.wrap(sp, "replace", s.replaceGuard(0))
	s.wrap(sp, "replaceAll", s.replaceGuard(0))
	s.wrap(sp, "split", s.splitGuard(1))
	s.wrap(sp, "match", s.matchGuard)
	s.wrap(str, "raw", func(call goja.FunctionCall) goja.FunctionCall {
		if o, ok := call.Argument(0).(*goja.Object); ok {
			s.checkArray(o.Get("raw"), "String.raw's raw strings")
		}
		return call
	})
	rp := g.Get("RegExp").ToObject(r).Get("prototype").ToObject(r)
	s.wrapSymbol(rp, goja.SymReplace, s.replaceGuard(-1))
	s.wrapSymbol(rp, goja.SymSplit, s.splitGuard(1))
	s.wrapSymbol(rp, goja.SymMatch, s.matchGuard)

	// Iterator steps: spreading ([...a], f(...a), new Set(a)) runs the
	// whole iteration inside one instruction, so its steps check the stop
	// flag themselves.
	for _, src := range []goja.Value{r.NewArray(), r.ToValue("")} {
		iterFn, _ := goja.AssertFunction(src.ToObject(r).GetSymbol(goja.SymIterator))
		it, _ := iterFn(src)
		s.wrap(it.ToObject(r).Prototype(), "next", nil)
	}
	json := g.Get("JSON").ToObject(r)
	_ = json.DefineDataProperty("stringify", r.ToValue(s.stringify), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// list copies an array-like argument list into a fresh array, reading
// its length once.
func (s *sandbox) list(v goja.Value) goja.Value {
	obj, ok := v.(*goja.Object)
	if !ok {
		return v
	}
	n := lenOf(obj)
	if n > maxLen {
		s.throwRange("an argument list of %d elements is longer than a transform may use (%d)", n, maxLen)
	}
	vals := make([]any, max(n, 0))
	for i := range vals {
		vals[i] = orUndefined(obj.Get(fmt.Sprint(i)))
	}
	return s.r.NewArray(vals...)
}

// checkNested bounds what flat(depth) visits: every array it would open.
func (s *sandbox) checkNested(arr *goja.Object, depthArg goja.Value) {
	depth := 1.0
	if !goja.IsUndefined(depthArg) {
		depth = depthArg.ToFloat()
	}
	total := int64(0)
	var walk func(o *goja.Object, d float64, level int)
	walk = func(o *goja.Object, d float64, level int) {
		if level > 64 {
			s.throwRange("flat goes deeper than a transform may (64 levels)")
		}
		n := lenOf(o)
		total += n
		if total > maxLen {
			s.throwRange("flat would visit more than %d elements", maxLen)
		}
		if d < 1 {
			return
		}
		for i := int64(0); i < n; i++ {
			if e, ok := o.Get(fmt.Sprint(i)).(*goja.Object); ok && e.ClassName() == "Array" {
				walk(e, d-1, level+1)
			}
		}
	}
	walk(arr, depth, 0)
}

// join is Array.prototype.join with the result's size bounded as it
// grows: elements may all be one long string.
func (s *sandbox) join(call goja.FunctionCall) goja.Value {
	s.check()
	s.checkArray(call.This, "this of Array.prototype.join")
	obj := call.This.ToObject(s.r)
	sep := ","
	if a := call.Argument(0); !goja.IsUndefined(a) {
		sep = a.String()
	}
	n := lenOf(obj)
	var b strings.Builder
	for i := int64(0); i < n; i++ {
		if i > 0 {
			b.WriteString(sep)
		}
		if e := obj.Get(fmt.Sprint(i)); e != nil && !goja.IsUndefined(e) && !goja.IsNull(e) {
			if eo, ok := e.(*goja.Object); ok && eo.SameAs(obj) {
				continue // a cycle joins as empty, as engines do
			}
			b.WriteString(e.String())
		}
		if b.Len() > s.lim.MaxOutput {
			s.throwRange("join would make a string longer than a transform may (%d bytes)", s.lim.MaxOutput)
		}
		if i&1023 == 0 {
			s.check()
		}
	}
	return s.r.ToValue(b.String())
}

// arrayFrom is Array.from with its array-like path (an object with a
// length and no iterator) done here, reading the length once; iterables
// go to the original, whose steps are guarded.
func (s *sandbox) arrayFrom(orig goja.Value) func(goja.FunctionCall) goja.Value {
	from, _ := goja.AssertFunction(orig)
	return func(call goja.FunctionCall) goja.Value {
		s.check()
		items, ok := call.Argument(0).(*goja.Object)
		if !ok || items.GetSymbol(goja.SymIterator) != nil && !goja.IsUndefined(items.GetSymbol(goja.SymIterator)) {
			v, err := from(call.This, call.Arguments...)
			if err != nil {
				panic(err)
			}
			return v
		}
		n := lenOf(items)
		if n > maxLen {
			s.throwRange("an array of %d elements is longer than a transform may use (%d)", n, maxLen)
		}
		mapFn, hasMap := goja.AssertFunction(call.Argument(1))
		if !hasMap && !goja.IsUndefined(call.Argument(1)) {
			panic(s.r.NewTypeError("Array.from: the map function is not a function"))
		}
		vals := make([]any, max(n, 0))
		for i := range vals {
			v := items.Get(fmt.Sprint(i))
			if v == nil {
				v = goja.Undefined()
			}
			if hasMap {
				var err error
				if v, err = mapFn(call.Argument(2), v, s.r.ToValue(i)); err != nil {
					panic(err)
				}
			}
			vals[i] = v
		}
		return s.r.NewArray(vals...)
	}
}

// replaceGuard bounds replace and replaceAll with a string replacement:
// each match may add the replacement, and its $ patterns copy parts of
// the subject, so a short call can make a huge string in one native
// step. When a cheap upper bound passes the output limit, the call is run
// first with a callback that adds up the exact size. A callback's own
// results are strings that already exist. subject is the argument index
// of the string, -1 for this.
func (s *sandbox) replaceGuard(subject int) func(goja.FunctionCall) goja.FunctionCall {
	return func(call goja.FunctionCall) goja.FunctionCall {
		str, repl := call.This, call.Argument(1)
		if subject < 0 {
			str = call.Argument(0)
		}
		if _, fn := goja.AssertFunction(repl); fn {
			return call
		}
		sl, rs := float64(len(str.String())), repl.String()
		perMatch := float64(len(rs)) + float64(strings.Count(rs, "$"))*sl
		if sl+(sl+1)*perMatch > float64(s.lim.MaxOutput) {
			if size := s.replaceSize(call, subject, rs); size > float64(s.lim.MaxOutput) {
				s.throwRange("replace would make a string longer than a transform may (%d bytes)", s.lim.MaxOutput)
			}
		}
		return call
	}
}

// replaceSize is the length of what a replace call would return: the
// same call made with a callback that leaves the subject unchanged and
// adds up what each match's replacement would have added.
func (s *sandbox) replaceSize(call goja.FunctionCall, subject int, rs string) float64 {
	var subj string
	if subject < 0 {
		subj = call.Argument(0).String()
	} else {
		subj = call.This.String()
	}
	size := float64(len(subj))
	counter := s.r.ToValue(func(c goja.FunctionCall) goja.Value {
		args := c.Arguments
		match := c.Argument(0).String()
		// The arguments: match, the groups, offset, subject[, groups].
		n := len(args)
		if n > 0 {
			if o, ok := args[n-1].(*goja.Object); ok && !goja.IsString(args[n-1]) && o.ClassName() == "Object" {
				n--
			}
		}
		groups := args[1:max(n-2, 1)]
		offset := float64(0)
		if n >= 2 {
			offset = args[n-2].ToFloat()
		}
		size += substitutionSize(rs, float64(len(match)), offset, float64(len(subj)), groups) - float64(len(match))
		if size > float64(s.lim.MaxOutput) {
			s.throwRange("replace would make a string longer than a transform may (%d bytes)", s.lim.MaxOutput)
		}
		return c.Argument(0)
	})
	args := append([]goja.Value(nil), call.Arguments...)
	args[1] = counter
	var this goja.Value = call.This
	var fn goja.Callable
	if subject < 0 {
		fn, _ = goja.AssertFunction(call.This.ToObject(s.r).GetSymbol(goja.SymReplace))
	} else if re, ok := call.Argument(0).(*goja.Object); ok && re.ClassName() == "RegExp" {
		fn, _ = goja.AssertFunction(re.GetSymbol(goja.SymReplace))
		this, args = re, []goja.Value{call.This, counter}
	} else {
		// A string pattern: replace changes the first match, replaceAll
		// every one; count them all (an upper bound for replace).
		pat := call.Argument(0).String()
		m := float64(strings.Count(subj, pat))
		if pat == "" {
			m = float64(len(subj) + 1)
		}
		return size + m*(substitutionSize(rs, float64(len(pat)), float64(len(subj)), float64(len(subj)), nil)-float64(len(pat)))
	}
	if fn == nil {
		return math.Inf(1)
	}
	if _, err := fn(this, args...); err != nil {
		panic(err)
	}
	return size
}

// substitutionSize is the length of replacement pattern rs expanded for
// one match ($$, $&, $`, $', $n, $nn; $<name> counted as the subject).
func substitutionSize(rs string, match, offset, subject float64, groups []goja.Value) float64 {
	size := 0.0
	for i := 0; i < len(rs); i++ {
		if rs[i] != '$' || i+1 == len(rs) {
			size++
			continue
		}
		switch c := rs[i+1]; {
		case c == '$':
			size++
			i++
		case c == '&':
			size += match
			i++
		case c == '`':
			size += offset
			i++
		case c == '\'':
			size += max(subject-offset-match, 0)
			i++
		case c == '<':
			size += subject
			i++
		case c >= '0' && c <= '9':
			n := int(c - '0')
			if i+2 < len(rs) && rs[i+2] >= '0' && rs[i+2] <= '9' && n*10+int(rs[i+2]-'0') <= len(groups) {
				n = n*10 + int(rs[i+2]-'0')
				i++
			}
			if n >= 1 && n <= len(groups) {
				if g := groups[n-1]; g != nil && !goja.IsUndefined(g) {
					size += float64(len(g.String()))
				}
			} else {
				size += 2
			}
			i++
		default:
			size++
		}
	}
	return size
}

// splitGuard caps the pieces of a split: one string per character of a
// long subject is many times its size.
func (s *sandbox) splitGuard(limitArg int) func(goja.FunctionCall) goja.FunctionCall {
	return func(call goja.FunctionCall) goja.FunctionCall {
		for len(call.Arguments) <= limitArg {
			call.Arguments = append(call.Arguments, goja.Undefined())
		}
		if l := call.Arguments[limitArg]; goja.IsUndefined(l) || l.ToFloat() > maxLen {
			call.Arguments[limitArg] = s.r.ToValue(maxLen)
		}
		return call
	}
}

// matchGuard refuses a global match on a subject longer than maxLen
// characters: its result holds one string per match.
func (s *sandbox) matchGuard(call goja.FunctionCall) goja.FunctionCall {
	subject := call.This
	if _, isRE := call.This.(*goja.Object); isRE {
		subject = call.Argument(0)
	}
	if len(subject.String()) > maxLen {
		s.throwRange("match on a string of more than %d characters is not allowed in a transform", maxLen)
	}
	return call
}
