// Command hookline is the Hookline webhook server and its command-line
// client. See `hookline help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hookline/hookline/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
