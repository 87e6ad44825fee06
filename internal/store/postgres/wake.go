package postgres

import (
	"slices"
	"strconv"
	"strings"
	"sync"
)

// wakeHint says whom a ChannelWork notification concerns. Ingest knows
// which webhooks got deliveries that no one leased, and so which shards'
// owners must claim them: with the shards named in the payload, the other
// instances need not wake, each for a claim that finds nothing (two
// transactions per instance per notification, the term that made commits
// per event grow with the number of instances).
type wakeHint struct {
	any bool // some work needs claiming
	// all: every instance (the owners are unknown, or the work is of
	// another kind); otherwise the owners of owners among shards.
	all    bool
	shards int
	owners []int
}

// wakeEveryone is the hint of work any instance may have to claim.
var wakeEveryone = wakeHint{any: true, all: true}

// addOwner notes work for the webhook whose hashtext is hash, of an
// event stored under a sharding into shards (none: 0 or 1).
func (h *wakeHint) addOwner(shards int, hash int64) {
	h.any = true
	if h.all {
		return
	}
	if shards <= 1 || (h.shards != 0 && h.shards != shards) {
		h.all = true
		return
	}
	h.shards = shards
	if o := int(hash % int64(shards)); !slices.Contains(h.owners, o) {
		h.owners = append(h.owners, o)
	}
}

// merge adds o to h.
func (h *wakeHint) merge(o wakeHint) {
	switch {
	case !o.any:
	case o.all:
		h.any, h.all = true, true
	default:
		for _, owner := range o.owners {
			h.addOwner(o.shards, int64(owner))
		}
	}
}

// payload is the notification's text: "" for everyone, else
// "SHARDS:OWNER,OWNER".
func (h wakeHint) payload() string {
	if h.all || len(h.owners) == 0 {
		return ""
	}
	owners := slices.Clone(h.owners)
	slices.Sort(owners)
	list := make([]string, len(owners))
	for i, o := range owners {
		list[i] = strconv.Itoa(o)
	}
	return strconv.Itoa(h.shards) + ":" + strings.Join(list, ",")
}

// WorkConcerns reports whether a ChannelWork notification's payload
// concerns the instance that owns shard index of count: it names no
// shards, or names this one, or was sent under another sharding (the
// membership is changing: better a claim too many).
func WorkConcerns(payload string, count, index int) bool {
	shards, owners, ok := strings.Cut(payload, ":")
	if !ok {
		return true
	}
	if n, err := strconv.Atoi(shards); err != nil || n != count {
		return true
	}
	for o := range strings.SplitSeq(owners, ",") {
		if n, err := strconv.Atoi(o); err != nil || n == index {
			return true
		}
	}
	return false
}

// pendingWake merges the hints asked for while a notification is on its
// way.
type pendingWake struct {
	mu   sync.Mutex
	hint wakeHint
}

func (p *pendingWake) add(h wakeHint) {
	p.mu.Lock()
	p.hint.merge(h)
	p.mu.Unlock()
}

// take returns the merged hint and starts anew.
func (p *pendingWake) take() wakeHint {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.hint
	p.hint = wakeHint{}
	return h
}
