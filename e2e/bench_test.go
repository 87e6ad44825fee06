package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/hookline/hookline/internal/bench"
	"github.com/hookline/hookline/internal/store/postgres/pgtest"
)

// The load tool's functional check: `hookline bench --duration 2s` runs
// against each backend and reports sane, non-zero figures with no event
// lost. No timings are checked: CI machines vary.

func runBench(t *testing.T, args ...string) bench.Report {
	t.Helper()
	args = append([]string{"bench", "--json", "--duration", "2s", "--concurrency", "8", "--drain-timeout", "60s"}, args...)
	out, err := exec.Command(hooklineBinary(t), args...).Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("hookline %v: %v\n%s\n%s", args, err, out, stderr)
	}
	var rep bench.Report
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	webhooks := 1
	if w, ok := rep.Config["webhooks"].(float64); ok {
		webhooks = int(w)
	}
	switch {
	case rep.Events <= 0 || rep.EventsPerSecond <= 0:
		t.Errorf("no events accepted: %+v", rep)
	case len(rep.Errors) > 0:
		t.Errorf("publish errors: %v", rep.Errors)
	case rep.Deliveries != rep.Events*int64(webhooks) || rep.DeliveriesMissing != 0 || rep.Duplicates != 0:
		t.Errorf("deliveries %d of %d events × %d webhooks (%d missing, %d duplicates)",
			rep.Deliveries, rep.Events, webhooks, rep.DeliveriesMissing, rep.Duplicates)
	case rep.DeliveriesPerSec <= 0 || rep.ReceiptMS.N == 0:
		t.Errorf("no delivery rate or latency: %+v", rep)
	case rep.ServerCPUSeconds <= 0 || rep.ServerCPUPer1kEvents <= 0 || rep.ServerCPUPer1kDeliveries <= 0:
		t.Errorf("no server CPU figures: %v s, %v per 1k events, %v per 1k deliveries",
			rep.ServerCPUSeconds, rep.ServerCPUPer1kEvents, rep.ServerCPUPer1kDeliveries)
	}
	return rep
}

func TestBenchSQLite(t *testing.T) {
	rep := runBench(t, "--baseline")
	if rep.Backend != "sqlite" || rep.Instances != 1 {
		t.Errorf("backend %q, %d instances; want sqlite, 1", rep.Backend, rep.Instances)
	}
	if rep.BaselinePostsPerSec <= 0 || rep.EventsPerWire <= 0 {
		t.Errorf("baseline %v POST/s, ratio %v: want both positive", rep.BaselinePostsPerSec, rep.EventsPerWire)
	}
	if rep.Postgres != nil {
		t.Errorf("PostgreSQL figures on SQLite: %+v", rep.Postgres)
	}
}

// TestBenchPostgres runs two instances on the test database, each with its
// own fresh schema made by the bench itself: no set-up by hand.
func TestBenchPostgres(t *testing.T) {
	pgtest.Admin(t) // skips (fails in CI) without PostgreSQL
	rep := runBench(t, "--database-url", pgtest.URL(), "--instances", "2", "--webhooks", "2")
	if rep.Backend != "postgres" || rep.Instances != 2 || len(rep.InstanceCPUSeconds) != 2 {
		t.Errorf("backend %q, %d instances (%v CPU-s each); want postgres, 2", rep.Backend, rep.Instances, rep.InstanceCPUSeconds)
	}
	p := rep.Postgres
	if p == nil || p.Commits <= 0 || p.CommitsPerEvent <= 0 || p.RowsWrittenPerEvt <= 0 ||
		p.RoundTrips <= 0 || p.RoundTripsPerEvent <= 0 || len(p.Active) == 0 {
		t.Fatalf("PostgreSQL figures: %+v", p)
	}
}

