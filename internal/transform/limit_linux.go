package transform

import (
	"fmt"
	"os"
	"syscall"
)

// limitAddressSpace caps this process's address space at what it has
// mapped now plus bound, with RLIMIT_AS: past it every mapping fails, so
// the Go runtime stops the process ("out of memory") whatever allocated,
// a script or a built-in that no guard foresaw. The soft and hard limits
// are both set, so nothing in the process can raise them again.
func limitAddressSpace(bound int64) (int64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	var pages int64
	if _, err := fmt.Sscan(string(b), &pages); err != nil {
		return 0, fmt.Errorf("reading /proc/self/statm: %w", err)
	}
	limit := uint64(pages*int64(os.Getpagesize()) + bound)
	if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
		return 0, fmt.Errorf("setting RLIMIT_AS: %w", err)
	}
	return bound, nil
}
