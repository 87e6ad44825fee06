package sqlite

import (
	"testing"
	"time"
)

// Only what a committed write staged is counted or cached.
func TestDeferredKeepsOnlyCommittedWrites(t *testing.T) {
	now := time.Date(2030, time.March, 14, 9, 0, 0, 0, time.UTC)
	var d deferred

	// A write that fails: its staging is dropped.
	d.countDelivery("w1")
	d.tenantEnsured("t-failed")
	d.opDone(false)
	// Two that succeed.
	d.countDelivery("w1")
	d.countDelivery("w2")
	d.tenantEnsured("t-ok")
	d.opDone(true)
	d.countDelivery("w1")
	d.opDone(true)
	if got := d.batch.deliveries; got["w1"] != 2 || got["w2"] != 1 || len(got) != 2 {
		t.Errorf("batch counts %v, want w1:2 w2:1", got)
	}
	d.batchDone(true, now)
	if !d.tenantKnown("t-ok", now) || d.tenantKnown("t-failed", now) {
		t.Errorf("known after commit: t-ok %v, t-failed %v; want true, false",
			d.tenantKnown("t-ok", now), d.tenantKnown("t-failed", now))
	}
	if d.tenantKnown("t-ok", now.Add(tenantKnownFor)) {
		t.Error("t-ok still known after tenantKnownFor")
	}
	if len(d.batch.deliveries) != 0 {
		t.Errorf("counts left after the commit: %v", d.batch.deliveries)
	}

	// A batch whose commit fails caches nothing.
	d.tenantEnsured("t-lost")
	d.opDone(true)
	d.batchDone(false, now)
	if d.tenantKnown("t-lost", now) {
		t.Error("t-lost known although its commit failed")
	}

	// A delete in the batch forgets the tenant, staged or cached.
	d.tenantEnsured("t-ok")
	d.opDone(true)
	d.forgetTenant("t-ok")
	d.batchDone(true, now)
	if d.tenantKnown("t-ok", now) {
		t.Error("t-ok known after its delete")
	}
}
