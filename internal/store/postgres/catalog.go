package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/webhook"
)

const eventTypeColumns = `slug, name, description, example, schema, custom, created_at, deprecated`

func scanEventType(r scanner) (webhook.EventType, error) {
	var et webhook.EventType
	var example, schema []byte
	if err := r.Scan(&et.Slug, &et.Name, &et.Description, &example, &schema, &et.Custom, &et.CreatedAt, &et.Deprecated); err != nil {
		return et, err
	}
	et.Example = example
	if len(schema) > 0 {
		et.Schema = schema
	}
	et.CreatedAt = et.CreatedAt.UTC()
	return et, nil
}

// EventTypeList implements store.EventTypeStore: built-in types first, each
// group in the order it was stored.
func (s *Store) EventTypeList(ctx context.Context) ([]webhook.EventType, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+eventTypeColumns+` FROM event_types ORDER BY custom, seq`)
	if err != nil {
		return nil, s.fail(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.EventType, error) { return scanEventType(r) })
	return out, s.fail(err)
}

// EventTypeGet implements store.EventTypeStore.
func (s *Store) EventTypeGet(ctx context.Context, slug string) (webhook.EventType, error) {
	et, err := scanEventType(s.pool.QueryRow(ctx, `SELECT `+eventTypeColumns+` FROM event_types WHERE slug = $1`, slug))
	return et, s.notFound(err, "event type")
}

// insertEventType is the statement storing et; a slug already stored
// inserts nothing.
func insertEventType(et webhook.EventType) (string, []any) {
	var schema []byte
	if len(et.Schema) > 0 {
		schema = et.Schema
	}
	return `INSERT INTO event_types (slug, name, description, example, schema, custom, created_at, deprecated)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (slug) DO NOTHING`,
		[]any{et.Slug, et.Name, et.Description, nonNil(et.Example), schema, et.Custom, et.CreatedAt, et.Deprecated}
}

// EventTypeUpdate implements store.EventTypeStore.
func (s *Store) EventTypeUpdate(ctx context.Context, et webhook.EventType) error {
	var schema []byte
	if len(et.Schema) > 0 {
		schema = et.Schema
	}
	n, err := s.exec(ctx, `UPDATE event_types SET name = $1, description = $2, example = $3, schema = $4, deprecated = $5
		WHERE slug = $6`, et.Name, et.Description, nonNil(et.Example), schema, et.Deprecated, et.Slug)
	if err == nil && n == 0 {
		return webhook.Errorf(webhook.ENOTFOUND, "event type not found")
	}
	return err
}

// EventTypeCreate implements store.EventTypeStore.
func (s *Store) EventTypeCreate(ctx context.Context, et webhook.EventType) error {
	q, args := insertEventType(et)
	n, err := s.exec(ctx, q, args...)
	if err == nil && n == 0 {
		return webhook.FieldError(webhook.ECONFLICT, "slug", "event type %q already exists", et.Slug)
	}
	return err
}

// EventTypeSeed implements store.EventTypeStore.
func (s *Store) EventTypeSeed(ctx context.Context, types []webhook.EventType) error {
	if len(types) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		for _, et := range types {
			q, args := insertEventType(et)
			b.Queue(q, args...)
		}
		return tx.SendBatch(ctx, &b).Close()
	})
}
