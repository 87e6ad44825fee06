package doctor_test

import (
	"testing"

	"github.com/hookline/hookline/internal/transform"
)

// The sandbox check starts a worker from the running executable.
func TestMain(m *testing.M) { transform.RunTests(m) }
