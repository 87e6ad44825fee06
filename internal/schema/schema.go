// Package schema compiles the optional JSON Schema of a custom event type
// and checks published event data against it, turning the validator's
// findings into one *webhook.Error a client can act on.
//
// Schemas are self-contained: Hookline never fetches a "$ref" or "$schema"
// target from the network or the file system, because a user-supplied
// schema must not make the server issue requests or read local files. Only
// references inside the document and the standard meta-schemas (embedded in
// the validator library) resolve.
package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/hookline/hookline/internal/webhook"
)

// location is the URL the schema document is registered under. Relative
// references resolve against it, so they too end up at the refusing loader.
const location = "hookline:///schema.json"

// errNoFetch is what the loader answers for every URL it is asked for.
var errNoFetch = errors.New("external references are not allowed")

// noFetch is a jsonschema.URLLoader that loads nothing. It replaces the
// library default, which reads file:// URLs from the local disk.
type noFetch struct{}

func (noFetch) Load(string) (any, error) { return nil, errNoFetch }

var _ jsonschema.URLLoader = noFetch{}

// Schema is a compiled JSON Schema. It is immutable after Compile, so one
// value may be cached and used by many goroutines at once.
type Schema struct {
	compiled *jsonschema.Schema
}

// Compile compiles a JSON Schema document, which must be a JSON object.
// Documents without "$schema" are read as draft 2020-12; a "$schema" naming
// draft 4, 6, 7 or 2019-09 is honoured. As the specification says for
// 2020-12, "format" is an annotation unless the meta-schema asserts it.
//
// A schema that is not valid JSON, not an object, not a valid schema, or
// that references anything outside itself returns a *webhook.Error with
// code EUNPROCESSABLE and Field "schema".
func Compile(raw json.RawMessage) (*Schema, error) {
	doc, err := decode(raw)
	if err != nil {
		return nil, schemaError("schema is not valid JSON")
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, schemaError("schema must be a JSON object")
	}

	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noFetch{})
	if err := c.AddResource(location, doc); err != nil {
		return nil, compileError(err)
	}
	compiled, err := c.Compile(location)
	if err != nil {
		return nil, compileError(err)
	}
	return &Schema{compiled: compiled}, nil
}

// Validate checks data, an event's data value, against the schema. It
// returns nil when data conforms, and otherwise a *webhook.Error with code
// EUNPROCESSABLE listing every problem found, in document order of their
// paths (object keys by name, array elements by index, the message
// breaking ties), at most MaxProblems of them; so the same data always gets
// the same answer, and its first problem is the Error's Field and Message.
// Data that is not valid JSON at all gets EINVALID.
//
// Each problem's Field is a dotted path rooted at "data", the event body
// field that holds the value: "data", "data.customer.email",
// "data.items[2].sku", and data["odd key"] for keys that are not plain
// identifiers; its Pointer is the same place as a JSON pointer into the
// request body ("/data/items/2/sku"). A missing or disallowed property is
// reported at its own path, with the message naming it.
//
// Validate is safe for concurrent use.
func (s *Schema) Validate(data json.RawMessage) error {
	v, err := decode(data)
	if err != nil {
		return webhook.FieldError(webhook.EINVALID, "data", "must be valid JSON")
	}
	err = s.compiled.Validate(v)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return fmt.Errorf("schema: validate: %w", err)
	}
	var val webhook.Validation
	for _, p := range sorted(problems(verr)) {
		if val.Len() == MaxProblems {
			break
		}
		at := webhook.Loc{Field: fieldPath(v, p.loc), Pointer: "/data" + pointer(p.loc)}
		val.Add(webhook.EUNPROCESSABLE, at, "%s", p.msg)
	}
	return val.Err()
}

// MaxProblems bounds the problems Validate reports: a long array whose
// every item is wrong would otherwise answer with a page per item.
const MaxProblems = 50

// decode parses exactly one JSON value, keeping numbers exact as the
// validator expects.
func decode(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the top-level value")
	}
	return v, nil
}

func schemaError(format string, args ...any) *webhook.Error {
	return webhook.FieldError(webhook.EUNPROCESSABLE, "schema", format, args...)
}

// compileError explains a compilation failure without the library's
// internal URLs.
func compileError(err error) *webhook.Error {
	var (
		load    *jsonschema.LoadURLError
		invalid *jsonschema.SchemaValidationError
		regex   *jsonschema.InvalidRegexError
	)
	switch {
	case errors.As(err, &load):
		return schemaError("references %q: only references within the schema itself are allowed", displayURL(load.URL))
	case errors.As(err, &invalid):
		var verr *jsonschema.ValidationError
		if errors.As(invalid.Err, &verr) {
			p := first(problems(verr))
			at := pointer(p.loc)
			if at == "" {
				// In the schema document the user edits, not in a request.
				at = "the top level"
			}
			return schemaError("invalid at %s: %s", at, p.msg)
		}
	case errors.As(err, &regex):
		return schemaError("invalid regular expression %q: %v", regex.Regex, regex.Err)
	}
	return schemaError("invalid schema: %s", strings.ReplaceAll(err.Error(), location, "schema"))
}

