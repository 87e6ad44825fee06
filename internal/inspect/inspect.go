// Package inspect is Hookline's request inspector, the built-in stand-in
// for requestbin: a bin is a URL, /bins/<token>, that accepts any request
// and stores it, so a webhook can be pointed at it and its deliveries read
// without a third-party site.
//
// Bins are Hookline's own endpoint, and the SSRF guard must not be opened
// to reach them: Transport answers requests for an existing bin of this
// server in process, without a connection, and Internal tells the webhook
// registry which URLs those are. Everything else still goes through the
// guarded dialer.
//
// Captured requests appear live: an in-process broker wakes the watchers of
// a bin when a request is stored, and watchers also poll the database, so
// requests captured by another instance sharing the database show up too.
package inspect

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/shutdown"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// Store is what the inspector needs from storage: all of the bin store.
type Store = store.BinStore

var _ Store = (store.Store)(nil)

// Defaults for zero Config fields.
const (
	DefaultMaxRequests  = 100
	DefaultMaxBody      = 256 << 10
	DefaultTTL          = 7 * 24 * time.Hour
	DefaultPollInterval = time.Second
	// maxRead bounds how much of a body is read to learn its size; past it
	// the request is refused with 413 (and still recorded, as truncated).
	maxRead = 32 << 20
	// MaxName bounds a bin's name.
	MaxName = 100
	// MaxRequestsLimit is the most requests a bin may be configured to keep.
	MaxRequestsLimit = 1000
)

// Config configures an Inspector.
type Config struct {
	Store Store
	// PublicURL is the base URL under which this server is reached, e.g.
	// https://hooks.example.com; bin URLs are PublicURL + "/bins/<token>".
	// Empty means http://localhost:<port of the request's Host>.
	PublicURL string
	// MaxRequests is how many of its newest requests a bin keeps.
	MaxRequests int
	// MaxBody is how many body bytes of a captured request are stored; the
	// full size is recorded either way.
	MaxBody int64
	// TTL is how long a bin lives after its creation.
	TTL time.Duration
	// PollInterval is how often watchers look in the database for requests
	// that another instance captured.
	PollInterval time.Duration
	// RedactCookie names a cookie whose value is never stored (the
	// dashboard session: a signed-in browser that opens a bin URL sends it).
	RedactCookie string
	// Forward is the client that forwards captured requests (the
	// SSRF-guarded one, with a timeout); nil disables forwarding. New
	// wraps its transport with Transport, so that a bin of this server is
	// answered in process.
	Forward *http.Client
	// Guard refuses forward URLs that the guarded client would refuse,
	// early and with a field error.
	Guard  interface{ CheckURL(raw string) error }
	Now    func() time.Time
	Logger *slog.Logger
}

// Inspector manages bins and captures their requests. It is safe for
// concurrent use.
type Inspector struct {
	cfg    Config
	base   *url.URL // nil when PublicURL is empty
	broker broker
	// lastSweep is the Unix time of the last opportunistic expiry sweep.
	lastSweep atomic.Int64
	// closing is closed by Close: custom response delays end.
	closing   chan struct{}
	closeOnce sync.Once
	timer     func(time.Duration) (<-chan time.Time, func() bool)
}

// New returns an Inspector. PublicURL, when set, must be an absolute
// http(s) URL.
func New(cfg Config) (*Inspector, error) {
	if cfg.MaxRequests <= 0 {
		cfg.MaxRequests = DefaultMaxRequests
	}
	if cfg.MaxRequests > MaxRequestsLimit {
		cfg.MaxRequests = MaxRequestsLimit
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	i := &Inspector{cfg: cfg, broker: broker{subs: map[string]map[chan struct{}]struct{}{}}, closing: make(chan struct{}),
		timer: realTimer}
	if cfg.PublicURL != "" {
		u, err := url.Parse(strings.TrimRight(cfg.PublicURL, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, errors.New("public URL must be an absolute http:// or https:// URL without query, e.g. https://hooks.example.com")
		}
		i.base = u
	}
	if cfg.Forward != nil {
		cfg.Forward.Transport = i.Transport(cfg.Forward.Transport)
	}
	return i, nil
}

// Config returns the effective configuration (defaults filled in).
func (i *Inspector) Config() Config { return i.cfg }

// Create makes a bin. An empty name gets a default.
func (i *Inspector) Create(ctx context.Context, name string) (bin.Bin, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "Bin " + i.cfg.Now().UTC().Format("2006-01-02 15:04")
	}
	if utf8.RuneCountInString(name) > MaxName {
		return bin.Bin{}, webhook.FieldError(webhook.EINVALID, "name", "must be at most %d characters", MaxName)
	}
	now := i.cfg.Now().UTC()
	// A bin belongs to the tenant of its maker, like a webhook: an
	// operator's bins are the default tenant's.
	tenant := auth.ScopeFrom(ctx).Tenant()
	if tenant == "" {
		tenant = webhook.DefaultTenant
	}
	b := bin.Bin{
		ID: webhook.NewID(bin.PrefixBin), Token: newToken(), Name: name, Tenant: tenant,
		CreatedAt: now, ExpiresAt: now.Add(i.cfg.TTL), MaxRequests: i.cfg.MaxRequests,
	}
	if err := i.cfg.Store.BinCreate(ctx, b); err != nil {
		return bin.Bin{}, err
	}
	return b, nil
}

// tokenEncoding spells tokens in lower-case base32 without padding: safe in
// a URL path and easy to read out.
var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// tokenLen is the length of a token: 20 random bytes (160 bits), so a bin
// URL cannot be guessed.
const tokenLen = 32

func newToken() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return tokenEncoding.EncodeToString(b[:])
}

