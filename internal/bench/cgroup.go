package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cpuGroup is a cgroup that caps the CPU of the processes put in it, so
// that instances of a scaling experiment each get the same share of the
// machine whatever else runs (--instance-cpu). Linux only; it needs write
// access to the cgroup file system (root, here).
type cpuGroup struct {
	dir string
	v2  bool
}

// cgroupRoot is where the cgroup file systems are mounted.
var cgroupRoot = "/sys/fs/cgroup"

// newCPUGroup makes a cgroup named name whose processes together get at
// most cpus CPUs (0.3: 30 ms of every 100 ms).
func newCPUGroup(name string, cpus float64) (*cpuGroup, error) {
	const period = 100000 // µs, the kernel's default
	quota := int64(cpus * period)
	if quota < 1000 {
		return nil, errors.New("--instance-cpu must be at least 0.01")
	}
	// cgroup v2 has one hierarchy with cgroup.controllers at its root;
	// v1 mounts the cpu controller apart.
	if _, err := os.Stat(filepath.Join(cgroupRoot, "cgroup.controllers")); err == nil {
		g := &cpuGroup{dir: filepath.Join(cgroupRoot, name), v2: true}
		// The cpu controller must be handed down to the new child.
		_ = os.WriteFile(filepath.Join(cgroupRoot, "cgroup.subtree_control"), []byte("+cpu"), 0o644)
		if err := os.Mkdir(g.dir, 0o755); err != nil {
			return nil, fmt.Errorf("cgroup: %w", err)
		}
		// A weight well above the default (100) lets the group have its
		// quota before other work on the machine gets its turn.
		for file, v := range map[string]string{"cpu.max": fmt.Sprintf("%d %d", quota, period), "cpu.weight": "800"} {
			if err := os.WriteFile(filepath.Join(g.dir, file), []byte(v), 0o644); err != nil {
				g.remove()
				return nil, fmt.Errorf("cgroup %s: %w", file, err)
			}
		}
		return g, nil
	}
	g := &cpuGroup{dir: filepath.Join(cgroupRoot, "cpu", name)}
	if err := os.Mkdir(g.dir, 0o755); err != nil {
		return nil, fmt.Errorf("cgroup (v1 cpu controller): %w", err)
	}
	// Shares well above the default (1024), as the weight above.
	for file, v := range map[string]int64{"cpu.cfs_period_us": period, "cpu.cfs_quota_us": quota, "cpu.shares": 8192} {
		if err := os.WriteFile(filepath.Join(g.dir, file), []byte(strconv.FormatInt(v, 10)), 0o644); err != nil {
			g.remove()
			return nil, fmt.Errorf("cgroup %s: %w", file, err)
		}
	}
	return g, nil
}

// add moves a process (all its threads) into the group.
func (g *cpuGroup) add(pid int) error {
	return os.WriteFile(filepath.Join(g.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644)
}

// throttled reports how often and how long the group's processes waited
// for their quota: a group that was never throttled did not use its CPU.
func (g *cpuGroup) throttled() (periods, throttled int64, seconds float64) {
	b, err := os.ReadFile(filepath.Join(g.dir, "cpu.stat"))
	if err != nil {
		return 0, 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, " ")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "nr_periods":
			periods = n
		case "nr_throttled":
			throttled = n
		case "throttled_time": // v1, ns
			seconds = float64(n) / 1e9
		case "throttled_usec": // v2
			seconds = float64(n) / 1e6
		}
	}
	return periods, throttled, seconds
}

// remove deletes the group once its processes have ended (a cgroup with
// processes cannot be removed).
func (g *cpuGroup) remove() {
	if g != nil {
		_ = os.Remove(g.dir)
	}
}
