// Package store is Hookline's storage contract. Each backend (sqlite,
// postgres) implements Store with its own SQL; storetest holds the
// conformance suite every backend must pass. Rows become the types of the
// packages that own them at this edge (webhook for the delivery domain,
// auth for keys, users and sessions, audit for the audit log, inspect/bin
// for the request inspector), and a missing row is webhook.ErrNotFound.
//
// The reads and writes that a tenant's principal makes (webhooks, events,
// deliveries, attempts, bins, keys, the audit log; by ID or in lists) take
// the principal's auth.Scope: a row of
// a tenant outside it is not found, exactly like a missing one, so no
// caller has to remember to compare tenants. Work done for no tenant (the
// dispatcher) passes auth.AllTenants().
package store

import (
	"context"
	"time"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/inspect/bin"
	"github.com/hookline/hookline/internal/webhook"
)

// Store is everything Hookline persists. Methods are safe for concurrent use.
// Time-dependent methods take the current time in their parameters so tests
// can control the clock.
type Store interface {
	EventTypeStore
	WebhookStore
	TenantStore
	EventStore
	DeliveryStore
	APIKeyStore
	BinStore
	AuditStore
	UserStore
	auth.PortalStore
	MaintenanceStore
	InstanceStore
	AlertStore
	StatsStore
	// Ping reports whether the backend is reachable (readiness).
	Ping(ctx context.Context) error
	// Close releases the backend; pending group commits are flushed first.
	Close() error
}

// EventTypeStore keeps the catalog.
type EventTypeStore interface {
	EventTypeList(ctx context.Context) ([]webhook.EventType, error)
	EventTypeGet(ctx context.Context, slug string) (webhook.EventType, error)
	// EventTypeCreate returns an ECONFLICT error when the slug exists.
	EventTypeCreate(ctx context.Context, et webhook.EventType) error
	// EventTypeUpdate stores the name, description, example, schema and
	// deprecated flag of et (found by slug; ENOTFOUND when none).
	EventTypeUpdate(ctx context.Context, et webhook.EventType) error
	// EventTypeSeed inserts the types whose slugs are not stored yet and
	// leaves existing ones (possibly edited by a user) alone.
	EventTypeSeed(ctx context.Context, types []webhook.EventType) error
}

// WebhookStore keeps endpoints and their secrets.
type WebhookStore interface {
	// WebhookCreate stores w (ID, timestamps set by the caller) with its
	// first signing secret. An empty destination type is stored as
	// webhook.DestinationHTTP (see DestinationType). A tenant without a
	// row gets one in the same write, so every webhook's tenant exists.
	WebhookCreate(ctx context.Context, w webhook.Webhook, secret string) error
	// WebhookGet returns the webhook with that ID. Like every read and
	// write by ID that takes a Scope, it answers ENOTFOUND for a row of a
	// tenant outside scope: to a tenant, another's webhook does not exist.
	WebhookGet(ctx context.Context, scope auth.Scope, id string) (webhook.Webhook, error)
	// WebhookList lists the webhooks within p.Scope.
	WebhookList(ctx context.Context, p WebhookListParams) (WebhookPage, error)
	// WebhookUpdate replaces the editable fields of the stored webhook with
	// w's (name, url, description, events, active, headers, secret
	// headers, format, integration, destination, disabled reason,
	// updated_at), when the webhook is in scope.
	WebhookUpdate(ctx context.Context, scope auth.Scope, w webhook.Webhook) error
	// WebhookDelete removes the webhook; its pending deliveries are
	// failed and no new ones are made.
	WebhookDelete(ctx context.Context, scope auth.Scope, id string) error
	// WebhookDisable turns a webhook in scope off with a reason (410,
	// failing).
	WebhookDisable(ctx context.Context, scope auth.Scope, id, reason string, now time.Time) error
	// WebhookSecrets returns the secrets that sign requests at now of a
	// webhook in scope: the current one first, then a previous one still
	// inside its overlap.
	WebhookSecrets(ctx context.Context, scope auth.Scope, id string, now time.Time) ([]webhook.Secret, error)
	// WebhookRotateSecret makes secret current for a webhook in scope; the
	// old current one keeps signing until previousUntil.
	WebhookRotateSecret(ctx context.Context, scope auth.Scope, id, secret string, previousUntil time.Time) error
	// WebhookFailingSince lists active webhooks failing since before t.
	WebhookFailingSince(ctx context.Context, t time.Time) ([]webhook.Webhook, error)
}