func validToken(t string) bool {
	if len(t) != tokenLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// Get returns a live bin within the tenant scope of ctx's principal; an
// expired one is not found.
func (i *Inspector) Get(ctx context.Context, id string) (bin.Bin, error) {
	b, err := i.cfg.Store.BinGet(ctx, auth.ScopeFrom(ctx), id)
	if err != nil {
		return b, err
	}
	if !b.ExpiresAt.After(i.cfg.Now()) {
		return bin.Bin{}, &webhook.Error{Code: webhook.ENOTFOUND, Message: "bin not found (it may have expired)"}
	}
	return b, nil
}

// List returns the live bins within the tenant scope of ctx's principal,
// newest first. It also sweeps expired bins from storage now and then.
func (i *Inspector) List(ctx context.Context) ([]bin.Bin, error) {
	i.maybeSweep(ctx)
	all, err := i.cfg.Store.BinList(ctx, auth.ScopeFrom(ctx))
	if err != nil {
		return nil, err
	}
	now := i.cfg.Now()
	out := all[:0]
	for _, b := range all {
		if b.ExpiresAt.After(now) {
			out = append(out, b)
		}
	}
	return out, nil
}

// Delete removes a bin within the tenant scope of ctx's principal and what
// it captured.
func (i *Inspector) Delete(ctx context.Context, id string) error {
	return i.cfg.Store.BinDelete(ctx, auth.ScopeFrom(ctx), id)
}

// Requests returns the stored requests of a bin within the tenant scope of
// ctx's principal, newest first; a bin outside it is not found.
func (i *Inspector) Requests(ctx context.Context, binID string) ([]bin.Request, error) {
	if _, err := i.Get(ctx, binID); err != nil {
		return nil, err
	}
	return i.cfg.Store.BinRequestList(ctx, store.BinRequestListParams{
		Scope: auth.ScopeFrom(ctx), BinID: binID, Limit: MaxRequestsLimit})
}

// Request returns one captured request of a bin within the tenant scope of
// ctx's principal.
func (i *Inspector) Request(ctx context.Context, binID, id string) (bin.Request, error) {
	if _, err := i.Get(ctx, binID); err != nil {
		return bin.Request{}, err
	}
	r, err := i.cfg.Store.BinRequestGet(ctx, id)
	if err != nil {
		return r, err
	}
	if r.BinID != binID {
		return bin.Request{}, &webhook.Error{Code: webhook.ENOTFOUND, Message: "request not found"}
	}
	return r, nil
}

// Expire deletes the bins that have expired, with their requests, and
// returns how many. Call it from periodic maintenance; the inspector also
// sweeps opportunistically, and never serves an expired bin.
func (i *Inspector) Expire(ctx context.Context) (int, error) {
	now := i.cfg.Now()
	i.lastSweep.Store(now.Unix())
	return i.cfg.Store.BinExpire(ctx, now)
}

// maybeSweep runs Expire at most once a minute, on ordinary traffic.
func (i *Inspector) maybeSweep(ctx context.Context) {
	now := i.cfg.Now().Unix()
	last := i.lastSweep.Load()
	if now-last < 60 || !i.lastSweep.CompareAndSwap(last, now) {
		return
	}
	if _, err := i.cfg.Store.BinExpire(ctx, i.cfg.Now()); err != nil && ctx.Err() == nil {
		i.cfg.Logger.Warn("expiring request inspector bins failed", "err", err)
	}
}

// BaseURL is the URL bins are published under, for a dashboard request r
// (whose Host gives the port when no public URL is configured).
func (i *Inspector) BaseURL(r *http.Request) string {
	if i.base != nil {
		return i.base.String()
	}
	port := "80"
	if r != nil {
		if _, p, err := splitHostPort(r.Host); err == nil && p != "" {
			port = p
		}
	}
	if port == "80" {
		return "http://localhost"
	}
	return "http://localhost:" + port
}

// URL is a bin's public URL.
func (i *Inspector) URL(r *http.Request, b bin.Bin) string {
	return i.BaseURL(r) + "/bins/" + b.Token
}

func splitHostPort(hostport string) (string, string, error) {
	if !strings.Contains(hostport, ":") || strings.HasSuffix(hostport, "]") {
		return strings.Trim(hostport, "[]"), "", nil
	}
	u := url.URL{Host: hostport}
	return u.Hostname(), u.Port(), nil
}

// Register mounts the capture endpoint: /bins/<token> and anything below
// it, any method. It is public by design (senders have no session) and
// must not sit behind CSRF protection.
func (i *Inspector) Register(mux *http.ServeMux) {
	mux.Handle("/bins/{token}", i)
	mux.Handle("/bins/{token}/{rest...}", i)
}

// ServeHTTP captures a request sent to a bin.
func (i *Inspector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := tokenFromPath(r.URL.Path)
	if !ok {
		plain(w, http.StatusNotFound, "no such bin\n")
		return
	}
	b, err := i.byToken(r.Context(), token)
	if err != nil {
		if webhook.ErrorCode(err) == webhook.ENOTFOUND {
			plain(w, http.StatusNotFound, "no such bin (it may have expired)\n")
			return
		}
		i.cfg.Logger.Error("looking up a bin failed", "err", err)
		plain(w, http.StatusServiceUnavailable, "the request inspector is unavailable; try again shortly\n")
		return
	}
	// Registered before the request is stored, so that a shutdown that
	// begins while a custom response waits finds it listening.
	stop := shutdown.Signal(r)
	i.capture(w, r, b, r.RemoteAddr, stop)
}

// byToken returns the live bin with that token.
func (i *Inspector) byToken(ctx context.Context, token string) (bin.Bin, error) {
	if !validToken(token) {
		return bin.Bin{}, webhook.ErrNotFound
	}
	b, err := i.cfg.Store.BinByToken(ctx, token)
	if err != nil {
		return b, err
	}
	if !b.ExpiresAt.After(i.cfg.Now()) {
		return bin.Bin{}, webhook.ErrNotFound
	}
	return b, nil
}

// tokenFromPath returns the token of /bins/<token>[/...].
func tokenFromPath(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/bins/")
	if !ok {
		return "", false
	}
	token, _, _ := strings.Cut(rest, "/")
	return token, validToken(token)
}

// capture stores r and answers it; stop, when not nil, is closed when the
// server begins shutting down.
func (i *Inspector) capture(w http.ResponseWriter, r *http.Request, b bin.Bin, remote string, stop <-chan struct{}) {
	body, size, complete, err := readCapped(r.Body, i.cfg.MaxBody, maxRead)
	if err != nil && complete {
		// The body broke off: record what arrived.
		i.cfg.Logger.Debug("reading a captured request body failed", "err", err)
	}
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if r.Host != "" {
		h.Set("Host", r.Host)
	}
	if i.cfg.RedactCookie != "" {
		redactCookie(h, i.cfg.RedactCookie)
	}
	target := r.RequestURI
	if target == "" {
		target = r.URL.RequestURI()
	}
	status := http.StatusOK
	switch {
	case !complete:
		status = http.StatusRequestEntityTooLarge
	case b.Response != nil:
		status = b.Response.Status
	}
	req := bin.Request{
		ID: webhook.NewID(bin.PrefixRequest), BinID: b.ID, Method: r.Method, Target: target, Proto: r.Proto,
		Path: r.URL.Path, Query: r.URL.RawQuery, Headers: h, Body: body, Size: size,
		Truncated: int64(len(body)) < size, RemoteAddr: remote, ReceivedAt: i.cfg.Now().UTC(),
		Answered: status,
	}
	// Stored even if the sender went away: the record is the point.
	if err := i.cfg.Store.BinRequestAdd(context.WithoutCancel(r.Context()), req); err != nil {
		if webhook.ErrorCode(err) == webhook.ENOTFOUND {
			plain(w, http.StatusNotFound, "no such bin (it may have expired)\n")
			return
		}
		i.cfg.Logger.Error("storing a captured request failed", "bin_id", b.ID, "err", err)
		plain(w, http.StatusServiceUnavailable, "the request inspector is unavailable; try again shortly\n")
		return
	}
	i.broker.publish(b.ID)
	i.maybeSweep(r.Context())
	if !complete {
		plain(w, http.StatusRequestEntityTooLarge, "request body too large; its first bytes were recorded\n")
		return
	}
	if b.Response != nil {
		i.answer(w, r, b.Response, stop)
		return
	}
	out, _ := json.Marshal(map[string]any{"ok": true, "request_id": req.ID})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)+1))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(append(out, '\n'))
	}
}