// displayURL shows a reference the way the user wrote it when it resolved
// against the document's own location.
func displayURL(u string) string {
	if rest, ok := strings.CutPrefix(u, "hookline:///"); ok {
		return rest
	}
	return u
}

// problem is one reportable validation failure.
type problem struct {
	loc []string // instance location, one token per step
	msg string
	// types is set for a plain type mismatch: the JSON types wanted.
	types []string
}

// problems flattens the validator's error tree into reportable problems.
// Wrappers ($ref, allOf, grouping) are looked through. A failed anyOf or
// oneOf is reported by the one alternative that applied to the value's
// type, or, when none did, as the union of the types wanted; if several
// applied there is no single fix to suggest and the combinator itself is
// reported.
func problems(e *jsonschema.ValidationError) []problem {
	loc := e.InstanceLocation
	switch k := e.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
		var out []problem
		for _, c := range e.Causes {
			out = append(out, problems(c)...)
		}
		if len(out) == 0 {
			out = append(out, problem{loc: loc, msg: "does not match the schema"})
		}
		return out
	case *kind.AnyOf:
		return alternatives(e, "must match at least one of the schemas in anyOf")
	case *kind.OneOf:
		if len(k.Subschemas) > 0 {
			return []problem{{loc: loc, msg: fmt.Sprintf("must match exactly one of the schemas in oneOf, but matches oneOf[%d] and oneOf[%d]", k.Subschemas[0], k.Subschemas[1])}}
		}
		return alternatives(e, "must match exactly one of the schemas in oneOf")
	case *kind.Type:
		return []problem{{loc: loc, msg: "must be " + typeList(k.Want), types: k.Want}}
	case *kind.Required:
		return missing(loc, k.Missing, "")
	case *kind.DependentRequired:
		return missing(loc, k.Missing, k.Prop)
	case *kind.Dependency:
		return missing(loc, k.Missing, k.Prop)
	case *kind.AdditionalProperties:
		out := make([]problem, 0, len(k.Properties))
		for _, name := range k.Properties {
			out = append(out, problem{loc: child(loc, name), msg: fmt.Sprintf("property %q is not allowed", name)})
		}
		return out
	}
	return []problem{{loc: loc, msg: message(e)}}
}

// alternatives reports a failed anyOf or oneOf; see problems.
func alternatives(e *jsonschema.ValidationError, generic string) []problem {
	var applied [][]problem
	var types []string
	for _, c := range e.Causes {
		ps := problems(c)
		if wanted, ok := typeMismatch(ps, e.InstanceLocation); ok {
			types = append(types, wanted...)
			continue
		}
		applied = append(applied, ps)
	}
	switch {
	case len(applied) == 1:
		return applied[0]
	case len(applied) == 0 && len(types) > 0:
		slices.Sort(types)
		types = slices.Compact(types)
		return []problem{{loc: e.InstanceLocation, msg: "must be " + typeList(types), types: types}}
	}
	return []problem{{loc: e.InstanceLocation, msg: generic}}
}

// typeMismatch reports whether ps says only that the value at loc has the
// wrong JSON type, and which types were wanted.
func typeMismatch(ps []problem, loc []string) ([]string, bool) {
	var wanted []string
	for _, p := range ps {
		if p.types == nil || !slices.Equal(p.loc, loc) {
			return nil, false
		}
		wanted = append(wanted, p.types...)
	}
	return wanted, len(wanted) > 0
}

// missing reports each missing property at its own location, so the Field
// points where the client has to add something.
func missing(loc, names []string, because string) []problem {
	out := make([]problem, 0, len(names))
	for _, name := range names {
		msg := fmt.Sprintf("missing required property %q", name)
		if because != "" {
			msg += fmt.Sprintf(" (required when %q is present)", because)
		}
		out = append(out, problem{loc: child(loc, name), msg: msg})
	}
	return out
}

// child returns loc extended by one token without sharing loc's array.
func child(loc []string, tok string) []string {
	return append(slices.Clip(loc), tok)
}

