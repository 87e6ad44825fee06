package postgres_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/postgres"
	"github.com/hookline/hookline/internal/store/postgres/pgtest"
	"github.com/hookline/hookline/internal/store/storetest"
	"github.com/hookline/hookline/internal/webhook"
)

// openStore opens a store on dbURL in schema and closes it when t ends.
func openStore(t *testing.T, dbURL, schema string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), dbURL, postgres.Options{Sealer: storetest.Sealer{}, Schema: schema, MaxConns: 8})
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

func TestConformance(t *testing.T) {
	pgtest.Admin(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return openStore(t, pgtest.URL(), pgtest.NewSchema(t))
	})
}

var t0 = time.Date(2030, time.March, 14, 9, 0, 0, 0, time.UTC)

func newWebhook() webhook.Webhook {
	return webhook.Webhook{
		ID: webhook.NewID(webhook.PrefixWebhook), Tenant: webhook.DefaultTenant, Name: "orders",
		URL: "https://receiver.example.com/in", Events: []string{webhook.AllEvents}, Active: true,
		Format: webhook.FormatEnvelope, CreatedAt: t0, UpdatedAt: t0,
	}
}

func newEvent(key string) webhook.Event {
	return webhook.Event{ID: webhook.NewID(webhook.PrefixEvent), Tenant: webhook.DefaultTenant,
		Type: "order.created", Data: json.RawMessage(`{"id": 1}`), IdempotencyKey: key, CreatedAt: t0}
}

func TestOpenRequiresSealer(t *testing.T) {
	t.Parallel()
	if s, err := postgres.Open(t.Context(), pgtest.URL(), postgres.Options{}); err == nil {
		s.Close()
		t.Fatal("Open without a Sealer: got no error")
	}
}

// Instances starting together on a fresh schema migrate it once: every
// Open succeeds and each version is recorded once.
func TestMigrationsRace(t *testing.T) {
	t.Parallel()
	pool := pgtest.Admin(t)
	schema := pgtest.SchemaName(t, "hl_race_") // not created: the first Open does it
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			s, err := postgres.Open(t.Context(), pgtest.URL(), postgres.Options{Sealer: storetest.Sealer{}, Schema: schema})
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
		}
	}
	rows, err := pool.Query(t.Context(), `SELECT version, count(*) FROM `+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+
		` GROUP BY version ORDER BY version`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	var version, count int
	var versions []int
	_, err = pgx.ForEachRow(rows, []any{&version, &count}, func() error {
		versions = append(versions, version)
		if count != 1 {
			t.Errorf("schema_migrations: version %d recorded %d times", version, count)
		}
		return nil
	})
	if err != nil || len(versions) == 0 || versions[0] != 1 {
		t.Fatalf("schema_migrations versions %v, %v; want 1 onwards", versions, err)
	}
	var tables int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 'deliveries'`,
		schema).Scan(&tables); err != nil || tables != 1 {
		t.Errorf("deliveries tables in %s: %d, %v; want 1", schema, tables, err)
	}
	// A later migrate finds nothing to do.
	applied, err := postgres.Migrate(t.Context(), pgtest.URL(), schema)
	if err != nil || len(applied) != 0 {
		t.Errorf("Migrate of a migrated schema: applied %v, %v; want none", applied, err)
	}
}

func TestMigrateFresh(t *testing.T) {
	t.Parallel()
	schema := pgtest.SchemaName(t, "hl_migrate_")
	applied, err := postgres.Migrate(t.Context(), pgtest.URL(), schema)
	if err != nil || len(applied) == 0 || applied[0] != 1 {
		t.Fatalf("Migrate of a fresh schema: applied %v, %v; want 1 onwards", applied, err)
	}
	// Open finds it done.
	s := openStore(t, pgtest.URL(), schema)
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// A dump of the webhooks table must not reveal any signing secret.
func TestSecretsSealedAtRest(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	s := openStore(t, pgtest.URL(), schema)
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
	var row string
	if err := pgtest.Admin(t).QueryRow(ctx, `SELECT string_agg(w::text, E'\n') FROM `+pgx.Identifier{schema, "webhooks"}.Sanitize()+` w`).
		Scan(&row); err != nil {
		t.Fatalf("raw read of webhooks: %v", err)
	}
	if !strings.Contains(row, w.ID) || !strings.Contains(row, k.ID) {
		t.Fatalf("raw rows %q do not hold webhooks %s and %s: nothing was checked", row, w.ID, k.ID)
	}
	for _, secret := range []string{first, second, first[len("whsec_"):], second[len("whsec_"):], password, token, kafkaPassword} {
		if strings.Contains(row, secret) {
			t.Errorf("webhooks row holds the secret %q in clear: %s", secret, row)
		}
	}
}

// Two instances on one database: one idempotency key stores one event, and
// their claims never overlap.
func TestTwoInstances(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	a, b := openStore(t, pgtest.URL(), schema), openStore(t, pgtest.URL(), schema)
	ctx := t.Context()
	if err := a.WebhookCreate(ctx, newWebhook(), "whsec_x"); err != nil {
		t.Fatalf("WebhookCreate: %v", err)
	}
	stores := []*postgres.Store{a, b}

	const n = 8
	results := make([]store.EventCreateResult, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			res, err := stores[i%2].EventCreate(ctx, store.EventCreateParams{Event: newEvent("same-key"),
				IdempotencySince: t0.Add(-time.Hour)})
			if err != nil {
				t.Errorf("EventCreate %d: %v", i, err)
			}
			results[i] = res
		})
	}
	close(start)
	wg.Wait()
	stored, ids := 0, map[string]bool{}
	for _, r := range results {
		if !r.Duplicate {
			stored++
		}
		ids[r.Event.ID] = true
	}
	if stored != 1 || len(ids) != 1 {
		t.Fatalf("one key from two instances: %d stored, %d distinct events; want 1 and 1", stored, len(ids))
	}

	for range 30 {
		if _, err := a.EventCreate(ctx, store.EventCreateParams{Event: newEvent("")}); err != nil {
			t.Fatalf("EventCreate: %v", err)
		}
	}
	claimed := make([][]store.Task, 4)
	start = make(chan struct{})
	for i := range claimed {
		wg.Go(func() {
			<-start
			tasks, err := stores[i%2].DeliveryClaim(ctx, store.DeliveryClaimParams{
				Lease: store.Lease{Owner: "worker-" + string(rune('a'+i)), Until: t0.Add(time.Minute)}, Now: t0.Add(time.Second), Limit: 10})
			if err != nil {
				t.Errorf("DeliveryClaim %d: %v", i, err)
			}
			claimed[i] = tasks
		})
	}
	close(start)
	wg.Wait()
	seen := map[string]bool{}
	for _, tasks := range claimed {
		for _, task := range tasks {
			if seen[task.Delivery.ID] {
				t.Errorf("delivery %s claimed twice", task.Delivery.ID)
			}
			seen[task.Delivery.ID] = true
		}
	}
	if len(seen) != 31 {
		t.Errorf("claimed %d deliveries in all, want the 31 due", len(seen))
	}
}
