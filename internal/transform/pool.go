package transform

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of PoolConfig.
const (
	DefaultWorkerMemory = 256 << 20
	minWorkers          = 2
)

const selfExe = "/proc/self/exe"

// startTimeout bounds a worker's start, up to its greeting.
const startTimeout = 15 * time.Second

// grace is how much longer than a run's own limits the pool waits for a
// worker's answer before it kills the worker: the worker interrupts a
// script itself at the limit, so the grace only has to cover a busy
// machine and a native call that an interrupt cannot stop.
const grace = 2 * time.Second

// PoolConfig configures a Pool. The zero value means the defaults.
type PoolConfig struct {
	// Workers is the most worker processes, and so the most transforms
	// running at once (default GOMAXPROCS, at least 2).
	Workers int
	// Memory is each worker's address-space bound in bytes, above what
	// it maps when it starts (default 256 MiB). A script that makes its
	// worker pass it stops the worker: that run fails with kind "memory"
	// and the next run gets a new worker.
	Memory int64
	// Command makes the command of a new worker; the default runs this
	// executable. The pool sets its arguments and adds the worker's
	// variables to its environment (empty unless Command sets one).
	Command func() *exec.Cmd
	// Logger reports workers that stopped; default slog.Default.
	Logger *slog.Logger
}

// Pool runs transforms in worker processes, each one script at a time
// under a kernel-enforced memory bound (see limitAddressSpace), so a
// script that exhausts memory takes down its worker and never the
// server. Workers start on first use and are kept for the next run.
type Pool struct {
	cfg   PoolConfig
	slots chan struct{}

	mu     sync.Mutex
	idle   []*worker
	closed bool

	started, stopped atomic.Int64
	bound            atomic.Int64
}

var _ Runner = (*Pool)(nil)

// NewPool returns a pool; it starts no process until the first call.
func NewPool(cfg PoolConfig) *Pool {
	if cfg.Workers <= 0 {
		cfg.Workers = max(minWorkers, runtime.GOMAXPROCS(0))
	}
	if cfg.Memory <= 0 {
		cfg.Memory = DefaultWorkerMemory
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Pool{cfg: cfg, slots: make(chan struct{}, cfg.Workers)}
}

// PoolStats counts a pool's workers.
type PoolStats struct {
	// Started and Stopped count worker processes since the pool was made;
	// a stop is a worker killed or dead (a memory bound passed, a run
	// past its time), not one closed with the pool.
	Started, Stopped int64
	// Bound is the address-space bound the last worker to start put on
	// itself, in bytes: 0 before any started, and where the system has
	// no such limit (then only the allocation watchdog bounds memory).
	Bound int64
}

// Stats returns the pool's counts.
func (p *Pool) Stats() PoolStats {
	return PoolStats{Started: p.started.Load(), Stopped: p.stopped.Load(), Bound: p.bound.Load()}
}

// Check implements Runner.
func (p *Pool) Check(ctx context.Context, src string) error {
	rep, err := p.call(ctx, call{Check: true, Src: src}, compileTimeout+grace)
	if err != nil {
		return err
	}
	return rep.err()
}

// Run implements Runner.
func (p *Pool) Run(ctx context.Context, src string, in Request, lim Limits) (Result, error) {
	lim = lim.withDefaults()
	// A first run of a source compiles it too, under compileTimeout.
	rep, err := p.call(ctx, call{Src: src, In: in, Limits: lim}, compileTimeout+lim.Timeout+grace)
	if err != nil {
		return Result{}, err
	}
	return rep.Result, rep.err()
}

func (r reply) err() error {
	switch {
	case r.Err != nil:
		return r.Err
	case r.Failure != "":
		return errors.New(r.Failure)
	}
	return nil
}

// errClosed is the answer of a closed pool.
var errClosed = errors.New("the transform pool is closed")

// call sends c to a worker and waits up to limit for its answer. A
// worker that dies meanwhile, or is killed at the limit or when ctx
// ends, fails the call with an *Error saying why.
func (p *Pool) call(ctx context.Context, c call, limit time.Duration) (reply, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return reply{}, &Error{Kind: "timeout", Message: "the transform was cancelled while waiting for a sandbox"}
	}
	defer func() { <-p.slots }()
	w, err := p.take(ctx)
	if err != nil {
		return reply{}, err
	}
	if err := w.send(c); err != nil {
		return reply{}, p.lost(w, "")
	}
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case rep := <-w.replies:
		p.put(w)
		return rep, nil
	case <-w.done:
		return reply{}, p.lost(w, "")
	case <-timer.C:
		return reply{}, p.lost(w, fmt.Sprintf("the transform ran longer than %s", limit-grace))
	case <-ctx.Done():
		return reply{}, p.lost(w, "the transform was cancelled")
	}
}

// take returns an idle worker, or starts one.
func (p *Pool) take(ctx context.Context) (*worker, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errClosed
	}
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return w, nil
	}
	p.mu.Unlock()
	w, err := p.start(ctx)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		w.kill()
		return nil, errClosed
	}
	return w, nil
}

