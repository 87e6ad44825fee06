package transform

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// stallEnv makes this test binary, started as a worker, greet and then
// never answer: a worker stuck in a native call no interrupt reaches.
const stallEnv = "TRANSFORM_TEST_STALL"

// noHookEnv makes this test binary skip ServeWorkerIfAsked, as an
// executable without it would.
const noHookEnv = "TRANSFORM_TEST_NO_HOOK"

// deletedEnv makes this test binary remove its own file and then run a
// transform through a new pool, as a server does after an upgrade
// replaced its executable.
const deletedEnv = "TRANSFORM_TEST_DELETED"

func TestMain(m *testing.M) {
	if os.Getenv(stallEnv) != "" && len(os.Args) > 1 && os.Args[1] == workerFlag {
		stall()
	}
	if os.Getenv(deletedEnv) != "" {
		os.Exit(runDeleted())
	}
	if os.Getenv(noHookEnv) == "" {
		ServeWorkerIfAsked()
	}
	os.Exit(m.Run())
}

func stall() {
	if err := serveWorker(strings.NewReader(""), os.Stdout, 1<<30); err != nil {
		os.Exit(1)
	}
	select {}
}

func newTestPool(t *testing.T, cfg PoolConfig) *Pool {
	t.Helper()
	p := NewPool(cfg)
	t.Cleanup(func() { p.Close() })
	return p
}

const payment = `function handler(w) {
	const d = w.payload.data
	w.payload = {text: "Paid " + d.amount + " " + d.currency, skus: d.items.map(i => i.sku)}
	w.headers["X-Source"] = "hookline"
	return w }`

// TestPoolRunsAsInProcess: a worker's result is the in-process engine's,
// field for field, and a compile error comes back as the same *Error.
func TestPoolRunsAsInProcess(t *testing.T) {
	p := newTestPool(t, PoolConfig{})
	ctx := context.Background()
	got, err := p.Run(ctx, payment, input(), relaxed)
	if err != nil {
		t.Fatal(err)
	}
	want, err := run(t, payment)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Body) != string(want.Body) || got.URL != want.URL || got.Method != want.Method ||
		got.Headers["X-Source"] != "hookline" || len(got.Headers) != len(want.Headers) {
		t.Fatalf("pool %+v\nin process %+v", got, want)
	}
	err = p.Check(ctx, "function handler(w) { return w")
	var e *Error
	if !errors.As(err, &e) || e.Kind != "syntax" || e.Line != 1 {
		t.Fatalf("Check = %#v, want a syntax error on line 1", err)
	}
	if err := p.Check(ctx, payment); err != nil {
		t.Fatalf("Check(good) = %v", err)
	}
	s := p.Stats()
	if s.Started != 1 || s.Stopped != 0 {
		t.Fatalf("stats %+v, want one worker started and kept", s)
	}
	if wantBound := int64(DefaultWorkerMemory); runtime.GOOS == "linux" && s.Bound != wantBound {
		t.Fatalf("bound %d, want %d", s.Bound, wantBound)
	}
}

// TestPoolMemoryBound is the bound that holds whatever a script does:
// with the allocation watchdog out of the way (a budget of 1 TiB) and a
// time limit of a minute, a script that keeps what it allocates grows
// its worker to the address-space bound, the kernel refuses the next
// mapping, the worker dies, the run fails with kind "memory", and the
// next run gets a new worker. The test process never grows.
func TestPoolMemoryBound(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("RLIMIT_AS is enforced on Linux only")
	}
	p := newTestPool(t, PoolConfig{Workers: 1, Memory: 192 << 20})
	ctx := context.Background()
	lim := Limits{Timeout: time.Minute, Memory: 1 << 40}
	hostile := map[string]string{
		"array grown in a loop":  `const a = []; for (;;) a.push('x'.repeat(1000) + a.length)`,
		"object grown in a loop": `const o = {}; for (let i = 0; ; i++) o['key' + i] = 'v'.repeat(100) + i`,
		"doubling concatenation": `let s = 'xy'; const keep = []; for (;;) { s = s + s; keep.push(s.slice(1)) }`,
	}
	for name, body := range hostile {
		t.Run(name, func(t *testing.T) {
			_, err := p.Run(ctx, "function handler(w) {\n"+body+"\nreturn w }", input(), lim)
			var e *Error
			if !errors.As(err, &e) || e.Kind != "memory" {
				t.Fatalf("err = %#v, want kind memory", err)
			}
			if !strings.Contains(e.Message, "192 MiB") {
				t.Fatalf("message %q does not name the bound", e.Message)
			}
			if _, err := p.Run(ctx, payment, input(), relaxed); err != nil {
				t.Fatalf("the run after: %v", err)
			}
		})
	}
	if s := p.Stats(); s.Stopped != int64(len(hostile)) || s.Started != int64(len(hostile))+1 {
		t.Fatalf("stats %+v, want %d workers stopped and one more started", s, len(hostile))
	}
}

