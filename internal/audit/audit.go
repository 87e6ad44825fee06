// Package audit is the audit log: who changed what, and when. Entries are
// written after the change they describe, by whichever service made it
// (the webhook registry, API key management, sign-ins); the store keeps
// them and the API and dashboard list them.
//
// It depends on the domain package only, so every service can record
// entries without knowing about the others.
package audit

import (
	"context"
	"log/slog"
	"time"

	"github.com/hookline/hookline/internal/webhook"
)

// Prefix starts every entry's ID.
const Prefix = "aud_"

// Entry records who changed what.
type Entry struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
	// Actor is "key:<id> (<name>)", "user:<name>" or "system": the audit
	// form of the principal that made the change (auth.Principal.Actor).
	Actor string `json:"actor"`
	// Tenant is the tenant of the principal that acted, when it acts for
	// one tenant (a tenant's key); empty for operators. A tenant may read
	// its own entries and no others.
	Tenant string `json:"tenant,omitempty"`
	Action string `json:"action"` // e.g. webhook.create, webhook.test, key.revoke
	Target string `json:"target"` // the ID acted on
	Detail string `json:"detail,omitempty"`
}

// Store is where entries are kept.
type Store interface {
	AuditAdd(ctx context.Context, e Entry) error
}

// Recorder appends entries to the audit log.
type Recorder struct {
	store Store
	now   func() time.Time
	log   *slog.Logger
}

// NewRecorder returns a Recorder writing to s; now and log may be nil
// (time.Now, no logging).
func NewRecorder(s Store, now func() time.Time, log *slog.Logger) *Recorder {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Recorder{store: s, now: now, log: log}
}

// Record appends e (Actor, Tenant, Action, Target, Detail; the ID and time
// are set here). The change it describes has already been made, so a
// failure to record is logged rather than returned: undoing a change
// because its log line could not be written would be worse. The write
// outlives a cancelled request for the same reason.
func (r *Recorder) Record(ctx context.Context, e Entry) {
	e.ID, e.At = webhook.NewID(Prefix), r.now().UTC()
	if err := r.store.AuditAdd(context.WithoutCancel(ctx), e); err != nil {
		r.log.Warn("recording audit entry failed", "action", e.Action, "target", e.Target, "err", err)
	}
}
