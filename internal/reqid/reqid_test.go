package reqid_test

import (
	"context"
	"testing"

	"github.com/hookline/hookline/internal/reqid"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	if got := reqid.From(context.Background()); got != "" {
		t.Errorf("From(empty ctx) = %q, want \"\"", got)
	}
	ctx := reqid.With(context.Background(), "abc")
	if got := reqid.From(ctx); got != "abc" {
		t.Errorf("From = %q, want abc", got)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	a, b := reqid.New(), reqid.New()
	if len(a) != 16 || a == b {
		t.Errorf("New() = %q, %q: want two different 16-digit ids", a, b)
	}
}
