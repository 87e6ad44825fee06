package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/hookline/hookline/internal/store/storetest"
)

// TestBulkWriteLetsOthersCommitFirst: writes queued while a commit runs
// commit next, without the bulk write queued with them (a claim or a
// batch of results, hundreds of rows), which goes in the commit after:
// a published event waits for at most one bulk write's commit.
func TestBulkWriteLetsOthersCommitFirst(t *testing.T) {
	t.Parallel()
	s, err := Open(filepath.Join(t.TempDir(), "hookline.db"), Options{Sealer: storetest.Sealer{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()

	// commitOf records which group commit each write ran in.
	commitOf := map[string]int64{}
	run := func(name string) func(*sql.Tx) error {
		return func(*sql.Tx) error {
			commitOf[name] = s.commits.Load() // the writer goroutine's own
			return nil
		}
	}
	started, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s.writeBulk(ctx, func(tx *sql.Tx) error {
			close(started)
			<-release
			return run("bulk 1")(tx)
		})
	}()
	<-started
	errs := make(chan error, 3)
	go func() { errs <- s.writeBulk(ctx, run("bulk 2")) }()
	for len(s.bulk) == 0 { // queued behind the running commit
		runtime.Gosched()
	}
	go func() { errs <- s.write(ctx, run("event 1")) }()
	go func() { errs <- s.write(ctx, run("event 2")) }()
	for len(s.ops) < 2 {
		runtime.Gosched()
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	b1, e1, e2, b2 := commitOf["bulk 1"], commitOf["event 1"], commitOf["event 2"], commitOf["bulk 2"]
	if e1 != e2 || e1 <= b1 || b2 <= e1 {
		t.Fatalf("commits: bulk 1 in %d, events in %d and %d, bulk 2 in %d; want the events together, after bulk 1 and before bulk 2",
			b1, e1, e2, b2)
	}
}
