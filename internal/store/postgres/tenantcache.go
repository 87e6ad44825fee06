package postgres

import (
	"sync"
	"time"
)

// tenantKnownFor bounds how long this process trusts that a tenant it saw
// still has its row. Another instance may delete the tenant meanwhile;
// until the entry runs out, events of that tenant stored here do not give
// it its row back (as if they had come just before the delete), after
// which they do again. Deletes in this process forget the entry at once.
const tenantKnownFor = 5 * time.Second

// maxKnownTenants bounds the cache; when full it starts over.
const maxKnownTenants = 100_000

// knownTenants caches the tenants whose row this process has recently made
// sure of, so that ingest (without --tenants-strict) does not write
// `INSERT INTO tenants … ON CONFLICT DO NOTHING` for every event: on
// PostgreSQL that statement is a round trip's worth of work per event even
// when the row exists. Strict mode never uses it: its check stays a locked
// read in the event's own transaction.
type knownTenants struct {
	mu    sync.Mutex
	until map[string]time.Time
	epoch uint64 // bumped by every forget, see add
	now   func() time.Time
}

func newKnownTenants() *knownTenants {
	return &knownTenants{until: make(map[string]time.Time), now: time.Now}
}

// known reports whether tenant's row was made sure of recently.
func (k *knownTenants) known(tenant string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	u, ok := k.until[tenant]
	return ok && k.now().Before(u)
}

// gen returns the epoch to pass to add, read before the transaction that
// makes sure of a tenant's row starts.
func (k *knownTenants) gen() uint64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.epoch
}

// add records that a transaction begun at epoch gen made sure tenant has a
// row and committed. It is ignored when a forget came in between: that
// delete may have committed after the row was made sure of.
func (k *knownTenants) add(tenant string, gen uint64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if gen != k.epoch {
		return
	}
	if len(k.until) >= maxKnownTenants {
		clear(k.until)
	}
	k.until[tenant] = k.now().Add(tenantKnownFor)
}

// forget drops tenant (it is being deleted in this process).
func (k *knownTenants) forget(tenant string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.epoch++
	delete(k.until, tenant)
}
