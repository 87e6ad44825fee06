// Package filter is the payload filter language of webhooks: a JSON
// document matched against an event's envelope ({"id", "type", "tenant",
// "timestamp", "data"}), in the style of MongoDB queries.
//
//	{"type": "payment_received", "data.amount": {"$gte": 100},
//	 "$or": [{"data.country": {"$in": ["DE", "FR"]}}, {"data.vip": true}]}
//
// An object's keys all have to hold. A key is an operator ($and, $or,
// $not) or a path: dotted ("data.customer.country"), with "*" for every
// element of an array ("data.items.*.sku": some item's sku). A path's
// value is a condition ({"$gt": 100, "$lt": 500}: all of them), a nested
// object of more paths, or a bare value, which means $eq. A condition on
// a path with "*" holds when it holds for some element; $neq and $nin
// hold when no element equals.
//
// Filters are parsed once (Parse), which checks every part and reports
// each problem at its JSON pointer, and then matched with an explanation
// of the clause that failed (Match).
package filter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hookline/hookline/internal/webhook"
)

// Limits on a filter: it runs for every event of its webhook's types.
const (
	MaxBytes   = 16 << 10
	MaxDepth   = 10
	MaxNodes   = 200
	MaxRegex   = 256
	MaxInItems = 100
)

// Filter is a parsed filter, safe for concurrent use.
type Filter struct {
	root node
	raw  json.RawMessage
}

// Raw returns the filter as it was given.
func (f *Filter) Raw() json.RawMessage { return f.raw }

// node is one clause: it holds for a document or says why not.
type node interface {
	eval(doc any) (bool, string)
}

// Parse checks raw and returns the filter. Problems are recorded in v at
// their place under at (each with the JSON pointer of the bad part and
// the operator it names); the filter is nil when there is any.
func Parse(raw json.RawMessage, at webhook.Loc, v *webhook.Validation) *Filter {
	if len(raw) > MaxBytes {
		v.Add(webhook.EINVALID, at, "must be at most %d KiB of JSON", MaxBytes>>10)
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		v.Add(webhook.EINVALID, at, "is not valid JSON: %v", err)
		return nil
	}
	if dec.More() {
		v.Add(webhook.EINVALID, at, "must be one JSON object")
		return nil
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		v.Add(webhook.EINVALID, at, `must be a JSON object, like {"data.amount": {"$gt": 100}}`)
		return nil
	}
	p := parser{v: v}
	before := v.Len()
	root := p.object(obj, nil, at, 0)
	if v.Len() > before {
		return nil
	}
	return &Filter{root: root, raw: raw}
}

type parser struct {
	v     *webhook.Validation
	nodes int
}

func (p *parser) count(at webhook.Loc) bool {
	p.nodes++
	if p.nodes == MaxNodes+1 {
		p.v.Add(webhook.EINVALID, at, "makes the filter too large (at most %d clauses)", MaxNodes)
	}
	return p.nodes <= MaxNodes
}

// object parses {key: value, ...} under path prefix: every key must hold.
func (p *parser) object(obj map[string]any, prefix []string, at webhook.Loc, depth int) node {
	if depth > MaxDepth {
		p.v.Add(webhook.EINVALID, at, "nests too deep (at most %d levels)", MaxDepth)
		return nil
	}
	var all allOf
	for _, k := range sortedKeys(obj) {
		val, kat := obj[k], at.Key(k)
		if !p.count(kat) {
			return nil
		}
		if strings.HasPrefix(k, "$") {
			if n := p.logical(k, val, prefix, kat, depth); n != nil {
				all = append(all, n)
			}
			continue
		}
		path, ok := splitPath(k)
		if !ok {
			p.v.Add(webhook.EINVALID, kat, "%q is not a path: use names separated by dots, and * for every element of an array", k)
			continue
		}
		full := append(slices.Clone(prefix), path...)
		if n := p.value(val, full, kat, depth); n != nil {
			all = append(all, n)
		}
	}
	return all
}

// logical parses $and, $or and $not.
func (p *parser) logical(op string, val any, prefix []string, at webhook.Loc, depth int) node {
	switch op {
	case "$and", "$or":
		list, ok := val.([]any)
		if !ok || len(list) == 0 {
			p.v.Add(webhook.EINVALID, at, "%s takes a non-empty array of filters", op)
			return nil
		}
		var subs []node
		for i, item := range list {
			obj, ok := item.(map[string]any)
			if !ok {
				p.v.Add(webhook.EINVALID, at.Index(i), "%s takes filters (objects)", op)
				continue
			}
			subs = append(subs, p.object(obj, prefix, at.Index(i), depth+1))
		}
		if op == "$and" {
			return allOf(subs)
		}
		return anyOf(subs)
	case "$not":
		obj, ok := val.(map[string]any)
		if !ok {
			p.v.Add(webhook.EINVALID, at, "$not takes a filter (an object)")
			return nil
		}
		return not{p.object(obj, prefix, at, depth+1)}
	}
	p.v.Add(webhook.EINVALID, at, "unknown operator %s here: use $and, $or or $not, or a path", op)
	return nil
}

