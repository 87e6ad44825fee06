package webhook

import (
	"encoding/json"
	"time"
)

// Body returns the bytes a webhook receives for an event: the envelope
// {"id","type","timestamp","data"} or, for raw webhooks, data alone. The
// data bytes are sent exactly as they were accepted.
func Body(format Format, ev Event) []byte {
	if format == FormatRaw {
		return ev.Data
	}
	b := make([]byte, 0, len(ev.Data)+len(ev.ID)+len(ev.Type)+80)
	b = append(b, `{"id":`...)
	b = appendString(b, ev.ID)
	b = append(b, `,"type":`...)
	b = appendString(b, ev.Type)
	b = append(b, `,"timestamp":"`...)
	b = ev.CreatedAt.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","data":`...)
	b = append(b, ev.Data...)
	return append(b, '}')
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}