// WebhookListParams filters and pages the webhook list. Pages run from the
// newest webhook to the oldest.
type WebhookListParams struct {
	// Scope limits the list to the tenants it reaches (the zero Scope
	// lists nothing); Tenant narrows it further.
	Scope     auth.Scope
	Tenant    string // "" = every tenant in Scope
	EventType string // only webhooks subscribed to it (directly or by "*")
	Active    *bool
	Search    string // substring of name or URL
	Cursor    string // the Next of the previous page
	Limit     int
}

// WebhookPage is one page of webhooks.
type WebhookPage struct {
	Webhooks []webhook.Webhook
	Next     string // "" when this is the last page
}

// TenantStore keeps tenants. Their reads fill in the counts of webhooks
// and failing webhooks.
type TenantStore interface {
	// TenantCreate stores t (timestamps set by the caller); ECONFLICT when
	// the ID is taken.
	TenantCreate(ctx context.Context, t webhook.Tenant) error
	TenantGet(ctx context.Context, id string) (webhook.Tenant, error)
	TenantList(ctx context.Context, p TenantListParams) (TenantPage, error)
	// TenantUpdate replaces the name, contact email, branding, metadata and
	// updated_at of the stored tenant with t's.
	TenantUpdate(ctx context.Context, t webhook.Tenant) error
	// TenantDelete removes the tenant. While it has webhooks it refuses
	// with ECONFLICT, unless Cascade: then its webhooks go in the same
	// write, their pending deliveries failed as WebhookDelete fails them,
	// and their IDs are returned. The tenant's API keys are revoked in the
	// same write, so a key never outlives its tenant (and does not come
	// back to life when the tenant is created anew); its portal links and
	// sessions are deleted, for the same reason. Events and deliveries
	// keep their tenant string; publishing to it again creates the tenant
	// anew.
	TenantDelete(ctx context.Context, p TenantDeleteParams) (deletedWebhooks []string, err error)
}

// TenantListParams filters and pages the tenant list, in ID order.
type TenantListParams struct {
	Search string // case-insensitive substring of ID or name
	Cursor string // the Next of the previous page
	Limit  int
}

// TenantPage is one page of tenants.
type TenantPage struct {
	Tenants []webhook.Tenant
	Next    string // "" when this is the last page
}

// TenantDeleteParams says which tenant to delete and whether its webhooks
// go with it.
type TenantDeleteParams struct {
	ID      string
	Cascade bool
	Now     time.Time
}

// EventStore keeps published events.
type EventStore interface {
	// EventCreate stores the event and one pending delivery for every active
	// webhook of its tenant subscribed to its type, atomically and durably
	// before it returns. The event's tenant gets a row in the same write
	// when it has none, unless TenantMustExist (then EUNPROCESSABLE). With an idempotency key already used since
	// IdempotencySince, it stores nothing and returns the original event
	// with Duplicate set.
	EventCreate(ctx context.Context, p EventCreateParams) (EventCreateResult, error)
	EventGet(ctx context.Context, scope auth.Scope, id string) (webhook.Event, error)
	// EventList lists the events within p.Scope.
	EventList(ctx context.Context, p EventListParams) (EventPage, error)
	// EventSamples returns up to limit recent events of a type and tenant,
	// newest first; none when the tenant is outside scope.
	EventSamples(ctx context.Context, scope auth.Scope, tenant, eventType string, limit int) ([]webhook.Event, error)
}

// EventCreateParams is an event to store.
type EventCreateParams struct {
	Event            webhook.Event
	IdempotencySince time.Time
	// TenantMustExist refuses an event of a tenant that has no row
	// (--tenants-strict) instead of creating the row.
	TenantMustExist bool
	// Lease, when set, leases the new deliveries to the caller so it can
	// hand them to its dispatcher straight after commit, without another
	// write (see LeaseRequest).
	Lease *LeaseRequest
}

