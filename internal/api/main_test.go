package api

import (
	"os"
	"testing"

	"github.com/hookline/hookline/internal/transform"
)

// TestMain lets this test binary serve as a transform sandbox worker,
// as the hookline executable does: the transform pool starts workers
// from the running executable.
func TestMain(m *testing.M) {
	transform.ServeWorkerIfAsked()
	os.Exit(m.Run())
}
