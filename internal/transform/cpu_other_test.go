//go:build !unix

package transform

import "time"

func cpuTime() time.Duration { return 0 }

func childCPUTime() time.Duration { return 0 }