// LeaseRequest asks EventCreate to lease the new deliveries to
// Lease.Owner until Lease.Until. With Shards > 1 only deliveries to
// webhooks of shard Shard are leased (see DeliveryClaimParams); the others
// are left for their shard's owner to claim. Skip names webhooks whose
// deliveries are not leased even in the caller's shard (its in-memory
// queue for them is full): they wait in the database, unleased, for a
// claim when there is room.
type LeaseRequest struct {
	Lease  Lease
	Shards int
	Shard  int
	Skip   []string
}

// EventCreateResult is what EventCreate stored (or found).
type EventCreateResult struct {
	Event      webhook.Event
	Deliveries []webhook.Delivery
	// Duplicate is set when the idempotency key matched an earlier event;
	// Event is then that event and Deliveries its deliveries.
	Duplicate bool
	// Leased are the new deliveries leased to the requester, as tasks
	// ready for its dispatcher.
	Leased []Task
}

// EventListParams filters and pages the event list, newest first.
type EventListParams struct {
	// Scope limits the list to the tenants it reaches (the zero Scope
	// lists nothing); Tenant narrows it further.
	Scope  auth.Scope
	Tenant string
	Type   string
	Cursor string
	Limit  int
}

// EventPage is one page of events with per-event delivery counts.
type EventPage struct {
	Events []EventSummary
	Next   string
}

// EventSummary is an event with the states of its deliveries.
type EventSummary struct {
	webhook.Event
	Deliveries map[webhook.DeliveryStatus]int `json:"deliveries"`
}

// DeliveryStore is the delivery queue and attempt log.
type DeliveryStore interface {
	DeliveryGet(ctx context.Context, scope auth.Scope, id string) (webhook.Delivery, error)
	// DeliveryList lists the deliveries within p.Scope.
	DeliveryList(ctx context.Context, p DeliveryListParams) (DeliveryPage, error)
	// DeliveryClaim leases up to Limit pending deliveries that are due at Now
	// and not leased by anyone (or whose lease ran out), skipping the
	// webhooks in ExcludeWebhooks: those that came due at or after
	// RecentSince first, newest first, then the rest oldest due first. The
	// tasks come back in that order.
	DeliveryClaim(ctx context.Context, p DeliveryClaimParams) ([]Task, error)
	// DeliveryReleaseLeases makes the deliveries leased by owner ("" = by
	// anyone) due at now again. A process that owns the data alone (SQLite)
	// calls it at start, so work in flight when it died resumes at once.
	DeliveryReleaseLeases(ctx context.Context, owner string, now time.Time) (int, error)
	// LeaseRenew moves the lease end of the given deliveries to until,
	// each only while it still holds exactly its Lease (fenced), and
	// returns the IDs renewed.
	LeaseRenew(ctx context.Context, held []Held, until time.Time) ([]string, error)
	// LeaseRelease makes the given deliveries due at now and unleased, each
	// only while it still holds exactly its Lease, and returns how many.
	LeaseRelease(ctx context.Context, held []Held, now time.Time) (int, error)
	// DeliveryNextDue returns the earliest time a pending delivery becomes
	// claimable (its next attempt, or the end of its lease), or the zero
	// time when nothing is pending.
	DeliveryNextDue(ctx context.Context) (time.Time, error)
	// AttemptRecord stores attempt results and moves their deliveries on, in
	// one durable write. Backends batch concurrent calls.
	AttemptRecord(ctx context.Context, results []AttemptResult) error
	// AttemptList returns the attempts of a delivery, oldest first; none
	// when the delivery's tenant is outside scope.
	AttemptList(ctx context.Context, scope auth.Scope, deliveryID string) ([]webhook.Attempt, error)
	// AttemptListByWebhook returns a webhook's recent attempts (tests too),
	// newest first; none when the webhook's tenant is outside scope.
	AttemptListByWebhook(ctx context.Context, scope auth.Scope, webhookID string, limit int) ([]webhook.Attempt, error)
	// DeliveryRetry makes a delivery pending and due at now whatever its
	// state; ENOTFOUND when missing or outside scope, ECONFLICT when it is
	// leased right now.
	DeliveryRetry(ctx context.Context, scope auth.Scope, id string, now time.Time) (webhook.Delivery, error)
	// WebhookReplay makes a new pending delivery, due at now, of every event
	// of the webhook's tenant and subscribed types since the given time;
	// ENOTFOUND when the webhook is missing or outside scope.
	WebhookReplay(ctx context.Context, scope auth.Scope, webhookID string, since, now time.Time) (int, error)
	// DeliveryRecover makes the webhook's deliveries that p selects
	// (failed, created in the window, of the given types) pending and due
	// at p.Now with the whole retry schedule again (webhook.Delivery's
	// RetryBase), and returns how many; with DryRun it changes nothing and
	// returns how many it would. It works in writes of at most
	// RecoverBatch deliveries, so a large recovery never holds one long
	// transaction: when it fails part way, what it re-queued stays
	// re-queued, and running it again takes up the rest (a re-queued
	// delivery is no longer failed). ENOTFOUND when the webhook is missing
	// or outside p.Scope. A FIFO delivery keeps its sequence number: it
	// goes again before the later pending deliveries of its key, as one
	// retried by hand does.
	DeliveryRecover(ctx context.Context, p DeliveryRecoverParams) (int, error)
	// DeliveryCounts returns the number of deliveries in each state.
	DeliveryCounts(ctx context.Context) (map[webhook.DeliveryStatus]int64, error)
}

