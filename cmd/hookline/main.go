// Command hookline is the Hookline webhook server and its command-line
// client. See `hookline help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hookline/hookline/internal/cli"
	"github.com/hookline/hookline/internal/transform"
)

func main() {
	// A transform sandbox worker is this executable too (see
	// transform.Pool); it never reaches the command line.
	transform.ServeWorkerIfAsked()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