// TestBenchInstanceCPU: --instance-cpu puts the local server in a cgroup of
// that quota and reports it. It needs a writable cgroup file system (root
// on Linux), which is a property of the machine, not a service: without
// one the test skips.
func TestBenchInstanceCPU(t *testing.T) {
	probe := "/sys/fs/cgroup/cpu/hookline-e2e-probe"
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		probe = "/sys/fs/cgroup/hookline-e2e-probe"
	}
	if err := os.Mkdir(probe, 0o755); err != nil {
		t.Skipf("cannot make a cgroup here: %v", err)
	}
	os.Remove(probe)
	rep := runBench(t, "--instance-cpu", "0.5")
	if rep.InstanceCPUQuota != 0.5 || len(rep.InstanceThrottledSeconds) != 1 {
		t.Errorf("quota %v, throttled %v; want 0.5 and one instance's figure", rep.InstanceCPUQuota, rep.InstanceThrottledSeconds)
	}
}

// TestBenchDestinations: `hookline bench --destination TYPE` delivers to
// each broker type (Kafka: an in-process kfake cluster) and counts what it
// consumes from the broker: every event once.
func TestBenchDestinations(t *testing.T) {
	for _, tc := range []struct {
		typ, name, addr string
		args            func(t *testing.T) []string
	}{
		{"rabbitmq", "RabbitMQ", "127.0.0.1:5672", func(*testing.T) []string {
			return []string{"--destination-url", "amqp://guest:guest@127.0.0.1:5672/"}
		}},
		{"nats", "NATS", "127.0.0.1:4222", func(*testing.T) []string { return []string{"--destination-url", "nats://127.0.0.1:4222"} }},
		{"redis", "Redis", "127.0.0.1:6379", func(*testing.T) []string { return []string{"--destination-url", "redis://127.0.0.1:6379/0"} }},
		{"mqtt", "Mosquitto", "127.0.0.1:1883", func(*testing.T) []string { return []string{"--destination-url", "tcp://127.0.0.1:1883"} }},
		{"kafka", "", "", func(t *testing.T) []string {
			c, err := kfake.NewCluster(kfake.NumBrokers(1))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			return []string{"--brokers", strings.Join(c.ListenAddrs(), ",")}
		}},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			if tc.addr != "" {
				needBroker(t, tc.name, tc.addr)
			}
			rep := runBench(t, append([]string{"--destination", tc.typ, "--duration", "1s"}, tc.args(t)...)...)
			if rep.Config["destination"] != tc.typ {
				t.Errorf("report's destination %v, want %s", rep.Config["destination"], tc.typ)
			}
		})
	}
}

// TestBenchBacklog: `hookline bench --backlog` stores a backlog with the
// receiver down, brings it up, and publishes to the recovered webhook and
// to another one during the drain, on both backends: every backlog
// delivery and every live event of the other webhook arrives.
func TestBenchBacklog(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			// --duration bounds the backlog's publishing too: long enough
			// for the 300 events on a loaded machine (the live phase ends
			// when the backlog is drained, not at the duration).
			args := []string{"bench", "--backlog", "--json", "--events", "300", "--duration", "30s", "--rate", "100",
				"--concurrency", "8", "--drain-timeout", "60s"}
			if backend == "postgres" {
				pgtest.Admin(t) // skips (fails in CI) without PostgreSQL
				args = append(args, "--database-url", pgtest.URL())
			}
			out, err := exec.Command(hooklineBinary(t), args...).Output()
			if err != nil {
				t.Fatalf("hookline %v: %v\n%s", args, err, out)
			}
			var rep bench.BacklogReport
			if err := json.Unmarshal(out, &rep); err != nil {
				t.Fatalf("report: %v\n%s", err, out)
			}
			if rep.Backlog != 300 || rep.Delivered != rep.Backlog {
				t.Errorf("backlog %d, delivered %d; want 300 and all", rep.Backlog, rep.Delivered)
			}
			if rep.OtherEvents <= 0 || rep.OtherMissing != 0 || rep.OtherReceiptMS.N != int(rep.OtherEvents) {
				t.Errorf("other webhook: %d events, %d missing, %d timed", rep.OtherEvents, rep.OtherMissing, rep.OtherReceiptMS.N)
			}
		})
	}
}