// RecoverBatch is the most deliveries one write of DeliveryRecover
// re-queues.
const RecoverBatch = 500

// DeliveryRecoverParams selects the deliveries DeliveryRecover re-queues.
type DeliveryRecoverParams struct {
	Scope     auth.Scope
	WebhookID string
	// Statuses are the states to take (only final ones make sense:
	// webhook.DeliveryFailed); none takes nothing.
	Statuses []webhook.DeliveryStatus
	// EventTypes, when not empty, keeps deliveries of these types only.
	EventTypes []string
	// Since and Until bound the deliveries' creation time: Since <=
	// created_at < Until.
	Since, Until time.Time
	DryRun       bool
	Now          time.Time
}

// DeliveryListParams filters and pages deliveries, newest first.
type DeliveryListParams struct {
	// Scope limits the list to the tenants it reaches (the zero Scope
	// lists nothing); Tenant narrows it further.
	Scope     auth.Scope
	Tenant    string
	WebhookID string
	EventID   string
	// Statuses keeps deliveries in any of these states; none means every
	// state.
	Statuses  []webhook.DeliveryStatus
	EventType string
	// Since and Until bound the creation time (Since <= created_at <
	// Until); a zero time leaves that side open.
	Since, Until time.Time
	// Query keeps the deliveries whose ID or event ID starts with it
	// (a whole ID finds exactly that one).
	Query  string
	Cursor string
	Limit  int
}

// DeliveryPage is one page of deliveries.
type DeliveryPage struct {
	Deliveries []webhook.Delivery
	Next       string
}

// DeliveryClaimParams selects work to lease.
type DeliveryClaimParams struct {
	// Lease is what the claimed deliveries are leased as.
	Lease           Lease
	Now             time.Time
	Limit           int
	ExcludeWebhooks []string
	// RecentSince, when set, puts the deliveries that came due since then
	// ahead of older ones, newest first: an endpoint back from an outage
	// gets the events published since before its backlog. Zero means
	// oldest due first throughout.
	RecentSince time.Time
	// Shards > 1 splits webhooks into that many shards by a stable hash of
	// their ID and claims only shard Shard, so that each webhook is served
	// by one instance and its concurrency limit holds across instances.
	// A backend used by a single process (SQLite) may ignore it.
	Shards int
	Shard  int
}

// Task is a leased delivery with the event it carries.
type Task struct {
	Delivery webhook.Delivery
	Event    webhook.Event
	Lease    Lease
}

// Lease reserves a pending delivery for one process (Owner) until a time:
// no other claim takes it before Until. The pair is also the fencing
// token of everything done under the lease: a result, renewal or release
// applies only while the delivery still holds exactly this lease, so work
// that outlived its lease (and was claimed again, by another process or
// the same one) changes nothing. Stores keep microseconds: Until is
// truncated to them. The zero Lease means not leased.
type Lease struct {
	Owner string
	Until time.Time
}

// Held reports whether l is a lease (not the zero value).
func (l Lease) Held() bool { return l.Owner != "" }

