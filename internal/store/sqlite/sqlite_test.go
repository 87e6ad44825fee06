package sqlite_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/sqlite"
	"github.com/hookline/hookline/internal/store/storetest"
	"github.com/hookline/hookline/internal/webhook"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openStore(t, filepath.Join(t.TempDir(), "hookline.db"))
	})
}

// openStore opens the database at path and closes it when t ends.
func openStore(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(path, sqlite.Options{Sealer: storetest.Sealer{}})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

var t0 = time.Date(2030, time.March, 14, 9, 0, 0, 0, time.UTC)

func newWebhook() webhook.Webhook {
	return webhook.Webhook{
		ID: webhook.NewID(webhook.PrefixWebhook), Tenant: webhook.DefaultTenant, Name: "orders",
		URL: "https://receiver.example.com/in", Events: []string{webhook.AllEvents}, Active: true,
		Format: webhook.FormatEnvelope, CreatedAt: t0, UpdatedAt: t0,
	}
}

func TestOpenRequiresSealer(t *testing.T) {
	t.Parallel()
	if s, err := sqlite.Open(filepath.Join(t.TempDir(), "hookline.db"), sqlite.Options{}); err == nil {
		s.Close()
		t.Fatal("Open without a Sealer: got no error")
	}
}

// A copy of the database file must not reveal any signing secret.
func TestSecretsSealedAtRest(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookline.db")
	s, err := sqlite.Open(path, sqlite.Options{Sealer: storetest.Sealer{}})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ctx := t.Context()
	first, second := "whsec_Zmlyc3Qtc2VjcmV0LWNhbmFyeQ", "whsec_c2Vjb25kLXNlY3JldC1jYW5hcnk"
	w := newWebhook()
	// A broker destination's URL holds a password: sealed too.
	const password = "cGFzc3dvcmQtY2FuYXJ5"
	w.Destination = webhook.Destination{Type: "rabbitmq", URL: "amqp://app:" + password + "@broker.example/", Exchange: "events"}
	// Custom header values carry receivers' credentials: sealed too.
	const token = "dG9rZW4tY2FuYXJ5LXZhbHVl"
	w.Headers = map[string]string{"Authorization": "Bearer " + token}
	if err := s.WebhookCreate(ctx, w, first); err != nil {
		t.Fatalf("WebhookCreate: %v", err)
	}
	if got, err := s.WebhookGet(ctx, auth.AllTenants(), w.ID); err != nil || got.Headers["Authorization"] != "Bearer "+token {
		t.Fatalf("WebhookGet: headers %v, %v; want the header back", got.Headers, err)
	}
	// So does a Kafka destination's SASL password.
	const kafkaPassword = "a2Fma2EtcGFzc3dvcmQtY2FuYXJ5"
	k := newWebhook()
	k.Destination = webhook.Destination{Type: "kafka", Brokers: []string{"kafka.example:9092"}, Topic: "events",
		SASLMechanism: "scram-sha-256", Username: "app", Password: kafkaPassword}
	if err := s.WebhookCreate(ctx, k, "whsec_a2Fma2Etc2VjcmV0"); err != nil {
		t.Fatalf("WebhookCreate: %v", err)
	}
	if err := s.WebhookRotateSecret(ctx, auth.AllTenants(), w.ID, second, t0.Add(24*time.Hour)); err != nil {
		t.Fatalf("WebhookRotateSecret: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	files, err := filepath.Glob(path + "*") // the database, and any -wal or -shm left
	if err != nil || len(files) == 0 {
		t.Fatalf("database files: %v, %v", files, err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		for _, secret := range []string{first, second, first[len("whsec_"):], second[len("whsec_"):], password, token, kafkaPassword} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("%s holds the secret %q in clear", filepath.Base(f), secret)
			}
		}
	}
	// The webhook itself is there: the test would pass vacuously on an
	// empty file otherwise.
	raw, _ := os.ReadFile(path)
	if !bytes.Contains(raw, []byte(w.ID)) {
		t.Fatalf("%s does not hold webhook %s: nothing was checked", path, w.ID)
	}
}

// Everything acknowledged before Close is there after reopening the file.
func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookline.db")
	s, err := sqlite.Open(path, sqlite.Options{Sealer: storetest.Sealer{}})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	ctx := t.Context()
	w := newWebhook()
	if err := s.WebhookCreate(ctx, w, "whsec_durable"); err != nil {
		t.Fatalf("WebhookCreate: %v", err)
	}
	et := webhook.EventType{Slug: "order.created", Name: "Order created", Example: json.RawMessage(`{}`), CreatedAt: t0}
	if err := s.EventTypeSeed(ctx, []webhook.EventType{et}); err != nil {
		t.Fatalf("EventTypeSeed: %v", err)
	}
	ev := webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Tenant: webhook.DefaultTenant, Type: et.Slug,
		Data: json.RawMessage(`{"id": 1}`), IdempotencyKey: "k1", CreatedAt: t0}
	res, err := s.EventCreate(ctx, store.EventCreateParams{Event: ev, IdempotencySince: t0.Add(-time.Hour),
		Lease: &store.LeaseRequest{Lease: store.Lease{Owner: "node-1", Until: t0.Add(time.Minute)}}})
	if err != nil || len(res.Deliveries) != 1 {
		t.Fatalf("EventCreate: %d deliveries, %v", len(res.Deliveries), err)
	}
	key := auth.APIKey{ID: webhook.NewID(auth.PrefixAPIKey), Name: "k", Prefix: "hl_", Scopes: []string{auth.ScopeAdmin}, CreatedAt: t0}
	if err := s.APIKeyCreate(ctx, key, []byte("hash")); err != nil {
		t.Fatalf("APIKeyCreate: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openStore(t, path)
	if _, err := s.WebhookGet(ctx, auth.AllTenants(), w.ID); err != nil {
		t.Errorf("WebhookGet after reopening: %v", err)
	}
	if secrets, err := s.WebhookSecrets(ctx, auth.AllTenants(), w.ID, t0); err != nil || len(secrets) != 1 || secrets[0].Value != "whsec_durable" {
		t.Errorf("WebhookSecrets after reopening: %+v, %v", secrets, err)
	}
	if _, err := s.EventTypeGet(ctx, et.Slug); err != nil {
		t.Errorf("EventTypeGet after reopening: %v", err)
	}
	if got, err := s.EventGet(ctx, auth.AllTenants(), ev.ID); err != nil || string(got.Data) != string(ev.Data) {
		t.Errorf("EventGet after reopening: %+v, %v", got, err)
	}
	if _, err := s.APIKeyByHash(ctx, []byte("hash")); err != nil {
		t.Errorf("APIKeyByHash after reopening: %v", err)
	}
	// The idempotency key survives too.
	dup, err := s.EventCreate(ctx, store.EventCreateParams{Event: webhook.Event{ID: webhook.NewID(webhook.PrefixEvent),
		Tenant: ev.Tenant, Type: ev.Type, Data: ev.Data, IdempotencyKey: "k1", CreatedAt: t0.Add(time.Second)},
		IdempotencySince: t0.Add(-time.Hour)})
	if err != nil || !dup.Duplicate || dup.Event.ID != ev.ID {
		t.Errorf("EventCreate with the same key after reopening: duplicate %v of %s, %v; want a duplicate of %s", dup.Duplicate, dup.Event.ID, err, ev.ID)
	}
	// A restart releases the leases of work in flight when the process died.
	n, err := s.DeliveryReleaseLeases(ctx, "", t0.Add(time.Second))
	if err != nil || n != 1 {
		t.Errorf("DeliveryReleaseLeases after reopening: %d, %v; want 1", n, err)
	}
	tasks, err := s.DeliveryClaim(ctx, store.DeliveryClaimParams{Lease: store.Lease{Owner: "node-2", Until: t0.Add(time.Minute)},
		Now: t0.Add(time.Second), Limit: 10})
	if err != nil || len(tasks) != 1 || tasks[0].Delivery.ID != res.Deliveries[0].ID {
		t.Errorf("DeliveryClaim after reopening: %d tasks, %v; want the delivery made before", len(tasks), err)
	}
}

func TestWriteAfterClose(t *testing.T) {
	t.Parallel()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "hookline.db"), sqlite.Options{Sealer: storetest.Sealer{}})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := t.Context()
	for name, write := range map[string]func() error{
		"WebhookCreate": func() error { return s.WebhookCreate(ctx, newWebhook(), "whsec_x") },
		"EventCreate": func() error {
			_, err := s.EventCreate(ctx, store.EventCreateParams{Event: webhook.Event{
				ID: webhook.NewID(webhook.PrefixEvent), Tenant: webhook.DefaultTenant, Type: "order.created",
				Data: json.RawMessage(`{}`), CreatedAt: t0}})
			return err
		},
		"AttemptRecord": func() error {
			return s.AttemptRecord(ctx, []store.AttemptResult{{Attempt: webhook.Attempt{
				ID: webhook.NewID(webhook.PrefixAttempt), WebhookID: "wh_x", Test: true, StartedAt: t0}}})
		},
		"Ping": func() error { return s.Ping(ctx) },
	} {
		if code := webhook.ErrorCode(write()); code != webhook.EUNAVAILABLE {
			t.Errorf("%s after Close: code %q, want %q", name, code, webhook.EUNAVAILABLE)
		}
	}
}