// TestPoolHostileScripts: the in-process cases that the worker's own
// bounds stop (time, stack, guards) fail the same way through a pool,
// and leave the worker in service.
func TestPoolHostileScripts(t *testing.T) {
	p := newTestPool(t, PoolConfig{Workers: 1})
	tests := []struct {
		name, body string
		lim        Limits
		kinds      []string
	}{
		{"infinite loop", `while (true) {}`, Limits{}, []string{"timeout"}},
		{"deep recursion", `function f(n) { return f(n + 1) + 1 } f(0)`, relaxed, []string{"stack"}},
		{"repeat 2**29", `'x'.repeat(2 ** 29)`, relaxed, []string{"runtime"}},
		{"array grown in a loop", `const a = []; for (;;) a.push({k: 'v' + a.length})`, Limits{}, []string{"memory", "timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Run(context.Background(), "function handler(w) {\n"+tt.body+"\nreturn w }", input(), tt.lim)
			var e *Error
			if !errors.As(err, &e) || !slices.Contains(tt.kinds, e.Kind) {
				t.Fatalf("err = %#v, want kind %v", err, tt.kinds)
			}
		})
	}
	if s := p.Stats(); s.Started != 1 || s.Stopped != 0 {
		t.Fatalf("stats %+v, want the one worker to have served every case", s)
	}
}

// TestPoolKillsAStuckWorker: a worker that does not answer within the
// run's limits and the grace is killed, the run fails as a timeout, and
// a cancelled context ends a call the same way at once.
func TestPoolKillsAStuckWorker(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	stuck := func() *exec.Cmd {
		cmd := exec.Command(exe)
		cmd.Env = []string{stallEnv + "=1"}
		return cmd
	}
	p := newTestPool(t, PoolConfig{Workers: 1, Command: stuck})
	_, err = p.Run(context.Background(), payment, input(), Limits{Timeout: time.Millisecond})
	var e *Error
	if !errors.As(err, &e) || e.Kind != "timeout" {
		t.Fatalf("err = %#v, want a timeout", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		_, err = p.Run(ctx, payment, input(), Limits{Timeout: time.Hour})
	})
	// Cancel once the second worker is under way (it may still be
	// starting: either way the call ends as cancelled).
	for p.Stats().Started < 2 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	wg.Wait()
	if !errors.As(err, &e) || e.Kind != "timeout" || !strings.Contains(e.Message, "cancelled") {
		t.Fatalf("err = %#v, want cancelled", err)
	}
}

// TestPoolRefusesAnExecutableThatIsNoWorker: an executable that does
// not call ServeWorkerIfAsked (this test binary, told to skip it) fails
// the start with what it printed, and does not run its tests again.
func TestPoolRefusesAnExecutableThatIsNoWorker(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := newTestPool(t, PoolConfig{Command: func() *exec.Cmd {
		cmd := exec.Command(exe)
		cmd.Env = []string{noHookEnv + "=1"}
		return cmd
	}})
	err = p.Check(context.Background(), payment)
	if err == nil || !strings.Contains(err.Error(), "did not start") || !strings.Contains(err.Error(), "flag provided but not defined") {
		t.Fatalf("err = %v", err)
	}
}

func runDeleted() int {
	exe, err := os.Executable()
	if err == nil {
		err = os.Remove(exe)
	}
	if err != nil {
		os.Stderr.WriteString(err.Error())
		return 1
	}
	p := NewPool(PoolConfig{})
	defer p.Close()
	res, err := p.Run(context.Background(), payment, input(), relaxed)
	if err != nil {
		os.Stderr.WriteString(err.Error())
		return 1
	}
	os.Stdout.Write(res.Body)
	return 0
}

// TestPoolAfterTheExecutableIsReplaced: a server whose executable file
// was removed (an upgrade in place) still starts workers, from the
// executable it runs.
func TestPoolAfterTheExecutableIsReplaced(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/self/exe is Linux's")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	copied := t.TempDir() + "/server"
	if err := os.WriteFile(copied, b, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(copied, "-test.run=^$")
	cmd.Env = []string{deletedEnv + "=1"}
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("%v: %s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	if _, err := os.Stat(copied); !os.IsNotExist(err) {
		t.Fatalf("the copy was not removed: %v", err)
	}
	if !strings.Contains(string(out), `"skus":["a","b"]`) {
		t.Fatalf("output %q", out)
	}
}

// TestPoolConcurrentRuns: runs from many goroutines share the workers,
// each getting its own answer.
func TestPoolConcurrentRuns(t *testing.T) {
	p := newTestPool(t, PoolConfig{Workers: 2})
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			in := input()
			in.EventID = "evt_" + string(rune('a'+i%26))
			res, err := p.Run(context.Background(), `function handler(w) { w.payload = {id: w.event_id}; return w }`, in, relaxed)
			if err == nil && string(res.Body) != `{"id":"`+in.EventID+`"}` {
				err = errors.New("got " + string(res.Body) + " for " + in.EventID)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if s := p.Stats(); s.Started > 2 {
		t.Fatalf("stats %+v, want at most 2 workers", s)
	}
}

// BenchmarkPool is BenchmarkTransform through a worker: the cost of a
// delivery's transform as the server runs it, the round trip to the
// worker included. cpu-ns/op is this (the server's) process's CPU per
// run; worker-cpu-ns/op the worker's, read when it has exited (its one
// compile included, spread over the runs).
func BenchmarkPool(b *testing.B) {
	p := NewPool(PoolConfig{Workers: 1})
	in := input()
	b.ReportAllocs()
	children := childCPUTime()
	start := cpuTime()
	for b.Loop() {
		if _, err := p.Run(context.Background(), payment, in, relaxed); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	p.Close()
	b.ReportMetric(float64((childCPUTime()-children).Nanoseconds())/float64(b.N), "worker-cpu-ns/op")
}

// BenchmarkPoolStart is what a worker costs to start: the process, its
// greeting and a first check, then its exit (this test binary stands for
// the hookline executable).
func BenchmarkPoolStart(b *testing.B) {
	for b.Loop() {
		p := NewPool(PoolConfig{Workers: 1})
		if err := p.Check(context.Background(), payment); err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}
