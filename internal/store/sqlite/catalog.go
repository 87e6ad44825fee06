package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/hookline/hookline/internal/webhook"
)

const eventTypeColumns = `slug, name, description, example, schema, custom, created_at, deprecated`

func scanEventType(r scanner) (webhook.EventType, error) {
	var et webhook.EventType
	var example string
	var schema sql.NullString
	var custom, deprecated int
	var created int64
	if err := r.Scan(&et.Slug, &et.Name, &et.Description, &example, &schema, &custom, &created, &deprecated); err != nil {
		return et, err
	}
	et.Example = []byte(example)
	if schema.Valid {
		et.Schema = []byte(schema.String)
	}
	et.Custom, et.Deprecated = custom == 1, deprecated == 1
	et.CreatedAt = fromTS(created)
	return et, nil
}

// EventTypeList implements store.EventTypeStore.
func (s *Store) EventTypeList(ctx context.Context) ([]webhook.EventType, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+eventTypeColumns+` FROM event_types ORDER BY custom, rowid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []webhook.EventType
	for rows.Next() {
		et, err := scanEventType(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, et)
	}
	return out, rows.Err()
}

// EventTypeGet implements store.EventTypeStore.
func (s *Store) EventTypeGet(ctx context.Context, slug string) (webhook.EventType, error) {
	et, err := scanEventType(s.rdb.QueryRowContext(ctx, `SELECT `+eventTypeColumns+` FROM event_types WHERE slug = ?`, slug))
	return et, notFound(err, "event type")
}

func insertEventType(tx *sql.Tx, verb string, et webhook.EventType) (sql.Result, error) {
	var schema any
	if len(et.Schema) > 0 {
		schema = string(et.Schema)
	}
	return tx.Exec(verb+` INTO event_types (slug, name, description, example, schema, custom, created_at, deprecated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, et.Slug, et.Name, et.Description, string(et.Example), schema,
		boolInt(et.Custom), ts(et.CreatedAt), boolInt(et.Deprecated))
}

// EventTypeUpdate implements store.EventTypeStore.
func (s *Store) EventTypeUpdate(ctx context.Context, et webhook.EventType) error {
	var schema any
	if len(et.Schema) > 0 {
		schema = string(et.Schema)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE event_types SET name = ?, description = ?, example = ?, schema = ?, deprecated = ?
			WHERE slug = ?`, et.Name, et.Description, string(et.Example), schema, boolInt(et.Deprecated), et.Slug)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return notFound(sql.ErrNoRows, "event type")
		}
		return nil
	})
}

// EventTypeCreate implements store.EventTypeStore.
func (s *Store) EventTypeCreate(ctx context.Context, et webhook.EventType) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := insertEventType(tx, "INSERT", et)
		if err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return webhook.FieldError(webhook.ECONFLICT, "slug", "event type %q already exists", et.Slug)
		}
		return err
	})
}

// EventTypeSeed implements store.EventTypeStore.
func (s *Store) EventTypeSeed(ctx context.Context, types []webhook.EventType) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		for _, et := range types {
			if _, err := insertEventType(tx, "INSERT OR IGNORE", et); err != nil {
				return err
			}
		}
		return nil
	})
}
