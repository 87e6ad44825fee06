package filter

import (
	"encoding/json"
	"sync"

	"github.com/hookline/hookline/internal/webhook"
)

// maxCached bounds a Cache: past it the cache starts over, which costs
// only parsing again.
const maxCached = 4096

// Cache holds parsed filters by their text, so that a store deciding
// which webhooks get an event parses each webhook's filter once, not once
// per event. The zero Cache is ready to use.
type Cache struct {
	mu sync.Mutex
	m  map[string]*Filter
}

// Get returns the parsed filter of raw; nil when it does not parse (the
// registry validated it when it was saved, so that is a damaged row).
func (c *Cache) Get(raw []byte) *Filter {
	c.mu.Lock()
	f, ok := c.m[string(raw)]
	c.mu.Unlock()
	if ok {
		return f
	}
	var v webhook.Validation
	f = Parse(json.RawMessage(raw), webhook.At("filter"), &v)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = make(map[string]*Filter)
	}
	c.m[string(raw)] = f
	c.mu.Unlock()
	return f
}

// Judge decides, for one event, whether webhooks' filters let it
// through. It builds the event's envelope once, when a filter first
// needs it.
type Judge struct {
	cache *Cache
	ev    webhook.Event
	doc   any
	built bool
	err   error
}

// For returns the Judge of ev.
func (c *Cache) For(ev webhook.Event) *Judge { return &Judge{cache: c, ev: ev} }

// Passes reports whether the event passes the filter raw; an empty raw
// is no filter. A filter that cannot be read, or an event whose data is
// not JSON, does not pass: a filter says "only these", so doubt means no.
func (j *Judge) Passes(raw []byte) bool {
	if len(raw) == 0 {
		return true
	}
	f := j.cache.Get(raw)
	if f == nil {
		return false
	}
	if !j.built {
		j.doc, j.err = Envelope(j.ev)
		j.built = true
	}
	if j.err != nil {
		return false
	}
	ok, _ := f.Match(j.doc)
	return ok
}
