package registry

import (
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/webhook"
)

func TestRecoverParams(t *testing.T) {
	now := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	day := 24 * time.Hour
	for _, c := range []struct {
		name     string
		in       RecoverInput
		pointers []string // of the problems, in order; none: valid
		until    time.Time
	}{
		{name: "since only: until is now", in: RecoverInput{Since: ago(time.Hour)}, until: now},
		{name: "window", in: RecoverInput{Since: ago(2 * day), Until: ago(day)}, until: now.Add(-day)},
		{name: "31 days exactly", in: RecoverInput{Since: ago(31 * day)}, until: now},
		{name: "failed named", in: RecoverInput{Since: ago(time.Hour), Statuses: []string{"failed"}}, until: now},
		{name: "types", in: RecoverInput{Since: ago(time.Hour), EventTypes: []string{"a", "b"}}, until: now},
		{name: "no since", in: RecoverInput{}, pointers: []string{"/since"}},
		{name: "since in the future", in: RecoverInput{Since: ago(-time.Minute)}, pointers: []string{"/since"}},
		{name: "until not after since", in: RecoverInput{Since: ago(time.Hour), Until: ago(time.Hour)}, pointers: []string{"/until"}},
		{name: "over 31 days", in: RecoverInput{Since: ago(31*day + time.Second)}, pointers: []string{"/since"}},
		{name: "no state", in: RecoverInput{Since: ago(time.Hour), Statuses: []string{}}, pointers: []string{"/status"}},
		{name: "other states", in: RecoverInput{Since: ago(time.Hour), Statuses: []string{"pending", "failed", "succeeded"}},
			pointers: []string{"/status/0", "/status/2"}},
		{name: "empty type", in: RecoverInput{Since: ago(time.Hour), EventTypes: []string{"a", " "}}, pointers: []string{"/event_types/1"}},
		{name: "every problem at once", in: RecoverInput{Statuses: []string{"lost"}, EventTypes: []string{""}},
			pointers: []string{"/since", "/status/0", "/event_types/0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := recoverParams(c.in, now)
			var got []string
			if e, ok := err.(*webhook.Error); ok {
				for _, pr := range e.Problems() {
					got = append(got, pr.Pointer)
				}
			} else if err != nil {
				t.Fatalf("error %v is not a *webhook.Error", err)
			}
			if !slices.Equal(got, c.pointers) {
				t.Fatalf("problems at %v, want %v (%v)", got, c.pointers, err)
			}
			if err != nil {
				return
			}
			if !p.Since.Equal(*c.in.Since) || !p.Until.Equal(c.until) ||
				!slices.Equal(p.Statuses, []webhook.DeliveryStatus{webhook.DeliveryFailed}) || !slices.Equal(p.EventTypes, c.in.EventTypes) {
				t.Errorf("params %+v", p)
			}
		})
	}
}

func TestDeliveryQuery(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"dlv_01J9Z3", "dlv_01j9z3", true},
		{"  evt_01j9  ", "evt_01j9", true},
		{"01j9", "01j9", true},
		{"", "", true},
		{"dlv_%", "", false},
		{"dlv_01j9 z", "", false},
		{"évt_1", "", false},
		{string(make([]byte, 65)), "", false},
	} {
		got, ok := DeliveryQuery(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("DeliveryQuery(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
