package registry

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/hookline/hookline/internal/catalog"
	"github.com/hookline/hookline/internal/ingest"
	"github.com/hookline/hookline/internal/schema"
	"github.com/hookline/hookline/internal/webhook"
)

// EventTypeInput is a custom event type to register.
type EventTypeInput struct {
	Slug        string
	Name        string
	Description string
	Example     json.RawMessage
	Schema      json.RawMessage
}

// Limits on event type fields.
const (
	MaxEventTypeName        = 200
	MaxEventTypeDescription = 2000
)

// CreateEventType validates and registers a custom event type. When a
// schema is given it must compile and the example must satisfy it.
func (r *Registry) CreateEventType(ctx context.Context, in EventTypeInput) (webhook.EventType, error) {
	et := webhook.EventType{
		Slug: in.Slug, Name: strings.TrimSpace(in.Name), Description: in.Description,
		Custom: true, CreatedAt: r.cfg.Now().UTC(),
	}
	if !catalog.ValidSlug(et.Slug) {
		return et, webhook.FieldError(webhook.EINVALID, "slug",
			"must match ^[a-z0-9][a-z0-9_.-]{0,99}$ (lower-case letters, digits, _ . -)")
	}
	if et.Slug == webhook.AllEvents {
		return et, webhook.FieldError(webhook.EINVALID, "slug", `"*" is reserved`)
	}
	if n := utf8.RuneCountInString(et.Name); n == 0 || n > MaxEventTypeName {
		return et, webhook.FieldError(webhook.EINVALID, "name", "must be 1 to %d characters", MaxEventTypeName)
	}
	if utf8.RuneCountInString(et.Description) > MaxEventTypeDescription {
		return et, webhook.FieldError(webhook.EINVALID, "description",
			"must be at most %d characters", MaxEventTypeDescription)
	}
	example := in.Example
	if len(example) == 0 || string(example) == "null" {
		example = json.RawMessage(`{}`)
	}
	if err := ingest.CheckData(example, 64); err != nil {
		return et, webhook.FieldError(webhook.EINVALID, "example", "must be a JSON object")
	}
	et.Example = example
	if len(in.Schema) > 0 && string(in.Schema) != "null" {
		s, err := schema.Compile(in.Schema)
		if err != nil {
			return et, err
		}
		if err := s.Validate(example); err != nil {
			msg := err.Error()
			if e, ok := errors.AsType[*webhook.Error](err); ok {
				msg = e.Field + ": " + e.Message
			}
			return et, webhook.FieldError(webhook.EUNPROCESSABLE, "example", "does not satisfy the schema: %s", msg)
		}
		et.Schema = in.Schema
	}
	if err := r.cfg.Store.EventTypeCreate(ctx, et); err != nil {
		return et, err
	}
	r.cfg.Forget(et.Slug)
	r.audit(ctx, "event_type.create", et.Slug, et.Name)
	return et, nil
}
