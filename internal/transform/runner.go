package transform

import (
	"context"
	"sync"
)

// A Runner checks and runs transforms. Pool is the one the server uses:
// it runs every script in a worker process whose memory is bounded by
// the kernel.
type Runner interface {
	// Check compiles src and runs its top level once, as saving a
	// webhook does: a failure is an *Error saying why.
	Check(ctx context.Context, src string) error
	// Run calls src's handler on in within lim. A failed run is an
	// *Error; any other error is a failure of the runner itself.
	Run(ctx context.Context, src string, in Request, lim Limits) (Result, error)
}

// maxCached bounds the compiled programs a cache keeps; past it the
// cache starts again, which costs a compile per script and nothing else.
const maxCached = 1024

// cache runs transforms in this process, keeping each source's compiled
// program (or its compile error), so a delivery costs a run and not a
// compile. It is what a worker process serves with.
type cache struct {
	mu sync.Mutex
	m  map[string]compiled
}

type compiled struct {
	prog *Program
	err  error
}

func (c *cache) program(src string) (*Program, error) {
	c.mu.Lock()
	got, ok := c.m[src]
	c.mu.Unlock()
	if ok {
		return got.prog, got.err
	}
	prog, err := Compile(src)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = make(map[string]compiled)
	}
	c.m[src] = compiled{prog: prog, err: err}
	c.mu.Unlock()
	return prog, err
}

// Check implements Runner.
func (c *cache) Check(_ context.Context, src string) error {
	_, err := c.program(src)
	return err
}

// Run implements Runner.
func (c *cache) Run(ctx context.Context, src string, in Request, lim Limits) (Result, error) {
	prog, err := c.program(src)
	if err != nil {
		return Result{}, err
	}
	return prog.Run(ctx, in, lim)
}
