package transform

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestPoolWorkersLeaveTheProcessGroup: a worker is in a process group of
// its own, so a Ctrl-C at the server's terminal reaches the server alone
// (read from /proc: the children of this process and their groups).
func TestPoolWorkersLeaveTheProcessGroup(t *testing.T) {
	p := newTestPool(t, PoolConfig{Workers: 1})
	if err := p.Check(context.Background(), payment); err != nil {
		t.Fatal(err)
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var workers int
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid pgrp …; comm may hold spaces.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 3 || f[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		workers++
		if f[2] == strconv.Itoa(syscall.Getpgrp()) {
			t.Errorf("worker %s is in this process's group %s", path, f[2])
		}
	}
	if workers == 0 {
		t.Fatal("found no worker among this process's children")
	}
}