// TestUpgradeFromFirstRelease opens a database made by the first release's
// schema (user_version 0, no later columns) holding an event, and checks
// that it is upgraded in place with the event intact.
func TestUpgradeFromFirstRelease(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookline.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(sqlite.FirstReleaseSchema); err != nil {
		t.Fatalf("first release schema: %v", err)
	}
	if _, err := db.Exec(`INSERT INTO events (id, tenant, type, data, idempotency_key, created_at)
		VALUES ('evt_old', 'default', 'order.created', '{"n":1}', NULL, 1)`); err != nil {
		t.Fatalf("insert an old event: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openStore(t, path)
	ctx := t.Context()
	old, err := s.EventGet(ctx, auth.AllTenants(), "evt_old")
	if err != nil || string(old.Data) != `{"n":1}` || old.TraceParent != "" {
		t.Fatalf("EventGet of the old event after the upgrade: %+v, %v", old, err)
	}
	et := webhook.EventType{Slug: "order.created", Name: "Order created", Example: json.RawMessage(`{}`), CreatedAt: t0}
	if err := s.EventTypeSeed(ctx, []webhook.EventType{et}); err != nil {
		t.Fatalf("EventTypeSeed: %v", err)
	}
	ev := webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Tenant: webhook.DefaultTenant, Type: et.Slug,
		Data: json.RawMessage(`{}`), CreatedAt: t0, TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
	if _, err := s.EventCreate(ctx, store.EventCreateParams{Event: ev, IdempotencySince: t0}); err != nil {
		t.Fatalf("EventCreate after the upgrade: %v", err)
	}
	if got, err := s.EventGet(ctx, auth.AllTenants(), ev.ID); err != nil || got.TraceParent != ev.TraceParent {
		t.Errorf("EventGet: trace parent %q, %v; want %q", got.TraceParent, err, ev.TraceParent)
	}
}

// TestRefusesNewerSchema: a database written by a newer release is left
// untouched with an error that says so.
func TestRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hookline.db")
	s, err := sqlite.Open(path, sqlite.Options{Sealer: storetest.Sealer{}})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA user_version = 999`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = sqlite.Open(path, sqlite.Options{Sealer: storetest.Sealer{}})
	if err == nil || !strings.Contains(err.Error(), "newer Hookline") {
		t.Fatalf("Open of a database from a newer release: %v; want an error naming the cause", err)
	}
}

// TestFilesPrivate: the database, its WAL and a backup are readable by
// their owner only, even in a directory (a container volume, say) that
// others can read and under a permissive umask.
func TestFilesPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix file modes")
	}
	t.Parallel()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "hookline.db")
	s := openStore(t, path)
	if err := s.WebhookCreate(t.Context(), newWebhook(), "whsec_private"); err != nil {
		t.Fatalf("WebhookCreate: %v", err)
	}
	backup := filepath.Join(dir, "backup.db")
	if err := sqlite.Backup(t.Context(), path, backup); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	for _, f := range []string{path, path + "-wal", backup} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatalf("stat: %v", err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s: mode %o, want 600", filepath.Base(f), mode)
		}
	}
}
