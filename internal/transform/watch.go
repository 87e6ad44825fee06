package transform

import (
	"fmt"
	"runtime/metrics"
	"sync"
	"time"
)

// The allocation watchdog. goja has no memory limit, and Go cannot
// count one goroutine's allocations, so one shared goroutine samples the
// process's cumulative heap allocations every tick while runs are under
// way and stops each run whose budget the allocations since its start
// passed. A script that grows memory over many instructions (a string
// doubled in a loop, an array pushed to) is stopped within a tick of
// passing its budget; what one native call allocates at once is bounded
// by the built-in guards instead.
const watchTick = time.Millisecond

var watchdog struct {
	mu   sync.Mutex
	runs map[*sandbox]uint64 // allocations when the run started
	on   bool
}

const allocMetric = "/gc/heap/allocs:bytes"

func allocated() uint64 {
	s := []metrics.Sample{{Name: allocMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// watch puts s under the watchdog until the returned func is called.
func watch(s *sandbox) func() {
	start := allocated()
	watchdog.mu.Lock()
	if watchdog.runs == nil {
		watchdog.runs = make(map[*sandbox]uint64)
	}
	watchdog.runs[s] = start
	if !watchdog.on {
		watchdog.on = true
		go watchLoop()
	}
	watchdog.mu.Unlock()
	return func() {
		watchdog.mu.Lock()
		delete(watchdog.runs, s)
		watchdog.mu.Unlock()
	}
}

func watchLoop() {
	t := time.NewTicker(watchTick)
	defer t.Stop()
	for range t.C {
		now := allocated()
		watchdog.mu.Lock()
		if len(watchdog.runs) == 0 {
			watchdog.on = false
			watchdog.mu.Unlock()
			return
		}
		for s, start := range watchdog.runs {
			if now-start > uint64(s.lim.Memory) {
				delete(watchdog.runs, s)
				go s.stop("memory", fmt.Sprintf("the transform allocated more than %d MiB", s.lim.Memory>>20))
			}
		}
		watchdog.mu.Unlock()
	}
}
