package deliver

import (
	"context"
	"io"
	"net"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hookline/hookline/internal/webhook"
)

// Check validates the configuration of one destination type, recording
// each problem in v at its place under at (the request's "destination"
// member): at.Key("url"), at.Key("exchange")… Checks never touch the
// network; the registry applies the egress guard to the URL's host.
type Check func(d webhook.Destination, at webhook.Loc, v *webhook.Validation)

var checks = map[string]Check{}

// RegisterCheck sets the configuration check of destination type key,
// from the init function of the package that registers its sender. A type
// without one (HTTP) takes no configuration beyond its type.
func RegisterCheck(key string, c Check) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := checks[key]; dup {
		panic("deliver: destination check registered twice: " + key)
	}
	checks[key] = c
}

// CheckDestination runs the check of d's type, if it has one.
func CheckDestination(d webhook.Destination, at webhook.Loc, v *webhook.Validation) {
	registryMu.Lock()
	c := checks[d.Type]
	registryMu.Unlock()
	if c != nil {
		c(d, at, v)
	}
}

// MaxDestinationField bounds the names a destination configuration holds
// (exchange, routing key, subject, stream, topic) and its URL.
const MaxDestinationField = 1024

// CheckBrokerURL checks a destination's broker URL at at.Key("url"): one of
// schemes, a host, a port in range, no fragment. It returns the URL when
// it is usable, nil otherwise.
func CheckBrokerURL(raw string, schemes []string, at webhook.Loc, v *webhook.Validation) *url.URL {
	at = at.Key("url")
	if raw == "" {
		v.Add(webhook.EINVALID, at, "is required")
		return nil
	}
	if len(raw) > MaxDestinationField {
		v.Add(webhook.EINVALID, at, "must be at most %d bytes long", MaxDestinationField)
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" {
		v.Add(webhook.EINVALID, at, "is not a valid URL")
		return nil
	}
	if !slices.Contains(schemes, u.Scheme) {
		v.Add(webhook.EINVALID, at, "scheme must be one of %q", schemes)
		return nil
	}
	if u.Hostname() == "" {
		v.Add(webhook.EINVALID, at, "must include a host")
		return nil
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			v.Add(webhook.EINVALID, at, "port must be between 1 and 65535")
			return nil
		}
	}
	if u.Fragment != "" {
		v.Add(webhook.EINVALID, at, "must not include a fragment")
		return nil
	}
	return u
}

// CheckName checks a required or optional name of a destination (a
// subject, a stream key) at at.Key(key).
func CheckName(val string, required bool, at webhook.Loc, key string, v *webhook.Validation) {
	switch {
	case val == "" && required:
		v.Add(webhook.EINVALID, at.Key(key), "is required")
	case len(val) > MaxDestinationField:
		v.Add(webhook.EINVALID, at.Key(key), "must be at most %d bytes long", MaxDestinationField)
	}
}

// Message is what a broker destination publishes for one attempt: the
// body an HTTP webhook would receive and the Standard Webhooks headers
// (webhook-id, webhook-timestamp, webhook-signature, webhook-event, and
// the webhook's custom headers), which each sender carries as message
// headers or properties where its protocol has them, so that consumers
// verify the signature exactly as HTTP receivers do.
type Message struct {
	Body    []byte
	Headers map[string]string
}

// NewMessage builds t's message, signed at start (t.Start when set), and starts its attempt
// record with what was sent (secret header values masked).
func NewMessage(t Task, start time.Time, target string) (Message, webhook.Attempt) {
	start = startTime(t, start)
	body, custom, contentType := webhook.Body(t.Webhook.Format, t.Event), t.Webhook.Headers, "application/json"
	if t.Shaped != nil {
		body, _, _, custom, contentType = shaped(t.Shaped)
	}
	h := make(map[string]string, 5+len(custom))
	for k, v := range custom {
		h[k] = v
	}
	h["content-type"] = contentType
	h["webhook-id"] = t.Event.ID
	h["webhook-timestamp"] = strconv.FormatInt(start.Unix(), 10)
	h["webhook-event"] = t.Event.Type
	if t.Signer != nil {
		h["webhook-signature"] = t.Signer.Sign(t.Event.ID, start, body)
	}
	a := newAttempt(t, start)
	a.URL, a.RequestBody, a.RequestBodyOf = target, body, bodyOf(t)
	hh := make(map[string][]string, len(h))
	for k, v := range h {
		hh[k] = []string{v}
	}
	a.RequestHeaders = webhook.MaskHeaders(hh, t.Webhook.SecretHeaders)
	return Message{Body: body, Headers: h}, a
}

