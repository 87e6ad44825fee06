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
	var v webhook.Validation
	switch {
	case !catalog.ValidSlug(et.Slug):
		v.Add(webhook.EINVALID, webhook.At("slug"),
			"must match ^[a-z0-9][a-z0-9_.-]{0,99}$ (lower-case letters, digits, _ . -)")
	case et.Slug == webhook.AllEvents:
		v.Add(webhook.EINVALID, webhook.At("slug"), `"*" is reserved`)
	}
	if n := utf8.RuneCountInString(et.Name); n == 0 || n > MaxEventTypeName {
		v.Add(webhook.EINVALID, webhook.At("name"), "must be 1 to %d characters", MaxEventTypeName)
	}
	if utf8.RuneCountInString(et.Description) > MaxEventTypeDescription {
		v.Add(webhook.EINVALID, webhook.At("description"), "must be at most %d characters", MaxEventTypeDescription)
	}
	example := in.Example
	if len(example) == 0 || string(example) == "null" {
		example = json.RawMessage(`{}`)
	}
	exampleOK := ingest.CheckData(example, 64) == nil
	if !exampleOK {
		v.Add(webhook.EINVALID, webhook.At("example"), "must be a JSON object")
	}
	et.Example = example
	if len(in.Schema) > 0 && string(in.Schema) != "null" {
		s, err := schema.Compile(in.Schema)
		if err := v.Merge(err); err != nil {
			return et, err
		}
		// The example is checked against a schema only when both are
		// sound: a problem in either is already reported.
		if s != nil && exampleOK {
			if err := s.Validate(example); err != nil {
				v.Add(webhook.EUNPROCESSABLE, webhook.At("example"), "does not satisfy the schema: %s", schemaProblems(err))
			}
		}
		et.Schema = in.Schema
	}
	if err := v.Err(); err != nil {
		return et, err
	}
	if err := r.cfg.Store.EventTypeCreate(ctx, et); err != nil {
		return et, err
	}
	r.cfg.Forget(et.Slug)
	r.audit(ctx, "event_type.create", et.Slug, et.Name)
	return et, nil
}

// schemaProblems words a schema validation error of an example: each
// problem as "data.path: message".
func schemaProblems(err error) string {
	e, ok := errors.AsType[*webhook.Error](err)
	if !ok {
		return err.Error()
	}
	var b strings.Builder
	for i, p := range e.Problems() {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Field + ": " + p.Message)
	}
	return b.String()
}
