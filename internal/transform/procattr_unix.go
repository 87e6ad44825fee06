//go:build unix

package transform

import (
	"os/exec"
	"syscall"
)

// detach puts a worker in a process group of its own, so that a Ctrl-C
// at the server's terminal (sent to the whole foreground group) does not
// kill the workers under a run while the server shuts down gracefully;
// the server closes them itself, and a worker whose server died exits
// when its input closes.
func detach(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}
