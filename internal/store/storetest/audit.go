package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func normAudit(e audit.Entry) audit.Entry {
	e.At = normTime(e.At)
	return e
}

func auditIDs(es []audit.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func testAudit(t *testing.T, open Opener) {
	h := setup(t, open)
	empty, err := h.s.AuditList(h.ctx, store.AuditListParams{Scope: auth.AllTenants()})
	ok(t, err, "AuditList of an empty log")
	if len(empty.Entries) != 0 || empty.Next != "" {
		t.Fatalf("AuditList of an empty log: %v, next %q", auditIDs(empty.Entries), empty.Next)
	}

	hookA, hookB := webhook.NewID(webhook.PrefixWebhook), webhook.NewID(webhook.PrefixWebhook)
	var all []audit.Entry // oldest first
	for i, c := range []struct{ actor, action, target, detail string }{
		{"user:admin", "webhook.create", hookA, `{"url":"https://a.example.com"}`},
		{"key:key_1 (deploy bot)", "webhook.create", hookB, ""},
		{"user:admin", "webhook.update", hookA, "url changed; é ✓"},
		{"system", "webhook.disable", hookB, "failing for 5 days"},
		{"user:admin", "webhook.test", hookA, ""},
		{"key:key_1 (deploy bot)", "key.revoke", "key_2", ""},
		{"user:ops", "webhook.delete", hookA, ""},
	} {
		e := audit.Entry{
			ID: webhook.NewID(audit.Prefix), At: at(time.Duration(i)*time.Second + time.Microsecond),
			Actor: c.actor, Action: c.action, Target: c.target, Detail: c.detail,
		}
		ok(t, h.s.AuditAdd(h.ctx, e), "AuditAdd")
		all = append(all, e)
	}
	newest := slices.Clone(all)
	slices.Reverse(newest)
	var ofA []audit.Entry
	for _, e := range newest {
		if e.Target == hookA {
			ofA = append(ofA, e)
		}
	}

	for _, c := range []struct {
		name string
		p    store.AuditListParams
		want []audit.Entry
	}{
		{"all", store.AuditListParams{Scope: auth.AllTenants(), Limit: 100}, newest},
		{"default limit", store.AuditListParams{Scope: auth.AllTenants()}, newest},
		{"target", store.AuditListParams{Scope: auth.AllTenants(), Target: hookA, Limit: 100}, ofA},
		{"unknown target", store.AuditListParams{Scope: auth.AllTenants(), Target: "wh_unknown", Limit: 100}, nil},
	} {
		page, err := h.s.AuditList(h.ctx, c.p)
		ok(t, err, "AuditList "+c.name)
		if !slices.Equal(auditIDs(page.Entries), auditIDs(c.want)) {
			t.Errorf("AuditList %s:\n got %v\nwant newest first %v", c.name, auditIDs(page.Entries), auditIDs(c.want))
			continue
		}
		if page.Next != "" {
			t.Errorf("AuditList %s: Next %q on the only page", c.name, page.Next)
		}
		for i := range page.Entries {
			equal(t, "AuditList "+c.name+" entry", page.Entries[i], c.want[i], normAudit)
		}
	}

	// Paging walks the log newest first, each entry once.
	for _, c := range []struct {
		name  string
		p     store.AuditListParams
		sizes []int
		want  []audit.Entry
	}{
		{"all", store.AuditListParams{Scope: auth.AllTenants(), Limit: 3}, []int{3, 3, 1}, newest},
		{"target", store.AuditListParams{Scope: auth.AllTenants(), Target: hookA, Limit: 2}, []int{2, 2}, ofA},
		{"one by one", store.AuditListParams{Scope: auth.AllTenants(), Limit: 1}, []int{1, 1, 1, 1, 1, 1, 1}, newest},
	} {
		var got []string
		var sizes []int
		p := c.p
		for i := 0; ; i++ {
			if i > len(all)+1 {
				t.Fatalf("paging %s does not end: pages of %v", c.name, sizes)
			}
			page, err := h.s.AuditList(h.ctx, p)
			ok(t, err, "AuditList")
			sizes = append(sizes, len(page.Entries))
			got = append(got, auditIDs(page.Entries)...)
			if page.Next == "" {
				break
			}
			p.Cursor = page.Next
		}
		// An exact last page may be followed by an empty one.
		if n := len(sizes); n > len(c.sizes) && sizes[n-1] == 0 {
			sizes = sizes[:n-1]
		}
		if !slices.Equal(sizes, c.sizes) || !slices.Equal(got, auditIDs(c.want)) {
			t.Errorf("paging %s: pages of %v holding\n %v\nwant pages of %v holding\n %v",
				c.name, sizes, got, c.sizes, auditIDs(c.want))
		}
	}
}
