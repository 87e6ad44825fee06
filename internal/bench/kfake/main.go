// Command kfake runs franz-go's in-process Kafka cluster (kfake) on a
// loopback port for `hookline bench --destination kafka` on a machine
// without Kafka: go run ./internal/bench/kfake --for 5m prints the
// brokers' address and serves until interrupted or the time is up (a
// bound, so it is never left running). It measures Hookline's side
// against a fake, not Kafka's own performance.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	port := flag.Int("port", 0, "loopback port (0: any free one)")
	brokers := flag.Int("brokers", 1, "brokers in the cluster")
	lifetime := flag.Duration("for", 10*time.Minute, "stop after this long")
	flag.Parse()
	opts := []kfake.Opt{kfake.NumBrokers(*brokers)}
	if *port != 0 {
		ports := make([]int, *brokers)
		for i := range ports {
			ports[i] = *port + i
		}
		opts = append(opts, kfake.Ports(ports...))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kfake:", err)
		os.Exit(1)
	}
	defer c.Close()
	fmt.Println(strings.Join(c.ListenAddrs(), ","))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	select {
	case <-ctx.Done():
	case <-time.After(*lifetime):
	}
}
