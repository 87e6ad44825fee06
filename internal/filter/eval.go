package filter

import (
	"fmt"
	"regexp"
	"strings"
)

// allOf holds when every clause does.
type allOf []node

func (a allOf) eval(doc any) (bool, string) {
	for _, n := range a {
		if ok, why := n.eval(doc); !ok {
			return false, why
		}
	}
	return true, ""
}

// anyOf holds when some clause does.
type anyOf []node

func (a anyOf) eval(doc any) (bool, string) {
	whys := make([]string, 0, len(a))
	for _, n := range a {
		ok, why := n.eval(doc)
		if ok {
			return true, ""
		}
		whys = append(whys, why)
	}
	return false, "$or: no alternative holds (" + strings.Join(whys, "; ") + ")"
}

// not holds when its clause does not.
type not struct{ n node }

func (n not) eval(doc any) (bool, string) {
	if ok, _ := n.n.eval(doc); ok {
		return false, "$not: the negated clause holds"
	}
	return true, ""
}

// cond is one comparison of the values at path.
type cond struct {
	path []string
	op   string
	arg  any
	re   *regexp.Regexp
}

func (c cond) eval(doc any) (bool, string) {
	vals := resolve(doc, c.path)
	name := strings.Join(c.path, ".")
	switch c.op {
	case "$exists":
		want := c.arg.(bool)
		if (len(vals) > 0) == want {
			return true, ""
		}
		if want {
			return false, name + " is missing"
		}
		return false, name + " exists"
	case "$neq", "$nin":
		for _, v := range vals {
			if c.test(v) {
				return false, fmt.Sprintf("%s is %s (%s %s)", name, describe(v), c.op, describe(c.arg))
			}
		}
		return true, ""
	}
	if len(vals) == 0 {
		return false, name + " is missing"
	}
	for _, v := range vals {
		if c.test(v) {
			return true, ""
		}
	}
	shown := describe(vals[0])
	if len(vals) > 1 {
		shown = fmt.Sprintf("%d values, none", len(vals))
		return false, fmt.Sprintf("%s: %s %s %s", name, shown, verb(c.op), describe(c.arg))
	}
	return false, fmt.Sprintf("%s is %s, not %s %s", name, shown, verb(c.op), describe(c.arg))
}

// test is the comparison on one value; $neq and $nin test equality, and
// eval negates.
func (c cond) test(v any) bool {
	switch c.op {
	case "$eq", "$neq":
		return equal(v, c.arg)
	case "$in", "$nin":
		for _, a := range c.arg.([]any) {
			if equal(v, a) {
				return true
			}
		}
		return false
	case "$gt", "$gte", "$lt", "$lte":
		cmp, ok := compare(v, c.arg)
		if !ok {
			return false
		}
		switch c.op {
		case "$gt":
			return cmp > 0
		case "$gte":
			return cmp >= 0
		case "$lt":
			return cmp < 0
		}
		return cmp <= 0
	case "$startsWith":
		s, ok := v.(string)
		return ok && strings.HasPrefix(s, c.arg.(string))
	case "$endsWith":
		s, ok := v.(string)
		return ok && strings.HasSuffix(s, c.arg.(string))
	case "$contains":
		switch x := v.(type) {
		case string:
			sub, ok := c.arg.(string)
			return ok && strings.Contains(x, sub)
		case []any:
			for _, e := range x {
				if equal(e, c.arg) {
					return true
				}
			}
		}
		return false
	case "$regex":
		s, ok := v.(string)
		return ok && c.re.MatchString(s)
	}
	return false
}

func verb(op string) string {
	switch op {
	case "$eq":
		return "equal to"
	case "$in":
		return "in"
	case "$gt":
		return ">"
	case "$gte":
		return "≥"
	case "$lt":
		return "<"
	case "$lte":
		return "≤"
	case "$startsWith":
		return "starting with"
	case "$endsWith":
		return "ending with"
	case "$contains":
		return "containing"
	case "$regex":
		return "matching"
	}
	return op
}

// resolve returns the values at path in doc: none when it is missing,
// several when it goes through "*".
func resolve(doc any, path []string) []any {
	cur := []any{doc}
	for _, seg := range path {
		var next []any
		for _, v := range cur {
			switch x := v.(type) {
			case map[string]any:
				if seg == "*" {
					continue // "*" is for arrays
				}
				if e, ok := x[seg]; ok {
					next = append(next, e)
				}
			case []any:
				if seg == "*" {
					next = append(next, x...)
					continue
				}
				if i, ok := index(seg, len(x)); ok {
					next = append(next, x[i])
				}
			}
		}
		cur = next
		if len(cur) == 0 {
			return nil
		}
	}
	return cur
}

func index(seg string, n int) (int, bool) {
	i := 0
	for _, r := range seg {
		if r < '0' || r > '9' || i > n {
			return 0, false
		}
		i = i*10 + int(r-'0')
	}
	return i, i < n
}

// equal is JSON equality, numbers by value (1 equals 1.0).
func equal(a, b any) bool {
	if na, ok := number(a); ok {
		nb, ok := number(b)
		return ok && na == nb
	}
	switch x := a.(type) {
	case string, bool, nil:
		return a == b
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

// compare orders two numbers or two strings; other pairs do not compare.
func compare(a, b any) (int, bool) {
	if na, ok := number(a); ok {
		nb, ok := number(b)
		if !ok {
			return 0, false
		}
		switch {
		case na < nb:
			return -1, true
		case na > nb:
			return 1, true
		}
		return 0, true
	}
	sa, ok1 := a.(string)
	sb, ok2 := b.(string)
	if !ok1 || !ok2 {
		return 0, false
	}
	return strings.Compare(sa, sb), true
}