// NewLease is owner's lease from now for d, truncated as stores keep it.
func NewLease(owner string, now time.Time, d time.Duration) Lease {
	return Lease{Owner: owner, Until: now.Add(d).Truncate(time.Microsecond)}
}

// Held is one delivery and the lease it is held under.
type Held struct {
	DeliveryID string
	Lease      Lease
}

// Outcome is what an attempt means for its delivery; the dispatcher decides
// it, the store applies it.
type Outcome int

// Outcomes.
const (
	// OutcomeSucceeded: the delivery is done.
	OutcomeSucceeded Outcome = iota + 1
	// OutcomeRetry: try again at NextAttemptAt.
	OutcomeRetry
	// OutcomeFailed: no more attempts.
	OutcomeFailed
)

// AttemptResult is one attempt to store and its consequence.
type AttemptResult struct {
	Attempt       webhook.Attempt
	Outcome       Outcome
	NextAttemptAt time.Time // with OutcomeRetry
	// DisableReason, when set, turns the webhook off (e.g. 410 Gone).
	DisableReason string
	// Throttled says the attempt waited for the webhook's rate limit
	// before it started; stats.throttled counts those.
	Throttled bool
	// Lease is the lease the attempt ran under: the result moves the
	// delivery on only while it still holds exactly that lease (a late
	// result after the lease ran out and the delivery was claimed again is
	// logged but changes nothing). The zero Lease skips the check.
	Lease Lease
	// Test attempts are logged without a delivery and leave stats alone.
	// A cancelled attempt (ErrClassCancelled: no request was made) counts
	// only as a failed delivery, not as an attempt or a failure time.
}

// APIKeyStore keeps API keys by hash.
type APIKeyStore interface {
	APIKeyCreate(ctx context.Context, k auth.APIKey, hash []byte) error
	// APIKeyByHash returns the key with that hash (revoked and expired ones
	// too: the caller decides).
	APIKeyByHash(ctx context.Context, hash []byte) (auth.APIKey, error)
	// APIKeyList returns the keys within scope (see auth.KeyStore).
	APIKeyList(ctx context.Context, scope auth.Scope) ([]auth.APIKey, error)
	APIKeyRevoke(ctx context.Context, scope auth.Scope, id string, now time.Time) error
	APIKeyTouch(ctx context.Context, id string, now time.Time) error
}

// BinStore keeps request inspector bins and what they captured. A bin
// belongs to a tenant like a webhook; reads by ID take a Scope.
type BinStore interface {
	BinCreate(ctx context.Context, b bin.Bin) error
	BinGet(ctx context.Context, scope auth.Scope, id string) (bin.Bin, error)
	// BinByToken finds a bin by its URL's token, for capture: whoever
	// knows the URL may send to it.
	BinByToken(ctx context.Context, token string) (bin.Bin, error)
	BinList(ctx context.Context, scope auth.Scope) ([]bin.Bin, error)
	// BinDelete removes a bin in scope and its requests.
	BinDelete(ctx context.Context, scope auth.Scope, id string) error
	// BinSetResponse stores the custom response of a bin in scope (nil:
	// back to the default one).
	BinSetResponse(ctx context.Context, scope auth.Scope, id string, r *bin.Response) error
	// BinRequestAdd stores a captured request and drops the bin's oldest
	// requests beyond its MaxRequests.
	BinRequestAdd(ctx context.Context, r bin.Request) error
	// BinRequestList returns a bin's requests newer than AfterID ("" for
	// all), newest first, at most Limit; none when the bin is outside
	// Scope.
	BinRequestList(ctx context.Context, p BinRequestListParams) ([]bin.Request, error)
	BinRequestGet(ctx context.Context, id string) (bin.Request, error)
	// BinExpire deletes bins that expired at or before now, with their
	// requests, and returns how many.
	BinExpire(ctx context.Context, now time.Time) (int, error)
}

// BinRequestListParams selects captured requests.
type BinRequestListParams struct {
	Scope   auth.Scope
	BinID   string
	AfterID string
	Limit   int
}

// AuditStore keeps the audit log.
type AuditStore interface {
	AuditAdd(ctx context.Context, e audit.Entry) error
	// AuditList returns entries newest first, optionally for one target.
	AuditList(ctx context.Context, p AuditListParams) (AuditPage, error)
}

