package kafka

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Key is a record's key: the value at the dotted path in body (the JSON
// the record carries), so that events about one thing (a customer, an
// order) share a partition and keep their order. Each segment names an
// object member, or an array index when the value there is an array
// ("data.items.0.sku"); member names containing dots cannot be reached.
//
// A string is its text; a number or boolean its JSON text (42, true); an
// object or array its compact JSON. When path is empty the key is the
// event id. When nothing is at path, or null is, the key is the event id
// too, and note says so for the attempt's answer: the record is still
// produced (a missing field must not hold a delivery back forever), and
// a compacted topic, which refuses records without a key, still takes it.
func Key(body []byte, path, eventID string) (key []byte, note string) {
	if path == "" {
		return []byte(eventID), ""
	}
	v := json.RawMessage(body)
	for _, seg := range strings.Split(path, ".") {
		var ok bool
		if v, ok = member(v, seg); !ok {
			return []byte(eventID), "key: the event id, " + path + " is not in the payload"
		}
	}
	v = bytes.TrimSpace(v)
	switch {
	case string(v) == "null":
		return []byte(eventID), "key: the event id, " + path + " is null"
	case len(v) > 0 && v[0] == '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			return []byte(s), ""
		}
	}
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return []byte(eventID), "key: the event id, " + path + " is not valid JSON"
	}
	return b.Bytes(), ""
}

// member is v's member seg (an object's member, or an array's element
// when seg is an index).
func member(v json.RawMessage, seg string) (json.RawMessage, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return nil, false
	}
	switch v[0] {
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(v, &m) != nil {
			return nil, false
		}
		out, ok := m[seg]
		return out, ok
	case '[':
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 {
			return nil, false
		}
		var a []json.RawMessage
		if json.Unmarshal(v, &a) != nil || i >= len(a) {
			return nil, false
		}
		return a[i], true
	}
	return nil, false
}
