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
	if err := checkEventType(&et, in.Example, in.Schema, &v); err != nil {
		return et, err
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

// EventTypePatch is a change to an event type: nil fields stay as they
// are; Schema "null" removes the schema.
type EventTypePatch struct {
	Name        *string
	Description *string
	Example     json.RawMessage
	Schema      json.RawMessage
	Deprecated  *bool
}

// UpdateEventType changes the fields set in in, with the checks of
// CreateEventType; a changed schema applies to events published from now
// on. Built-in types may be edited and deprecated too (a deprecated type
// still delivers to its subscribers, it is only no longer offered);
// Hookline's own hookline.* types may not.
func (r *Registry) UpdateEventType(ctx context.Context, slug string, in EventTypePatch) (webhook.EventType, error) {
	et, err := r.cfg.Store.EventTypeGet(ctx, slug)
	if err != nil {
		return et, err
	}
	if webhook.IsOperatorEvent(et.Slug) {
		return et, webhook.Errorf(webhook.EFORBIDDEN, "%s is one of Hookline's own event types: it cannot be changed", et.Slug)
	}
	if in.Name != nil {
		et.Name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		et.Description = *in.Description
	}
	if in.Deprecated != nil {
		et.Deprecated = *in.Deprecated
	}
	example, sch := et.Example, et.Schema
	if in.Example != nil {
		example = in.Example
	}
	switch {
	case string(in.Schema) == "null":
		sch = nil
	case in.Schema != nil:
		sch = in.Schema
	}
	var v webhook.Validation
	if err := checkEventType(&et, example, sch, &v); err != nil {
		return et, err
	}
	if err := v.Err(); err != nil {
		return et, err
	}
	if err := r.cfg.Store.EventTypeUpdate(ctx, et); err != nil {
		return et, err
	}
	r.cfg.Forget(et.Slug)
	r.audit(ctx, "event_type.update", et.Slug, changedEventType(in))
	return et, nil
}

// checkEventType checks et's name and description and sets its example
// and schema from the given ones, recording every problem in v. It
// returns only errors about no field.
func checkEventType(et *webhook.EventType, example, sch json.RawMessage, v *webhook.Validation) error {
	if n := utf8.RuneCountInString(et.Name); n == 0 || n > MaxEventTypeName {
		v.Add(webhook.EINVALID, webhook.At("name"), "must be 1 to %d characters", MaxEventTypeName)
	}
	if utf8.RuneCountInString(et.Description) > MaxEventTypeDescription {
		v.Add(webhook.EINVALID, webhook.At("description"), "must be at most %d characters", MaxEventTypeDescription)
	}
	if len(example) == 0 || string(example) == "null" {
		example = json.RawMessage(`{}`)
	}
	exampleOK := ingest.CheckData(example, 64) == nil
	if !exampleOK {
		v.Add(webhook.EINVALID, webhook.At("example"), "must be a JSON object")
	}
	et.Example, et.Schema = example, nil
	if len(sch) > 0 && string(sch) != "null" {
		s, err := schema.Compile(sch)
		if err := v.Merge(err); err != nil {
			return err
		}
		// The example is checked against a schema only when both are
		// sound: a problem in either is already reported.
		if s != nil && exampleOK {
			if err := s.Validate(example); err != nil {
				v.Add(webhook.EUNPROCESSABLE, webhook.At("example"), "does not satisfy the schema: %s", schemaProblems(err))
			}
		}
		et.Schema = sch
	}
	return nil
}

// changedEventType names the fields a patch sets, for the audit log.
func changedEventType(in EventTypePatch) string {
	var f []string
	for _, c := range []struct {
		set  bool
		name string
	}{{in.Name != nil, "name"}, {in.Description != nil, "description"}, {in.Example != nil, "example"},
		{in.Schema != nil, "schema"}, {in.Deprecated != nil, "deprecated"}} {
		if c.set {
			f = append(f, c.name)
		}
	}
	return strings.Join(f, ", ")
}