// AuditListParams filters and pages the audit log.
type AuditListParams struct {
	// Scope limits the list: every entry for every tenant, a tenant's own
	// entries (those its principals recorded) for one tenant.
	Scope  auth.Scope
	Target string
	Cursor string
	Limit  int
}

// AuditPage is one page of the audit log.
type AuditPage struct {
	Entries []audit.Entry
	Next    string
}

// UserStore keeps dashboard accounts, their sessions and the
// invitations that make them (auth.TeamStore has each method's contract).
type UserStore interface {
	// UserCount says whether any account exists (first start creates one).
	UserCount(ctx context.Context) (int, error)
	UserGet(ctx context.Context, username string) (auth.User, error)
	// UserSave creates the user (an owner when Role is empty) or replaces
	// its password hash alone.
	UserSave(ctx context.Context, u auth.User) error
	UserCreate(ctx context.Context, u auth.User) error
	UserList(ctx context.Context) ([]auth.User, error)
	UserSetRole(ctx context.Context, username string, role auth.Role, now time.Time) error
	UserSetPassword(ctx context.Context, username, hash string, now time.Time) error
	UserDelete(ctx context.Context, username string) error
	SessionCreate(ctx context.Context, s auth.Session, tokenHash []byte) error
	// SessionGet returns the session with that token hash, expired or
	// not, with its user's current role.
	SessionGet(ctx context.Context, tokenHash []byte) (auth.Session, error)
	SessionDelete(ctx context.Context, tokenHash []byte) error
	// SessionDeleteUser ends every session of a user (password reset).
	SessionDeleteUser(ctx context.Context, username string) error
	InviteCreate(ctx context.Context, inv auth.Invite, tokenHash []byte) error
	InviteList(ctx context.Context) ([]auth.Invite, error)
	InviteByToken(ctx context.Context, tokenHash []byte) (auth.Invite, error)
	InviteAccept(ctx context.Context, tokenHash []byte, u auth.User, now time.Time) (auth.Invite, error)
	InviteDelete(ctx context.Context, id string) error
}

// MaintenanceStore is periodic upkeep.
type MaintenanceStore interface {
	// Retain deletes, in batches of at most Batch rows per write, events
	// created before EventsBefore (with their deliveries and attempts,
	// unless a delivery is still pending), attempts that started before
	// AttemptsBefore, rollup minutes before RollupBefore, and clears
	// attempt bodies older than BodiesBefore.
	// It returns how many rows went. A zero time skips that part.
	Retain(ctx context.Context, p RetainParams) (RetainResult, error)
	// LeaderAcquire takes or renews the named leadership for owner until
	// `until` when it is free, expired at now, or already owner's.
	LeaderAcquire(ctx context.Context, name, owner string, now, until time.Time) (bool, error)
}

// InstanceStore tracks the live instances sharing a database, to split
// work between them.
type InstanceStore interface {
	// InstanceHeartbeat records that instance id is alive at now.
	InstanceHeartbeat(ctx context.Context, id string, now time.Time) error
	// InstanceList returns the instances seen alive at or after since,
	// sorted by ID, and forgets ones not seen for a long time.
	InstanceList(ctx context.Context, since time.Time) ([]string, error)
	// InstanceRemove forgets an instance at once (clean shutdown).
	InstanceRemove(ctx context.Context, id string) error
}

// RetainParams say what retention removes.
type RetainParams struct {
	EventsBefore   time.Time
	AttemptsBefore time.Time
	BodiesBefore   time.Time
	// RollupBefore prunes the attempt rollup (StatsStore): it is kept
	// apart from AttemptsBefore since charts read it, not the attempts.
	RollupBefore time.Time
	Batch        int
}

// RetainResult counts what retention removed.
type RetainResult struct {
	Events, Deliveries, Attempts, Bodies int
	// Rollups is the rollup rows (webhook minutes) deleted.
	Rollups int
}

// Sealer encrypts secrets before they reach the database and decrypts them
// on the way out, so a dump of the database holds no secret in clear.
type Sealer interface {
	Seal(plaintext string) string
	Open(sealed string) (string, error)
}

// PageLimit is the page size that every list uses for a requested limit:
// 50 when none is given, at most 1,000.
func PageLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 1000:
		return 1000
	}
	return n
}
