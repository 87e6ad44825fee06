package auth

import (
	"math"
	"sync"
	"time"
)

// Limiter is a token bucket per key (an API key, a client address): each
// key may make Rate requests per second on average with bursts of Burst.
// A zero Rate disables it.
type Limiter struct {
	rate, burst float64
	now         func() time.Time
	mu          sync.Mutex
	buckets     map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewLimiter returns a Limiter; now is time.Now outside tests.
func NewLimiter(rate float64, burst int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if burst < 1 {
		burst = int(math.Max(1, rate))
	}
	return &Limiter{rate: rate, burst: float64(burst), now: now, buckets: make(map[string]*bucket)}
}

// Wait reports how long until key has a token, without taking one: zero
// when it has one now (or the limiter is off).
func (l *Limiter) Wait(key string) time.Duration {
	if l == nil || l.rate <= 0 {
		return 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		return 0
	}
	tokens := math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / l.rate * float64(time.Second))
}

// Unknown API keys per client address (see api.Config.UnknownKeys): a
// burst of UnknownKeyBurst, then UnknownKeyRate a second. A client with a
// wrong key learns it from the first 401; the limit is for guessing and
// for floods of lookups that cannot succeed.
const (
	UnknownKeyRate  = 1.0
	UnknownKeyBurst = 30
)

// Allow takes a token for key. When none is left it returns false and how
// long until one is.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l == nil || l.rate <= 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) > 100000 {
			clear(l.buckets)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}
