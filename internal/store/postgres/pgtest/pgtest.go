// Package pgtest opens real, throwaway PostgreSQL stores for tests: each in
// a fresh schema of the test database, dropped when the test ends. Without
// a reachable server the test is skipped with the reason, except in CI
// (CI=true), which must always run it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/internal/secretbox"
	"github.com/hookline/hookline/internal/store/postgres"
)

const defaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// URL is the test database: HOOKLINE_TEST_DATABASE_URL, or the local
// server's database test.
func URL() string {
	if u := os.Getenv("HOOKLINE_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return defaultURL
}

// admin is one pool on the test database for the tests' own statements
// (creating and dropping schemas, raw reads), or why there is none.
var admin = sync.OnceValues(func() (*pgxpool.Pool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, URL())
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
})

// Admin returns a pool on the test database, skipping (or in CI failing)
// the test when the server cannot be reached.
func Admin(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pool, err := admin()
	if err != nil {
		where := URL()
		if u, perr := url.Parse(where); perr == nil {
			where = u.Redacted()
		}
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL not reachable at %s: %v", where, err)
		}
		tb.Skipf("PostgreSQL not reachable at %s: %v", where, err)
	}
	return pool
}

// SchemaName returns a new schema name, and drops that schema, whoever
// created it, when tb ends.
func SchemaName(tb testing.TB, prefix string) string {
	tb.Helper()
	pool := Admin(tb)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := prefix + hex.EncodeToString(b)
	tb.Cleanup(func() {
		// The test's context is over by now.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// NewSchema creates a fresh, empty schema for tb.
func NewSchema(tb testing.TB) string {
	tb.Helper()
	name := SchemaName(tb, "hl_")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := Admin(tb).Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("create schema %s: %v", name, err)
	}
	return name
}

// Open returns an empty store in a fresh schema, with secrets sealed by a
// random key, closed (and checked) at cleanup.
func Open(tb testing.TB) *postgres.Store {
	tb.Helper()
	schema := NewSchema(tb)
	box, err := secretbox.New(secretbox.NewKey())
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, URL(), postgres.Options{Sealer: box, Schema: schema, MaxConns: 8})
	if err != nil {
		tb.Fatalf("postgres.Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("closing the store: %v", err)
		}
	})
	return s
}
