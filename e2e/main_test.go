package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hookline/hookline/internal/transform"
)

// TestMain lets this test binary serve as a transform sandbox worker (the
// pool starts its workers from the running executable), and removes the
// hookline binary the crash tests built once the tests are done.
func TestMain(m *testing.M) {
	transform.ServeWorkerIfAsked()
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}