// Finish completes a broker attempt: its duration from start, and on err
// its class, message and answer (as classify reads err); on success the
// broker's answer.
func Finish(a *webhook.Attempt, start, now time.Time, answer string, err error, classify func(error) (webhook.ErrorClass, string)) {
	a.DurationMS = ms(now.Sub(start))
	if err == nil {
		a.Answer = answer
		return
	}
	a.ErrorClass, a.Error = classify(err)
	a.Answer = a.ErrorClass.Answer()
}

// BrokerVerdict reads a broker attempt: delivered when it has no error
// class; otherwise retried on the schedule, and counted toward the
// breaker when the broker looks down (unreachable, timing out). A refused
// message or refused credentials are retried too, not failed: both are
// fixed by changing the broker or the webhook, after which the pending
// deliveries go through; the schedule bounds the retries either way.
func BrokerVerdict(a *webhook.Attempt) Verdict {
	if a.ErrorClass == webhook.ErrClassNone {
		return Verdict{Kind: Delivered}
	}
	return Verdict{Kind: Retry, Reason: a.Error, Down: down(a)}
}

// Pool keeps one connection per key (a destination URL), for reuse by
// every attempt to it, and at most Max of them: beyond that the oldest is
// closed. A connection found broken is dropped with Drop and dialled again
// by the next attempt. Attempts that say which webhook they are for
// (Acquire) let the pool close a connection as soon as no webhook uses it
// any more (Release, or a webhook seen on another key); a connection no
// attempt used for Idle is closed too (checked every Idle and at each
// attempt): the backstop for webhooks changed on another instance.
type Pool[C io.Closer] struct {
	// Max bounds the open connections; 0 means 64.
	Max int
	// Idle is how long an unused connection stays open; 0 means 5 minutes.
	Idle time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Dial opens a connection for key.
	Dial func(ctx context.Context, key string) (C, error)
	// Alive, when set, reports whether a kept connection is still open:
	// Get replaces one that is not, so a broker that closed it (a restart,
	// a cut) costs no failed attempt once it is back.
	Alive func(C) bool

	mu    sync.Mutex
	conns map[string]*pooled[C]
	order []string
	// users maps each webhook that acquired a connection to its key.
	users map[string]string
	// sweep closes idle connections even when no attempt comes.
	sweep *time.Timer
}

type pooled[C io.Closer] struct {
	once sync.Once
	conn C
	err  error
	// Guarded by Pool.mu:
	used     time.Time
	users    map[string]bool // the webhooks sending through it
	inflight int             // attempts under way (Acquire … release)
	retired  bool            // out of the pool: closed when inflight is 0
}

// Acquire is Get for an attempt of webhook user, which must call release
// when the attempt is over. The pool remembers which webhooks use each
// connection: when a webhook acquires another key than before (its
// destination changed, seen on whichever instance sends its next
// attempt) or is Released (changed or deleted here), a connection left
// with no webhook is closed at once, after the attempts under way on it.
func (p *Pool[C]) Acquire(ctx context.Context, user, key string) (conn C, release func(), err error) {
	p.mu.Lock()
	if p.users == nil {
		p.users = map[string]string{}
	}
	if prev, ok := p.users[user]; ok && prev != key {
		p.unbind(user, prev)
	}
	p.users[user] = key
	p.mu.Unlock()
	c, err := p.Get(ctx, key)
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.conns[key]
	if err != nil || e == nil || any(e.conn) != any(c) {
		// Failed, or already dropped: nothing to count.
		return c, func() {}, err
	}
	if e.users == nil {
		e.users = map[string]bool{}
	}
	e.users[user] = true
	e.inflight++
	var once sync.Once
	return c, func() {
		once.Do(func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			e.inflight--
			if e.retired && e.inflight == 0 {
				go e.close()
			}
		})
	}, nil
}

// Release forgets webhook user, whose destination changed or which went
// away: its connection is closed if no other webhook uses it.
func (p *Pool[C]) Release(user string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if key, ok := p.users[user]; ok {
		p.unbind(user, key)
	}
}

