package transform

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"io"
	"os"
	"runtime/debug"
	"strconv"
)

// A worker process is the server's own executable started with
// workerFlag as its first argument and workerEnv set to its memory
// bound in bytes. Both are needed, so that neither a user's command line
// nor a stray environment variable turns a server into a worker, and so
// that a test binary that does not call ServeWorkerIfAsked refuses the
// flag and exits at once instead of running its tests again.
const (
	workerFlag = "--hookline-transform-worker"
	workerEnv  = "HOOKLINE_TRANSFORM_WORKER"
)

// call is one request to a worker: check src, or run it on In.
type call struct {
	Check  bool
	Src    string
	In     Request
	Limits Limits
}

// reply is a worker's answer to a call. The first message a worker
// sends is a reply too, its greeting, with Bound set.
type reply struct {
	Result Result
	Err    *Error
	// Failure is a failure of the worker rather than of the script.
	Failure string
	// Bound is the address-space limit the worker put on itself (0 where
	// the system has none to set); in the greeting only.
	Bound int64
}

// ServeWorkerIfAsked makes this process a transform worker when it was
// started as one by a Pool: it then serves calls on its standard input
// and output until the input closes, and exits. Otherwise it returns at
// once. Call it first thing in main, and in TestMain of a test binary
// whose tests run transforms through a Pool.
func ServeWorkerIfAsked() {
	if len(os.Args) < 2 || os.Args[1] != workerFlag {
		return
	}
	bound, err := strconv.ParseInt(os.Getenv(workerEnv), 10, 64)
	if err != nil || bound <= 0 {
		return
	}
	if err := serveWorker(os.Stdin, os.Stdout, bound); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

// RunTests is the TestMain of a test binary whose tests run transforms
// through a Pool: the binary serves as a worker when started as one, and
// runs its tests otherwise. m is the *testing.M.
func RunTests(m interface{ Run() int }) {
	ServeWorkerIfAsked()
	os.Exit(m.Run())
}

// serveWorker bounds this process's memory, greets, and answers calls
// one at a time until r ends.
func serveWorker(r io.Reader, w io.Writer, bound int64) error {
	applied, err := limitAddressSpace(bound)
	if err != nil {
		return err
	}
	// The collector works harder as the heap nears the bound, so that
	// garbage alone does not reach it; what a script keeps alive does.
	debug.SetMemoryLimit(bound * 3 / 4)
	bw := bufio.NewWriter(w)
	enc := gob.NewEncoder(bw)
	dec := gob.NewDecoder(bufio.NewReader(r))
	send := func(rep reply) error {
		if err := enc.Encode(rep); err != nil {
			return err
		}
		return bw.Flush()
	}
	if err := send(reply{Bound: applied}); err != nil {
		return err
	}
	var c cache
	for {
		var in call
		if err := dec.Decode(&in); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := send(serve(&c, in)); err != nil {
			return err
		}
	}
}

func serve(c *cache, in call) reply {
	var res Result
	var err error
	if in.Check {
		err = c.Check(context.Background(), in.Src)
	} else {
		res, err = c.Run(context.Background(), in.Src, in.In, in.Limits)
	}
	var te *Error
	switch {
	case err == nil:
		return reply{Result: res}
	case errors.As(err, &te):
		return reply{Err: te}
	default:
		return reply{Failure: err.Error()}
	}
}
