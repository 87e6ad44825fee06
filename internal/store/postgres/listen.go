package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/jackc/pgx/v5"
)

// Notification channels, for Listen. With Options.Schema set, the channels
// actually used are scoped to the schema, so deployments sharing a
// database do not wake each other; Listen takes these names either way.
const (
	// ChannelWork is notified when deliveries may have become claimable
	// or their due times changed: events stored, retries scheduled,
	// deliveries retried, webhooks replayed. The payload is empty (for
	// every instance) or names the shards whose owners must look: see
	// WorkConcerns.
	ChannelWork = "hookline_work"
	// ChannelWebhooks is notified with a webhook's ID when the webhook is
	// created, updated, disabled, deleted or has its secret rotated.
	ChannelWebhooks = "hookline_webhooks"
)

// maxIdentLen is PostgreSQL's identifier limit (NAMEDATALEN-1); channel
// names are identifiers.
const maxIdentLen = 63

// channel is the channel name used for name in this store's schema.
func (s *Store) channel(name string) string {
	if s.schema == "" {
		return name
	}
	if c := name + "." + s.schema; len(c) <= maxIdentLen {
		return c
	}
	sum := sha256.Sum256([]byte(s.schema))
	return name + "." + hex.EncodeToString(sum[:8])
}

// queueWebhookNotice adds the notice of a change to webhook id to a batch
// run in a transaction: PostgreSQL delivers it on commit. Webhook changes
// are rare, so the commit lock that notifying takes (see wake) costs
// nothing that matters here.
func (s *Store) queueWebhookNotice(b *pgx.Batch, id string) {
	b.Queue(`SELECT pg_notify($1, $2)`, s.channel(ChannelWebhooks), id)
}

// wake asks for a ChannelWork notification, once the caller's transaction
// has committed. It never blocks, and wake-ups asked for while one is
// pending are merged into it.
//
// The notification is not sent inside the transaction that made the work:
// a transaction that notifies takes a cluster-wide lock at commit and
// holds it until its commit record is flushed (async.c, PreCommit_Notify),
// so every ingest would commit one after the other. Sent afterwards from
// its own tiny transaction, which writes nothing to flush, it costs
// ingest nothing. The price is that a process dying between its commit
// and the notification leaves the work to the other instances' polling:
// the wake-up is a hint, never the only way work is found.
func (s *Store) wake() { s.wakeFor(wakeEveryone) }

// wakeFor is wake for the instances h names.
func (s *Store) wakeFor(h wakeHint) {
	if !h.any {
		return
	}
	s.woken.add(h)
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// notifier sends the wake-ups asked for, until Close.
func (s *Store) notifier() {
	defer close(s.notifierDone)
	gap := time.NewTimer(0)
	<-gap.C
	defer gap.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.kick:
		}
		// Best effort, as wake explains; an unreachable database shows in
		// every other call.
		_, _ = s.pool.Exec(s.ctx, `SELECT pg_notify($1, $2)`, s.channel(ChannelWork), s.woken.take().payload())
		// Wake-ups asked for in the next moment merge into one
		// notification: under load, one per group commit would cost a
		// transaction here and a claim at each listener every time.
		gap.Reset(notifyGap)
		select {
		case <-s.ctx.Done():
			return
		case <-gap.C:
		}
	}
}

// notifyGap is the least time between two work notifications of a store.
const notifyGap = 5 * time.Millisecond

// Listen backoff between reconnections.
const (
	listenMinBackoff = 100 * time.Millisecond
	listenMaxBackoff = 10 * time.Second
)

// Listen calls fn with the payload of every notification on channel
// (ChannelWork or ChannelWebhooks) until ctx ends or the store is closed,
// and then returns nil. It holds a connection of its own, outside the
// pool, and when that connection fails it reconnects with backoff
// (100ms, doubling up to 10s).
//
// Notifications sent while nothing listens are lost, so after every
// connection, once it listens, fn is called with an empty payload meaning
// "anything may have changed; look again". The first such call also says
// that the listener is ready. fn runs on Listen's goroutine: it should
// hand the news on (e.g. a non-blocking send on a 1-buffered channel), not
// do the work.
func (s *Store) Listen(ctx context.Context, channel string, fn func(payload string)) error {
	if s.closed.Load() {
		return errClosed
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.ctx, cancel)()
	name := s.channel(channel)
	backoff := listenMinBackoff
	for {
		_ = s.listenOnce(ctx, name, fn, func() { backoff = listenMinBackoff })
		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
		backoff = min(2*backoff, listenMaxBackoff)
	}
}

// listenOnce listens on one connection until it fails or ctx ends;
// listening calls reset once the LISTEN took.
func (s *Store) listenOnce(ctx context.Context, channel string, fn func(string), listening func()) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	listening()
	fn("")
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(n.Payload)
	}
}
