package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// localServer is a `hookline serve` child process on a temporary data
// directory, so its CPU time and memory are measured apart from the load
// generator's.
type localServer struct {
	cmd     *exec.Cmd
	url     string
	key     string
	dataDir string
	done    chan error
	logTail *tail
	stopped sync.Once
	// cpu caps the process's CPU (--instance-cpu); nil for none.
	cpu *cpuGroup
}

// startLocals starts n servers with the same extra flags (n > 1 shares a
// PostgreSQL database given in extra), each held to cpus CPUs when cpus is
// positive, and makes the API key on the first. Their logs are appended
// to the file logPath when it is set.
func startLocals(exe string, extra []string, n int, cpus float64, logPath string) ([]*localServer, error) {
	var out []*localServer
	for i := range max(n, 1) {
		s, err := startLocal(exe, extra, i == 0, cpus, logPath)
		if err != nil {
			stopAll(out)
			return nil, fmt.Errorf("instance %d: %w", i+1, err)
		}
		out = append(out, s)
	}
	for _, s := range out[1:] {
		s.key = out[0].key
	}
	return out, nil
}

func stopAll(servers []*localServer) {
	for _, s := range servers {
		s.stop()
	}
}

// startLocal runs `exe serve`, in a cgroup of cpus CPUs when cpus is
// positive, and, with makeKey, creates an admin API key. Its log is
// appended to the file logPath when it is set.
func startLocal(exe string, extra []string, makeKey bool, cpus float64, logPath string) (*localServer, error) {
	var logFile *os.File
	if logPath != "" {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		logFile = f
	}
	dir, err := os.MkdirTemp("", "hookline-bench-")
	if err != nil {
		if logFile != nil {
			logFile.Close()
		}
		return nil, err
	}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir,
		"--allow-private-targets", "127.0.0.1/32", "--log-format", "json"}, extra...)
	cmd := exec.Command(exe, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		if logFile != nil {
			logFile.Close()
		}
		return nil, err
	}
	s := &localServer{cmd: cmd, dataDir: dir, done: make(chan error, 1), logTail: &tail{}}
	if cpus > 0 {
		// Before it has served anything: start-up itself is not measured.
		g, err := newCPUGroup(fmt.Sprintf("hookline-bench-%d", cmd.Process.Pid), cpus)
		if err == nil {
			s.cpu = g
			err = g.add(cmd.Process.Pid)
		}
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			s.cpu.remove()
			os.RemoveAll(dir)
			if logFile != nil {
				logFile.Close()
			}
			return nil, fmt.Errorf("--instance-cpu: %w", err)
		}
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		if logFile != nil {
			defer logFile.Close()
		}
		for sc.Scan() {
			line := sc.Text()
			s.logTail.add(line)
			if logFile != nil {
				fmt.Fprintln(logFile, line)
			}
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				addr <- rec.Addr
			}
		}
		s.done <- cmd.Wait()
	}()
	select {
	case a := <-addr:
		s.url = "http://" + a
	case err := <-s.done:
		return nil, fmt.Errorf("hookline serve exited: %v\n%s", err, s.logTail)
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, fmt.Errorf("hookline serve did not start in 30s\n%s", s.logTail)
	}
	if !makeKey {
		return s, nil
	}
	// The key goes where the server keeps its data: the same flags, so a
	// --database-url in extra makes it in that database, not in dir.
	keyArgs := append([]string{"keys", "create", "--name", "bench", "--data-dir", dir}, extra...)
	out, err := exec.Command(exe, keyArgs...).Output()
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("keys create: %w", err)
	}
	s.key = strings.TrimSpace(string(out))
	return s, nil
}

// usage reads the child's CPU time and peak RSS from /proc (Linux); ok is
// false elsewhere.
func (s *localServer) usage() (cpu time.Duration, peakRSS int64, ok bool) {
	pid := s.cmd.Process.Pid
	cpu, ok = procCPU(pid)
	if !ok {
		return 0, 0, false
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return cpu, 0, true
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			peakRSS = kb * 1024
		}
	}
	return cpu, peakRSS, true
}

// procCPU reads a process's CPU time (user and system) from /proc (Linux);
// ok is false elsewhere or when the process is gone.
func procCPU(pid int) (time.Duration, bool) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	return parseStatCPU(string(stat))
}

// parseStatCPU reads utime and stime, the 14th and 15th fields of a
// /proc/PID/stat line, counted after the parenthesised command name (which
// may hold spaces).
func parseStatCPU(stat string) (time.Duration, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 || i+2 > len(stat) {
		return 0, false
	}
	f := strings.Fields(stat[i+2:])
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	const clkTck = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / clkTck, true
}

// stop ends the server (once) and removes its data directory.
func (s *localServer) stop() { s.stopped.Do(s.stopOnce) }

func (s *localServer) stopOnce() {
	if s.cmd.Process != nil {
		s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	}
	s.cpu.remove()
	os.RemoveAll(s.dataDir)
}

// tail keeps the last lines of the server log for error messages.
type tail struct {
	mu    sync.Mutex
	lines []string
}

func (t *tail) add(l string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, l)
	if len(t.lines) > 20 {
		t.lines = t.lines[1:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
