package webhook

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// ID prefixes, so a reader of a log line knows what an ID names.
const (
	PrefixWebhook  = "wh_"
	PrefixEvent    = "evt_"
	PrefixDelivery = "dlv_"
	PrefixAttempt  = "att_"
)

// Crockford base32 keeps IDs case-insensitive-readable and sortable.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

var idMu sync.Mutex
var idLastMS uint64
var idLastRand [10]byte

// NewID returns prefix + a 26-character identifier that sorts by creation
// time (48-bit milliseconds, then 80 random bits, ULID-style). Within one
// millisecond the random part is incremented, so IDs made by one process
// sort in creation order; cursor pagination relies on that.
func NewID(prefix string) string {
	ms := uint64(time.Now().UnixMilli())
	idMu.Lock()
	var r [10]byte
	if ms <= idLastMS {
		ms = idLastMS
		r = idLastRand
		for i := len(r) - 1; i >= 0; i-- {
			r[i]++
			if r[i] != 0 {
				break
			}
		}
	} else {
		_, _ = rand.Read(r[:])
	}
	idLastMS, idLastRand = ms, r
	idMu.Unlock()

	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:8], ms<<16)
	copy(raw[6:], r[:])
	var b strings.Builder
	b.Grow(len(prefix) + 26)
	b.WriteString(prefix)
	// 128 bits as 26 base32 digits, most significant first.
	hi := binary.BigEndian.Uint64(raw[:8])
	lo := binary.BigEndian.Uint64(raw[8:])
	var out [26]byte
	for i := 25; i >= 0; i-- {
		out[i] = idAlphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	b.Write(out[:])
	return b.String()
}

// HasPrefix reports whether id looks like an ID of the given prefix.
func HasPrefix(id, prefix string) bool {
	return strings.HasPrefix(id, prefix) && len(id) == len(prefix)+26
}
