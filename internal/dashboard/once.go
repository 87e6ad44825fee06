package dashboard

import (
	"crypto/rand"
	"sync"
	"time"
)

// formOnce remembers which one-shot forms were already sent, by the random
// token each render of the form carries, so that sending one again (a
// reload of the answer page, a double click, the browser's back and
// resubmit) does not make a second API key. It lives in this process:
// behind a load balancer, a resend that reaches another instance is not
// caught.
type formOnce struct {
	mu   sync.Mutex
	seen map[string]formSent
}

// formSent is what a sent form made.
type formSent struct {
	ID string
	At time.Time
}

// onceTTL is how long a sent form is remembered: longer than anyone
// reloads an answer page, short enough to keep the map small.
const onceTTL = time.Hour

// newFormToken returns a token for one render of a one-shot form.
func newFormToken() string { return rand.Text() }

// sent returns what the form with token made, if it was sent before.
func (o *formOnce) sent(token string, now time.Time) (formSent, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s, ok := o.seen[token]
	return s, ok && now.Sub(s.At) < onceTTL
}

// record remembers that the form with token made id.
func (o *formOnce) record(token, id string, now time.Time) {
	if token == "" {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen == nil {
		o.seen = make(map[string]formSent)
	}
	if len(o.seen) >= 10000 {
		for k, s := range o.seen {
			if now.Sub(s.At) >= onceTTL {
				delete(o.seen, k)
			}
		}
	}
	o.seen[token] = formSent{ID: id, At: now}
}