// put returns a worker after a call it answered.
func (p *Pool) put(w *worker) {
	p.mu.Lock()
	if !p.closed {
		p.idle = append(p.idle, w)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	w.close()
}

// lost kills w (a call to it ran out of time, or it died) and returns the
// error of the call: timeout when a reason is given, otherwise what its
// death shows.
func (p *Pool) lost(w *worker, timeout string) error {
	p.stopped.Add(1)
	state := w.kill()
	if timeout != "" {
		p.cfg.Logger.Warn("killed a transform worker past its time", "reason", timeout)
		return &Error{Kind: "timeout", Message: timeout}
	}
	if w.outOfMemory() {
		p.cfg.Logger.Warn("a transform worker passed its memory bound and stopped", "bound_mib", p.cfg.Memory>>20)
		return &Error{Kind: "memory", Message: fmt.Sprintf("the transform used more than the %d MiB of memory a transform may use", p.cfg.Memory>>20)}
	}
	p.cfg.Logger.Warn("a transform worker stopped", "state", state, "stderr", w.stderr.String())
	return &Error{Kind: "runtime", Message: "the transform's sandbox stopped (" + state + ")"}
}

// Close stops the idle workers and waits for them to exit; a call under
// way finishes, and its worker is closed when it returns. Later calls
// fail.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, w := range idle {
		w.close()
	}
	return nil
}

// worker is one worker process and its pipes. One call at a time; a
// reader goroutine passes its replies on until the pipe ends.
type worker struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	bw      *bufio.Writer
	enc     *gob.Encoder
	replies chan reply
	done    chan struct{} // closed when the reader stops
	stderr  *headBuffer
	waited  sync.Once
	state   string
}

func (p *Pool) command() (*exec.Cmd, error) {
	if p.cfg.Command != nil {
		return p.cfg.Command(), nil
	}
	// On Linux the running executable is reachable as /proc/self/exe even
	// after an upgrade replaced or removed its file, so workers still
	// start, and they run the server's own version.
	if runtime.GOOS == "linux" {
		if _, err := os.Stat(selfExe); err == nil {
			return exec.Command(selfExe), nil
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this executable to start a transform worker: %w", err)
	}
	return exec.Command(exe), nil
}

// start runs a new worker and waits for its greeting.
func (p *Pool) start(ctx context.Context) (*worker, error) {
	if os.Getenv(workerEnv) != "" {
		// This process was started as a worker but is serving as
		// something else: the executable does not call ServeWorkerIfAsked,
		// and starting another would repeat that.
		return nil, errors.New("transform workers cannot start: this executable does not serve as one (ServeWorkerIfAsked)")
	}
	cmd, err := p.command()
	if err != nil {
		return nil, err
	}
	cmd.Args = append(cmd.Args[:1], workerFlag)
	detach(cmd)
	// A worker gets nothing of the server's environment (database URLs,
	// keys): only its bound, and no goroutine dump when it dies.
	cmd.Env = append(cmd.Env, workerEnv+"="+strconv.FormatInt(p.cfg.Memory, 10), "GOTRACEBACK=none")
	w := &worker{cmd: cmd, replies: make(chan reply, 1), done: make(chan struct{}), stderr: &headBuffer{max: 4 << 10}}
	cmd.Stderr = w.stderr
	if w.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting a transform worker: %w", err)
	}
	p.started.Add(1)
	w.bw = bufio.NewWriter(w.stdin)
	w.enc = gob.NewEncoder(w.bw)
	greeted := make(chan reply, 1)
	go w.read(stdout, greeted)
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case hello := <-greeted:
		p.bound.Store(hello.Bound)
		return w, nil
	case <-w.done:
	case <-timer.C:
	case <-ctx.Done():
		w.kill()
		return nil, &Error{Kind: "timeout", Message: "the transform was cancelled while its sandbox started"}
	}
	state := w.kill()
	return nil, fmt.Errorf("a transform worker did not start (%s): %s", state, strings.TrimSpace(w.stderr.String()))
}

// read passes the greeting, then every reply, on until the pipe ends.
func (w *worker) read(r io.Reader, greeted chan<- reply) {
	defer close(w.done)
	dec := gob.NewDecoder(bufio.NewReader(r))
	var hello reply
	if dec.Decode(&hello) != nil {
		return
	}
	greeted <- hello
	for {
		var rep reply
		if dec.Decode(&rep) != nil {
			return
		}
		w.replies <- rep
	}
}

func (w *worker) send(c call) error {
	if err := w.enc.Encode(c); err != nil {
		return err
	}
	return w.bw.Flush()
}

// kill stops the process at once and returns how it ended.
func (w *worker) kill() string {
	_ = w.cmd.Process.Kill()
	return w.wait()
}

// close ends a worker by closing its input, as a worker exits when its
// input ends; one that does not within a second is killed.
func (w *worker) close() {
	_ = w.stdin.Close()
	select {
	case <-w.done:
		w.wait()
	case <-time.After(time.Second):
		w.kill()
	}
}

func (w *worker) wait() string {
	w.waited.Do(func() {
		err := w.cmd.Wait()
		switch {
		case err == nil:
			w.state = "exited"
		default:
			w.state = err.Error()
		}
	})
	return w.state
}

// outOfMemory reports whether the worker died of its memory bound: the
// Go runtime says so on standard error when a mapping fails.
func (w *worker) outOfMemory() bool {
	s := w.stderr.String()
	return strings.Contains(s, "out of memory") || strings.Contains(s, "cannot allocate memory")
}

// headBuffer keeps the first max bytes written to it and drops the rest,
// so a worker's standard error is read to its end without growing.
type headBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (h *headBuffer) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if room := h.max - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (h *headBuffer) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return string(h.b)
}
