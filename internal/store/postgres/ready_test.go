package postgres_test

import (
	"testing"

	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/store/postgres/pgtest"
	"github.com/hookline/hookline/internal/webhook"
)

// A database that refuses writes as a full disk does (SQLSTATE 53100,
// raised here by triggers in the test's own schema, while connections and
// reads still work) makes Ping fail, as readiness must; Ping passes again
// once the probe write commits.
func TestPingAfterRefusedWrite(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	schema := pgtest.NewSchema(t)
	s := openStore(t, pgtest.URL(), schema)
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping on a fresh store: %v", err)
	}
	admin := pgtest.Admin(t)
	q := func(sql string) {
		t.Helper()
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	q(`CREATE TABLE ` + schema + `.disk (is_full boolean NOT NULL)`)
	q(`INSERT INTO ` + schema + `.disk VALUES (true)`)
	q(`CREATE FUNCTION ` + schema + `.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF (SELECT is_full FROM ` + schema + `.disk) THEN
				RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full';
			END IF;
			RETURN NEW;
		END $$`)
	for _, table := range []string{"events", "leaders"} {
		q(`CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON ` + schema + `.` + table +
			` FOR EACH ROW EXECUTE FUNCTION ` + schema + `.refuse()`)
	}

	_, err := s.EventCreate(ctx, store.EventCreateParams{Event: newEvent("")})
	if code := webhook.ErrorCode(err); code != webhook.EUNAVAILABLE {
		t.Fatalf("EventCreate on a full disk: code %q (%v), want %q", code, err, webhook.EUNAVAILABLE)
	}
	for range 2 { // the probe must not clear the failure while it fails itself
		if code := webhook.ErrorCode(s.Ping(ctx)); code != webhook.EUNAVAILABLE {
			t.Fatalf("Ping while writes are refused: code %q, want %q", code, webhook.EUNAVAILABLE)
		}
	}
	q(`UPDATE ` + schema + `.disk SET is_full = false`)
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping once writes are taken again: %v", err)
	}
	if _, err := s.EventCreate(ctx, store.EventCreateParams{Event: newEvent("")}); err != nil {
		t.Fatalf("EventCreate once writes are taken again: %v", err)
	}
}