// message words the remaining error kinds. Kinds not listed fall back to
// the library's own English text.
func message(e *jsonschema.ValidationError) string {
	switch k := e.ErrorKind.(type) {
	case *kind.Enum:
		return "must be one of " + valueList(k.Want)
	case *kind.Const:
		return "must be " + valueList([]any{k.Want})
	case *kind.FalseSchema:
		return "is not allowed"
	case *kind.Not:
		return `must not match the schema in "not"`
	case *kind.MinLength:
		return fmt.Sprintf("must be at least %d characters long", k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("must be at most %d characters long", k.Want)
	case *kind.Pattern:
		return fmt.Sprintf("must match the pattern %q", k.Want)
	case *kind.Format:
		if k.Err != nil {
			return fmt.Sprintf("must be a valid %s (%v)", k.Want, k.Err)
		}
		return fmt.Sprintf("must be a valid %s", k.Want)
	case *kind.Minimum:
		return "must be at least " + ratString(k.Want)
	case *kind.Maximum:
		return "must be at most " + ratString(k.Want)
	case *kind.ExclusiveMinimum:
		return "must be greater than " + ratString(k.Want)
	case *kind.ExclusiveMaximum:
		return "must be less than " + ratString(k.Want)
	case *kind.MultipleOf:
		return "must be a multiple of " + ratString(k.Want)
	case *kind.MinItems:
		return fmt.Sprintf("must have at least %d items", k.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("must have at most %d items", k.Want)
	case *kind.UniqueItems:
		return fmt.Sprintf("must not contain duplicate items (items %d and %d are equal)", k.Duplicates[0], k.Duplicates[1])
	case *kind.MinProperties:
		return fmt.Sprintf("must have at least %d properties", k.Want)
	case *kind.MaxProperties:
		return fmt.Sprintf("must have at most %d properties", k.Want)
	case *kind.PropertyNames:
		return fmt.Sprintf("property name %q is not allowed", k.Property)
	case *kind.Contains:
		return `must contain at least one item matching "contains"`
	}
	// BasicOutput renders the kind with the library's English printer;
	// dropping the causes makes it describe this error alone.
	leaf := *e
	leaf.Causes = nil
	if out := leaf.BasicOutput(); out.Error != nil {
		return out.Error.String()
	}
	return "does not match the schema"
}

// typeList words JSON Schema type names: "a string", "an integer or null".
// Null goes last, as people say it.
func typeList(types []string) string {
	words := make([]string, 0, len(types))
	nullable := false
	for _, t := range types {
		switch t {
		case "null":
			nullable = true
		case "integer", "object", "array":
			words = append(words, "an "+t)
		default:
			words = append(words, "a "+t)
		}
	}
	if nullable {
		words = append(words, "null")
	}
	return orList(words)
}

// valueList words enum values as JSON: "a", 1 or null.
func valueList(values []any) string {
	words := make([]string, len(values))
	for i, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte(fmt.Sprint(v))
		}
		words[i] = string(b)
	}
	return orList(words)
}

func orList(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// ratString prints a schema bound the way it was most likely written.
func ratString(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// sorted returns ps in document order of their locations, then by
// message, without repeats (two branches of a schema can find the same
// problem). Its first element is the one first picks.
func sorted(ps []problem) []problem {
	slices.SortFunc(ps, compareProblems)
	return slices.CompactFunc(ps, func(a, b problem) bool { return compareProblems(a, b) == 0 })
}

// first picks the problem a schema error is reported by: the first in
// document order of its location, then by message. ps is never empty.
func first(ps []problem) problem {
	return slices.MinFunc(ps, compareProblems)
}

func compareProblems(a, b problem) int {
	if c := compareLoc(a.loc, b.loc); c != 0 {
		return c
	}
	return strings.Compare(a.msg, b.msg)
}

// compareLoc orders locations token by token, array indices numerically,
// and a parent before its children.
func compareLoc(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := compareToken(a[i], b[i]); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

func compareToken(a, b string) int {
	if isIndex(a) && isIndex(b) && len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

func isIndex(tok string) bool {
	if tok == "" {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < '0' || tok[i] > '9' {
			return false
		}
	}
	return true
}

// fieldPath renders loc as a dotted path rooted at "data". The value v
// tells array indices ("[2]") from object keys that look like numbers.
func fieldPath(v any, loc []string) string {
	var b strings.Builder
	b.WriteString("data")
	for _, tok := range loc {
		switch cur := v.(type) {
		case []any:
			b.WriteString("[" + tok + "]")
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(cur) {
				v = cur[i]
			} else {
				v = nil
			}
			continue
		case map[string]any:
			v = cur[tok]
		default:
			v = nil
		}
		if isIdentifier(tok) {
			b.WriteString("." + tok)
		} else {
			b.WriteString("[" + strconv.Quote(tok) + "]")
		}
	}
	return b.String()
}

// isIdentifier reports whether a key can be written after a dot without
// ambiguity.
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// pointer renders loc as a JSON pointer: "" for the top level.
func pointer(loc []string) string {
	var b strings.Builder
	for _, tok := range loc {
		tok = strings.ReplaceAll(tok, "~", "~0")
		tok = strings.ReplaceAll(tok, "/", "~1")
		b.WriteString("/" + tok)
	}
	return b.String()
}
