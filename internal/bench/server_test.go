package bench

import (
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
