package postgres_test

import (
	"testing"

	"github.com/hookline/hookline/internal/store/postgres/pgtest"
)

// Each exchange with the server counts once: once a statement is prepared
// (its first use takes a second round trip to describe it), ten reads are
// ten round trips.
func TestRoundTripsCounted(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openStore(t, pgtest.URL(), pgtest.NewSchema(t))
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EventTypeList(ctx); err != nil { // prepares the statement
		t.Fatal(err)
	}
	before := s.RoundTrips()
	if before <= 0 {
		t.Fatalf("RoundTrips after opening and a Ping = %d, want > 0", before)
	}
	for range 10 {
		if _, err := s.EventTypeList(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.RoundTrips() - before; got != 10 {
		t.Errorf("ten one-statement reads took %d round trips, want 10", got)
	}
}
