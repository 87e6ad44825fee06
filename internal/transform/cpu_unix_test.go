//go:build unix

package transform

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used (user and system), which
// a benchmark reports beside wall time: on a shared machine the wall time
// per run counts the waits for a core too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