// readCapped reads up to limit bytes of body, keeping the first keep of
// them, and returns the kept bytes, the number of bytes read, and whether
// the body ended within limit.
func readCapped(body io.Reader, keep, limit int64) ([]byte, int64, bool, error) {
	if body == nil {
		return nil, 0, true, nil
	}
	kept, err := io.ReadAll(io.LimitReader(body, keep))
	size := int64(len(kept))
	if err != nil {
		return kept, size, true, err
	}
	n, err := io.Copy(io.Discard, io.LimitReader(body, limit-keep+1))
	size += n
	if size > limit {
		return kept, limit, false, nil
	}
	return kept, size, true, err
}

// redactCookie replaces the value of the named cookie in h's Cookie
// headers.
func redactCookie(h http.Header, name string) {
	vals := h.Values("Cookie")
	if len(vals) == 0 {
		return
	}
	out := make([]string, 0, len(vals))
	for _, line := range vals {
		parts := strings.Split(line, ";")
		for j, p := range parts {
			k, _, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && k == name {
				parts[j] = " " + name + "=[redacted]"
				if j == 0 {
					parts[j] = name + "=[redacted]"
				}
			}
		}
		out = append(out, strings.Join(parts, ";"))
	}
	h["Cookie"] = out
}

func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, msg)
}