// unbind removes user from key's connection, retiring the connection
// when no webhook is left on it. p.mu is held.
func (p *Pool[C]) unbind(user, key string) {
	delete(p.users, user)
	e := p.conns[key]
	if e == nil {
		return
	}
	delete(e.users, user)
	if len(e.users) == 0 {
		delete(p.conns, key)
		p.order = slices.DeleteFunc(p.order, func(k string) bool { return k == key })
		p.retire(e)
	}
}

// retire closes e once no attempt is under way on it. p.mu is held.
func (p *Pool[C]) retire(e *pooled[C]) {
	e.retired = true
	if e.inflight == 0 {
		go func() {
			// Wait for a dial still under way, then close what it made.
			e.once.Do(func() { e.err = net.ErrClosed })
			e.close()
		}()
	}
}

// Get returns key's connection, dialling it if there is none. Attempts to
// one key wait for one dial rather than each dialling.
func (p *Pool[C]) Get(ctx context.Context, key string) (C, error) {
	p.mu.Lock()
	if p.conns == nil {
		p.conns = map[string]*pooled[C]{}
	}
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	p.closeIdle(now)
	e, ok := p.conns[key]
	if !ok {
		e = &pooled[C]{}
		p.conns[key] = e
		p.order = append(p.order, key)
		max := p.Max
		if max <= 0 {
			max = 64
		}
		for len(p.order) > max {
			oldest := p.order[0]
			p.order = p.order[1:]
			if old := p.conns[oldest]; old != nil {
				delete(p.conns, oldest)
				p.retire(old) // closing may wait on the network
			}
		}
	}
	e.used = now
	if p.sweep == nil {
		p.sweep = time.AfterFunc(p.idle(), p.sweepIdle)
	}
	p.mu.Unlock()
	e.once.Do(func() { e.conn, e.err = p.Dial(ctx, key) })
	if e.err != nil {
		p.drop(key, e)
		return e.conn, e.err
	}
	if p.Alive != nil && !p.Alive(e.conn) && ok {
		// Found dead: dial a new one, once (a fresh dial is not retried).
		p.Drop(key, e.conn)
		return p.Get(ctx, key)
	}
	return e.conn, e.err
}

func (p *Pool[C]) idle() time.Duration {
	if p.Idle <= 0 {
		return 5 * time.Minute
	}
	return p.Idle
}

// sweepIdle closes idle connections every Idle while any is open: a
// connection left by a webhook changed or deleted on another instance is
// closed even when no attempt of its type comes any more.
func (p *Pool[C]) sweepIdle() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	p.closeIdle(now)
	if len(p.conns) > 0 && p.sweep != nil {
		p.sweep.Reset(p.idle())
	} else {
		p.sweep = nil
	}
}

// closeIdle closes the connections unused for Idle. p.mu is held.
func (p *Pool[C]) closeIdle(now time.Time) {
	idle := p.idle()
	for key, e := range p.conns {
		if now.Sub(e.used) > idle && e.inflight == 0 {
			delete(p.conns, key)
			p.order = slices.DeleteFunc(p.order, func(k string) bool { return k == key })
			p.retire(e)
		}
	}
}

// Drop closes and forgets key's connection if it is still conn.
func (p *Pool[C]) Drop(key string, conn C) {
	p.mu.Lock()
	e := p.conns[key]
	p.mu.Unlock()
	if e != nil && e.err == nil && any(e.conn) == any(conn) {
		p.drop(key, e)
		e.close()
	}
}

func (p *Pool[C]) drop(key string, e *pooled[C]) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns[key] == e {
		delete(p.conns, key)
		p.order = slices.DeleteFunc(p.order, func(k string) bool { return k == key })
	}
}

func (e *pooled[C]) close() {
	if e.err == nil {
		e.conn.Close()
	}
}

// Close closes every connection.
func (p *Pool[C]) Close() error {
	p.mu.Lock()
	conns := p.conns
	p.conns, p.order, p.users = nil, nil, nil
	if p.sweep != nil {
		p.sweep.Stop()
		p.sweep = nil
	}
	p.mu.Unlock()
	for _, e := range conns {
		e.once.Do(func() { e.err = net.ErrClosed })
		e.close()
	}
	return nil
}
