package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/hookline/hookline/client"
	"github.com/hookline/hookline/internal/webhook"
)

// This file is how a command's error reaches the user: once, on stderr,
// as a line of text, or as problem JSON when the command line has --json,
// so that a script reading JSON never has to parse prose.

// reportError prints err for the command name and returns the exit code:
// ExitUsage for a mistake in the command line, ExitError for the rest.
func reportError(stderr io.Writer, name string, err error, asJSON bool) int {
	code := ExitError
	if _, ok := errors.AsType[reportedError](err); ok {
		return code // the command has said it on stdout already
	}
	ue, isUsage := errors.AsType[*usageError](err)
	if isUsage {
		code = ExitUsage
	}
	if asJSON {
		writeProblem(stderr, err, code)
		return code
	}
	if isUsage {
		cmd := name
		if ue.cmd != "" {
			cmd = ue.cmd
		}
		fmt.Fprintf(stderr, "hookline %s: %s\nRun 'hookline %s -h' for usage.\n", name, ue.msg, cmd)
		return code
	}
	fmt.Fprintf(stderr, "hookline %s: %s\n", name, message(err))
	return code
}

// reportedError is an outcome the command has printed in full (doctor's
// findings): it sets the exit status and prints nothing more.
type reportedError interface {
	error
	reported()
}

// message is the text of err for people. A *webhook.Error in the chain
// is shown by its message alone, each field problem on its own line:
// its code ("not_found: …") is for programs, and they get it as a status.
func message(err error) string {
	e, ok := errors.AsType[*webhook.Error](err)
	if !ok {
		return err.Error()
	}
	return strings.Replace(err.Error(), e.Error(), appMessage(e), 1)
}

// appMessage is a *webhook.Error without its code.
func appMessage(e *webhook.Error) string {
	ps := e.Problems()
	switch {
	case len(ps) > 1:
		lines := make([]string, len(ps))
		for i, p := range ps {
			lines[i] = p.Pointer + ": " + p.Message
		}
		return problemList(lines).Error()
	case e.Field != "":
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// cliProblem is the problem JSON (RFC 9457) of an error that did not come
// from the server, with the exit code as an extension member.
type cliProblem struct {
	Type     string        `json:"type"`
	Title    string        `json:"title"`
	Status   int           `json:"status"`
	Detail   string        `json:"detail"`
	Errors   []problemItem `json:"errors,omitempty"`
	ExitCode int           `json:"exit_code"`
}

// problemItem is one bad field, as the API's errors member has it.
type problemItem struct {
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
}

// writeProblem writes err as one line of problem JSON: the server's
// problem as it was received when the server refused, else one made here
// whose status is the HTTP status closest to the failure: 400 for a bad
// command line, the application error's, 404 for what is not where the
// command line points, 503 and 504 for a server out of reach or silent,
// 500 for the rest.
func writeProblem(w io.Writer, err error, exitCode int) {
	enc := json.NewEncoder(w)
	if e, ok := errors.AsType[*client.Error](err); ok {
		enc.Encode(e)
		return
	}
	p := cliProblem{Type: "about:blank", Status: http.StatusInternalServerError, Detail: message(err), ExitCode: exitCode}
	if ue, ok := errors.AsType[*usageError](err); ok {
		p.Status, p.Detail = http.StatusBadRequest, ue.msg
	} else if e, ok := errors.AsType[*webhook.Error](err); ok {
		p.Status = webhook.HTTPStatus(e.Code)
		if len(e.Problems()) > 1 {
			p.Detail = e.Field + ": " + e.Message
			for _, fp := range e.Problems() {
				p.Errors = append(p.Errors, problemItem{Pointer: fp.Pointer, Detail: fp.Message})
			}
		}
	} else if _, ok := errors.AsType[*notFoundError](err); ok {
		p.Status = http.StatusNotFound
	} else if _, ok := errors.AsType[*missingError](err); ok {
		p.Status = http.StatusNotFound
	} else if errors.Is(err, context.DeadlineExceeded) {
		p.Status = http.StatusGatewayTimeout
	} else if _, ok := errors.AsType[*net.OpError](err); ok {
		p.Status = http.StatusServiceUnavailable
	}
	p.Title = http.StatusText(p.Status)
	enc.Encode(p)
}

// wantsJSON reports whether the command line asks for JSON output: a
// --json flag (or --json=true) before any "--". It is read from the
// arguments, not from a parsed flag, so that an error in parsing the flags
// is JSON too.
func wantsJSON(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "json" {
			continue
		}
		if !hasVal {
			return true
		}
		b, err := strconv.ParseBool(val)
		return err == nil && b
	}
	return false
}

// explainedError is an error from the server or the network put in words
// that say what to do; it keeps the original for --json.
type explainedError struct {
	msg string
	err error
}

func (e *explainedError) Error() string { return e.msg }
func (e *explainedError) Unwrap() error { return e.err }

// inCommand names the command of a usage error that names none, so that
// its hint points at the subcommand's help.
func inCommand(err error, cmd string) error {
	if ue, ok := errors.AsType[*usageError](err); ok && ue.cmd == "" {
		ue.cmd = cmd
	}
	return err
}
