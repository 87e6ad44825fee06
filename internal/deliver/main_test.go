package deliver_test

import (
	"testing"

	"github.com/hookline/hookline/internal/transform"
)

// The transform pool starts its workers from the running executable.
func TestMain(m *testing.M) { transform.RunTests(m) }
