// Package transform runs a webhook's transformation: a JavaScript
// function handler(webhook) that may reshape one delivery's request
// (payload, headers, url, method) or cancel it, in a sandbox with no
// host access and bounded time, stack and memory.
//
// The engine is goja (pure Go). Each run gets a fresh runtime, so a
// script keeps no state between deliveries; what goja does not bound by
// itself is bounded here (see sandbox.go): a wall-clock interrupt, a call
// stack cap, an allocation watchdog that interrupts a run whose process
// allocations pass a budget, and guards on the built-ins whose native
// loops or results a size argument controls, which an interrupt cannot
// stop once they are running.
//
// The server runs no script in its own process: a Pool runs each one in
// a worker process (this executable again, see ServeWorkerIfAsked) whose
// address space the kernel bounds, so memory a script keeps alive, which
// no in-process check can bound for certain, ends its worker and never
// the server.
package transform

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// MaxSource bounds a transform's source text.
const MaxSource = 64 << 10

// Defaults of Limits.
const (
	DefaultTimeout   = 50 * time.Millisecond
	DefaultStack     = 256
	DefaultMemory    = 64 << 20
	DefaultMaxOutput = 1 << 20
)

// Limits bound one run. The zero value means the defaults.
type Limits struct {
	// Timeout is the wall-clock time a run may take, compile excluded.
	Timeout time.Duration
	// Stack is the deepest JavaScript call stack allowed.
	Stack int
	// Memory is the allocation budget of a run: the bytes the process
	// may allocate while it runs before it is interrupted. It is counted
	// process-wide (Go cannot count one goroutine), which is exact in a
	// worker process, as a worker runs one script at a time. The hard
	// bound is the worker's (PoolConfig.Memory).
	Memory int64
	// MaxOutput bounds the body and any string a guarded built-in makes.
	MaxOutput int
}

func (l Limits) withDefaults() Limits {
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	if l.Stack <= 0 {
		l.Stack = DefaultStack
	}
	if l.Memory <= 0 {
		l.Memory = DefaultMemory
	}
	if l.MaxOutput <= 0 {
		l.MaxOutput = DefaultMaxOutput
	}
	return l
}

// Request is one delivery's request as the handler sees it and returns
// it. Payload is the JSON body; Body, when set, is sent as is instead
// (the handler returned a string payload).
type Request struct {
	Method  string
	URL     string
	Headers map[string]string
	// Payload is the body as JSON text.
	Payload []byte
	// EventType, EventID and Tenant describe the event; a handler's
	// changes to them are ignored.
	EventType string
	EventID   string
	Tenant    string
}

// Result is what a run made of the request.
type Result struct {
	// Cancelled: the handler set cancel, so nothing is sent.
	Cancelled bool
	Method    string
	URL       string
	// Headers are the request's headers after the handler, by the names
	// it used; protected names are refused (see Protected).
	Headers map[string]string
	// Body is what is sent: the payload as JSON, or the string the
	// handler returned as payload.
	Body []byte
}

// Error is a problem with a transform: a compile error (Line and Column
// set when known), or a failed run.
type Error struct {
	// Kind is "syntax", "handler" (no handler function), "runtime" (an
	// exception), "timeout", "memory", "stack" or "result" (a bad return
	// value).
	Kind    string
	Message string
	Line    int
	Column  int
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s (line %d, column %d)", e.Message, e.Line, e.Column)
	}
	return e.Message
}

// Program is a compiled transform, safe for concurrent runs.
type Program struct {
	prog *goja.Program
}

// compileTimeout bounds the run of a script's top level when it is
// saved: more than a delivery's default, as it happens once, and a save
// must not fail on a busy machine where a delivery would just be retried.
const compileTimeout = time.Second

// Compile parses src and checks that running it defines a function
// handler. The check runs the script's top level once, under the
// default limits but a longer time.
func Compile(src string) (*Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, &Error{Kind: "syntax", Message: "is empty"}
	}
	if len(src) > MaxSource {
		return nil, &Error{Kind: "syntax", Message: fmt.Sprintf("must be at most %d bytes", MaxSource)}
	}
	ast, err := parser.ParseFile(nil, "transform.js", src, 0)
	if err != nil {
		e := &Error{Kind: "syntax", Message: "SyntaxError: " + err.Error()}
		var list parser.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			e.Message = "SyntaxError: " + list[0].Message
			e.Line, e.Column = list[0].Position.Line, list[0].Position.Column
		}
		return nil, e
	}
	prog, err := goja.CompileAST(ast, false)
	if err != nil {
		return nil, &Error{Kind: "syntax", Message: err.Error()}
	}
	p := &Program{prog: prog}
	s := newSandbox(Limits{Timeout: compileTimeout}.withDefaults())
	defer s.close()
	if err := s.do(func() { s.load(p) }); err != nil {
		return nil, err
	}
	return p, nil
}

// Run calls the handler on in within lim. A failed run is an *Error.
func (p *Program) Run(ctx context.Context, in Request, lim Limits) (Result, error) {
	lim = lim.withDefaults()
	s := newSandbox(lim)
	defer s.close()
	stop := context.AfterFunc(ctx, func() { s.stop("timeout", "the transform was cancelled") })
	defer stop()
	var res Result
	err := s.do(func() {
		handler := s.load(p)
		arg := s.request(in)
		out, err := handler(goja.Undefined(), arg)
		if err != nil {
			panic(err)
		}
		res = s.result(in, out, arg)
	})
	return res, err
}

// Protected reports whether a transform may not set header name: the
// headers Hookline sets (the signature and its inputs, the user agent)
// and those that belong to the connection.
func Protected(name string) bool {
	lower := strings.ToLower(name)
	return protected[lower] || strings.HasPrefix(lower, "webhook-")
}

var protected = map[string]bool{
	"host": true, "content-length": true, "content-encoding": true,
	"transfer-encoding": true, "connection": true, "keep-alive": true, "proxy-authorization": true,
	"proxy-authenticate": true, "proxy-connection": true, "te": true, "trailer": true, "upgrade": true,
	"user-agent": true, "expect": true, "date": true,
	// Hookline's loop marking (webhook.HopsHeader).
	"hookline-hops": true,
}

// Methods a transform may choose.
var methods = map[string]bool{"POST": true, "PUT": true, "PATCH": true}

// checkURL accepts an absolute http(s) URL without credentials; which
// address it may reach is the egress guard's decision at send time.
func checkURL(raw string) string {
	if len(raw) > 2048 {
		return "url must be at most 2048 bytes"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "url is not a valid URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "url must start with http:// or https://"
	case u.Host == "":
		return "url must name a host"
	case u.User != nil:
		return "url must not carry credentials"
	}
	return ""
}
