package sqlite

import (
	"database/sql"
	"time"
)

// tenantKnownFor bounds how long the writer trusts that a tenant it made
// sure of still has its row: a delete in this process forgets it at once,
// one made by another process on the same file (an offline command) is
// seen within this time.
const tenantKnownFor = 5 * time.Second

// maxKnownTenants bounds the cache; when full it starts over.
const maxKnownTenants = 100_000

// deferred is the writer goroutine's state for work that the writes of one
// group commit share instead of each doing it: the webhooks' delivery
// counters, added once per webhook at the end of the transaction, and the
// tenants whose rows were made sure of. Only the writer goroutine touches
// it (write functions run there), so it needs no lock.
//
// A write stages into op; commit keeps a successful write's staging in
// batch and drops a failed one's (its savepoint was rolled back), so only
// what commits is counted or cached.
type deferred struct {
	op, batch struct {
		deliveries map[string]int64 // webhook ID → deliveries created
		tenants    []string         // tenants whose rows were made sure of
	}
	known map[string]time.Time // tenant → trusted until
}

func (d *deferred) countDelivery(webhookID string) {
	if d.op.deliveries == nil {
		d.op.deliveries = make(map[string]int64)
	}
	d.op.deliveries[webhookID]++
}

// tenantKnown reports whether tenant's row was made sure of recently.
func (d *deferred) tenantKnown(tenant string, now time.Time) bool {
	until, ok := d.known[tenant]
	return ok && now.Before(until)
}

func (d *deferred) tenantEnsured(tenant string) { d.op.tenants = append(d.op.tenants, tenant) }

// forgetTenant drops tenant from the cache and from the staged writes: its
// row is being deleted.
func (d *deferred) forgetTenant(tenant string) {
	delete(d.known, tenant)
	for _, s := range []*[]string{&d.op.tenants, &d.batch.tenants} {
		kept := (*s)[:0]
		for _, t := range *s {
			if t != tenant {
				kept = append(kept, t)
			}
		}
		*s = kept
	}
}

// opDone ends one write: ok keeps what it staged.
func (d *deferred) opDone(ok bool) {
	if ok {
		for id, n := range d.op.deliveries {
			if d.batch.deliveries == nil {
				d.batch.deliveries = make(map[string]int64)
			}
			d.batch.deliveries[id] += n
		}
		d.batch.tenants = append(d.batch.tenants, d.op.tenants...)
	}
	clear(d.op.deliveries)
	d.op.tenants = d.op.tenants[:0]
}

// flushDeferred writes the batch's deferred statements into tx, before its
// commit.
func (s *Store) flushDeferred(tx *sql.Tx) error {
	for id, n := range s.deferred.batch.deliveries {
		if _, err := s.exec(tx, qWebhookCountDeliveries, n, id); err != nil {
			return err
		}
	}
	return nil
}

// batchDone ends a group commit: committed says its transaction is durable.
func (d *deferred) batchDone(committed bool, now time.Time) {
	if committed && len(d.batch.tenants) > 0 {
		if d.known == nil || len(d.known)+len(d.batch.tenants) > maxKnownTenants {
			d.known = make(map[string]time.Time)
		}
		for _, t := range d.batch.tenants {
			d.known[t] = now.Add(tenantKnownFor)
		}
	}
	clear(d.batch.deliveries)
	d.batch.tenants = d.batch.tenants[:0]
	d.opDone(false)
}