// value parses what a path must satisfy.
func (p *parser) value(val any, path []string, at webhook.Loc, depth int) node {
	obj, isObj := val.(map[string]any)
	if !isObj || len(obj) == 0 {
		return cond{path: path, op: "$eq", arg: val}
	}
	ops, paths := 0, 0
	for k := range obj {
		if strings.HasPrefix(k, "$") {
			ops++
		} else {
			paths++
		}
	}
	if ops > 0 && paths > 0 {
		p.v.Add(webhook.EINVALID, at, "mixes operators and paths: put the paths in their own object")
		return nil
	}
	if paths > 0 {
		return p.object(obj, path, at, depth+1)
	}
	var all allOf
	for _, op := range sortedKeys(obj) {
		oat := at.Key(op)
		if !p.count(oat) {
			return nil
		}
		if n := p.operator(op, obj[op], path, oat, depth); n != nil {
			all = append(all, n)
		}
	}
	return all
}

// operator parses one comparison on path.
func (p *parser) operator(op string, arg any, path []string, at webhook.Loc, depth int) node {
	c := cond{path: path, op: op, arg: arg}
	switch op {
	case "$eq", "$neq":
	case "$gt", "$gte", "$lt", "$lte":
		if _, ok := number(arg); !ok {
			if _, ok := arg.(string); !ok {
				p.v.Add(webhook.EINVALID, at, "%s compares with a number or a string", op)
				return nil
			}
		}
	case "$in", "$nin":
		list, ok := arg.([]any)
		if !ok {
			p.v.Add(webhook.EINVALID, at, "%s takes an array of values", op)
			return nil
		}
		if len(list) > MaxInItems {
			p.v.Add(webhook.EINVALID, at, "%s takes at most %d values", op, MaxInItems)
			return nil
		}
	case "$exists":
		if _, ok := arg.(bool); !ok {
			p.v.Add(webhook.EINVALID, at, "$exists takes true or false")
			return nil
		}
	case "$startsWith", "$endsWith":
		if _, ok := arg.(string); !ok {
			p.v.Add(webhook.EINVALID, at, "%s takes a string", op)
			return nil
		}
	case "$contains":
		if _, ok := arg.(map[string]any); ok {
			p.v.Add(webhook.EINVALID, at, "$contains takes a string (within a string) or a value (within an array)")
			return nil
		}
	case "$regex":
		s, ok := arg.(string)
		if !ok || s == "" || len(s) > MaxRegex {
			p.v.Add(webhook.EINVALID, at, "$regex takes a regular expression (RE2 syntax) of 1 to %d characters", MaxRegex)
			return nil
		}
		re, err := regexp.Compile(s)
		if err != nil {
			p.v.Add(webhook.EINVALID, at, "$regex: %v", err)
			return nil
		}
		c.re = re
	case "$not":
		obj, ok := arg.(map[string]any)
		if !ok || len(obj) == 0 {
			p.v.Add(webhook.EINVALID, at, `$not on a path takes operators, like {"$in": [1, 2]}`)
			return nil
		}
		for k := range obj {
			if !strings.HasPrefix(k, "$") {
				p.v.Add(webhook.EINVALID, at, `$not on a path takes operators, like {"$in": [1, 2]}`)
				return nil
			}
		}
		return not{p.value(obj, path, at, depth+1)}
	default:
		p.v.Add(webhook.EINVALID, at, "unknown operator %s: use $eq $neq $gt $gte $lt $lte $in $nin $exists "+
			"$startsWith $endsWith $contains $regex $not", op)
		return nil
	}
	return c
}

// splitPath splits a dotted path; every part must be non-empty.
func splitPath(k string) ([]string, bool) {
	parts := strings.Split(k, ".")
	for _, s := range parts {
		if s == "" {
			return nil, false
		}
	}
	return parts, true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Match reports whether doc (an envelope decoded with UseNumber, or with
// float64 numbers) passes f; when it does not, why (the first clause that
// failed).
func (f *Filter) Match(doc any) (bool, string) {
	if f == nil || f.root == nil {
		return true, "no filter"
	}
	ok, why := f.root.eval(doc)
	if ok {
		return true, "every clause holds"
	}
	return false, why
}

// Envelope is the document a filter sees for an event.
func Envelope(ev webhook.Event) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(ev.Data))
	dec.UseNumber()
	var data any
	if len(ev.Data) > 0 {
		if err := dec.Decode(&data); err != nil {
			return nil, err
		}
	}
	return map[string]any{"id": ev.ID, "type": ev.Type, "tenant": ev.Tenant,
		"timestamp": ev.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00"), "data": data}, nil
}

// describe renders a value for explanations, bounded.
func describe(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 80 {
		s = s[:77] + "…"
	}
	return s
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}