// Internal reports whether rawURL is a bin of this server: this server's
// public host (or a loopback host, which is where a default localhost
// public URL points) and the path of an existing bin. Such URLs are served
// in process by Transport, so the webhook registry may accept them without
// opening the SSRF guard to loopback.
func (i *Inspector) Internal(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, ok := i.match(ctx, u)
	return ok
}

// match returns the bin that u addresses, if u is this server's bin URL.
func (i *Inspector) match(ctx context.Context, u *url.URL) (bin.Bin, bool) {
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return bin.Bin{}, false
	}
	p := u.Path
	switch {
	case i.base != nil && sameHost(u, i.base):
		rest, ok := strings.CutPrefix(p, strings.TrimRight(i.base.Path, "/"))
		if !ok {
			return bin.Bin{}, false
		}
		p = rest
	case isLoopback(u.Hostname()):
	default:
		return bin.Bin{}, false
	}
	token, ok := tokenFromPath(p)
	if !ok {
		return bin.Bin{}, false
	}
	b, err := i.byToken(ctx, token)
	if err != nil {
		return bin.Bin{}, false
	}
	return b, true
}

func sameHost(a, b *url.URL) bool {
	return strings.EqualFold(a.Hostname(), b.Hostname()) && portOf(a) == portOf(b)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

func isLoopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// broker wakes the watchers of a bin when a request is stored.
type broker struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

func (b *broker) subscribe(binID string) (chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	if b.subs[binID] == nil {
		b.subs[binID] = map[chan struct{}]struct{}{}
	}
	b.subs[binID][ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs[binID], ch)
		if len(b.subs[binID]) == 0 {
			delete(b.subs, binID)
		}
		b.mu.Unlock()
	}
}

func (b *broker) publish(binID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[binID] {
		select {
		case ch <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

// Watch calls emit with the bin's requests newer than afterID, oldest
// first, as they arrive, until ctx ends or emit fails. New requests are
// noticed at once when this instance captured them, and within the poll
// interval when another instance did. The database is the source of truth:
// a wake-up only says "look now".
func (i *Inspector) Watch(ctx context.Context, binID, afterID string, emit func([]bin.Request) error) error {
	wake, cancel := i.broker.subscribe(binID)
	defer cancel()
	t := time.NewTicker(i.cfg.PollInterval)
	defer t.Stop()
	last := afterID
	for {
		reqs, err := i.cfg.Store.BinRequestList(ctx, store.BinRequestListParams{
			Scope: auth.ScopeFrom(ctx), BinID: binID, AfterID: last, Limit: MaxRequestsLimit})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			i.cfg.Logger.Warn("polling a bin failed", "bin_id", binID, "err", err)
		} else if len(reqs) > 0 {
			// Newest first from the store; emit oldest first.
			for l, r := 0, len(reqs)-1; l < r; l, r = l+1, r-1 {
				reqs[l], reqs[r] = reqs[r], reqs[l]
			}
			if err := emit(reqs); err != nil {
				return err
			}
			last = reqs[len(reqs)-1].ID
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-t.C:
		}
	}
}
