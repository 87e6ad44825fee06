package bench

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		line string
		want time.Duration
		ok   bool
	}{
		// utime 250 and stime 50 ticks: 3 s.
		{"1234 (hookline) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 100 0 0", 3 * time.Second, true},
		// A command name with spaces and a parenthesis.
		{"99 (postgres: a) b) S 1 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1 0 0", 30 * time.Millisecond, true},
		{"99 (short) S 1 2 3", 0, false},
		{"no parenthesis", 0, false},
	} {
		got, ok := parseStatCPU(tc.line)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseStatCPU(%q) = %v, %v; want %v, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCPUDelta(t *testing.T) {
	before := map[int]time.Duration{1: time.Second, 2: 2 * time.Second}
	after := map[int]time.Duration{1: 3 * time.Second, 3: time.Second} // 2 ended, 3 is new
	if got := cpuDelta(before, after); got != 3*time.Second {
		t.Errorf("cpuDelta = %v, want 3s", got)
	}
}

func TestValidateInstances(t *testing.T) {
	for _, tc := range []struct {
		cfg Config
		ok  bool
	}{
		{Config{Instances: 2}, false},
		{Config{Instances: 2, DatabaseURL: "postgres://x/y"}, true},
		{Config{Instances: 2, ServerArgs: []string{"--database-url", "postgres://x/y", "--secret-key-file", "k"}}, true},
		{Config{Server: "http://127.0.0.1:1", APIKey: "k", DatabaseURL: "postgres://x/y"}, false},
		{Config{Instances: 17, DatabaseURL: "postgres://x/y"}, false},
		{Config{InstanceCPU: 0.3}, true},
		{Config{InstanceCPU: -1}, false},
		{Config{InstanceCPU: 0.3, Server: "http://127.0.0.1:1", APIKey: "k"}, false},
	} {
		tc.cfg.Defaults()
		if err := tc.cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("Validate(%+v) = %v, want ok=%v", tc.cfg, err, tc.ok)
		}
	}
}

func TestValidateDestination(t *testing.T) {
	for _, tc := range []struct {
		cfg Config
		ok  bool
	}{
		{Config{}, true}, // http, the default
		{Config{Destination: "redis", DestinationURL: "redis://127.0.0.1:6379/0"}, true},
		{Config{Destination: "redis"}, false},
		{Config{Destination: "kafka", Brokers: []string{"127.0.0.1:9092"}}, true},
		{Config{Destination: "kafka", DestinationURL: "kafka://127.0.0.1:9092"}, false},
		{Config{Destination: "sqs", DestinationURL: "https://sqs.example.com"}, false},
	} {
		tc.cfg.Defaults()
		if err := tc.cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("Validate(%+v) = %v, want ok=%v", tc.cfg, err, tc.ok)
		}
	}
}

func TestMetricValue(t *testing.T) {
	t.Parallel()
	text := "# HELP hookline_postgres_round_trips_total x\n# TYPE hookline_postgres_round_trips_total counter\n" +
		"hookline_postgres_round_trips_total 1.234567e+06\nhookline_postgres_round_trips_total_other 9\n"
	if got := metricValue(text, "hookline_postgres_round_trips_total"); got != 1234567 {
		t.Errorf("metricValue = %d, want 1234567", got)
	}
	if got := metricValue(text, "absent"); got != 0 {
		t.Errorf("metricValue(absent) = %d, want 0", got)
	}
}

func TestWaitShares(t *testing.T) {
	t.Parallel()
	s := backendSamples{samples: 4, waits: map[string]int{"CPU": 6, "Lock:transactionid": 2, "IO:WALSync": 2, "LWLock:WALWrite": 1}}
	got := waitShares(s, 3)
	want := []WaitShare{{"CPU", 1.5}, {"IO:WALSync", 0.5}, {"Lock:transactionid", 0.5}}
	if !slices.Equal(got, want) {
		t.Errorf("waitShares = %v, want %v", got, want)
	}
	if waitShares(backendSamples{}, 3) != nil {
		t.Error("no samples: want nil")
	}
}

// The quota lands in the files of either cgroup version (a directory
// stands in for /sys/fs/cgroup).
func TestCPUGroupFiles(t *testing.T) {
	root := t.TempDir()
	old := cgroupRoot
	cgroupRoot = root
	t.Cleanup(func() { cgroupRoot = old })
	read := func(path string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	if err := os.Mkdir(filepath.Join(root, "cpu"), 0o755); err != nil {
		t.Fatal(err)
	}
	g, err := newCPUGroup("v1", 0.3)
	if err != nil {
		t.Fatal(err)
	}
	if q, p := read("cpu/v1/cpu.cfs_quota_us"), read("cpu/v1/cpu.cfs_period_us"); q != "30000" || p != "100000" {
		t.Errorf("v1 quota/period = %s/%s, want 30000/100000", q, p)
	}
	if err := g.add(42); err != nil || read("cpu/v1/cgroup.procs") != "42" {
		t.Errorf("v1 add: %v, procs %q", err, read("cpu/v1/cgroup.procs"))
	}
	os.WriteFile(filepath.Join(g.dir, "cpu.stat"), []byte("nr_periods 10\nnr_throttled 4\nthrottled_time 2500000000\n"), 0o644)
	if p, n, s := g.throttled(); p != 10 || n != 4 || s != 2.5 {
		t.Errorf("v1 throttled = %d, %d, %v; want 10, 4, 2.5", p, n, s)
	}

	if err := os.WriteFile(filepath.Join(root, "cgroup.controllers"), []byte("cpu io memory"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := newCPUGroup("v2", 1.5); err != nil {
		t.Fatal(err)
	}
	if got := read("v2/cpu.max"); got != "150000 100000" || read("v2/cpu.weight") != "800" {
		t.Errorf("v2 cpu.max = %q, want \"150000 100000\"", got)
	}
	if _, err := newCPUGroup("tiny", 0.001); err == nil {
		t.Error("a quota under 0.01 CPU was accepted")
	}
}
