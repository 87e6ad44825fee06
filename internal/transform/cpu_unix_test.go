//go:build unix

package transform

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used (user and system), which
// a benchmark reports beside wall time: on a shared machine the wall time
// per run counts the waits for a core too.
func cpuTime() time.Duration { return usage(syscall.RUSAGE_SELF) }

// childCPUTime is the CPU time of the child processes that have ended
// and been waited for: a pool's workers, once it is closed.
func childCPUTime() time.Duration { return usage(syscall.RUSAGE_CHILDREN) }

func usage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
