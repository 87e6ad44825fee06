package dashboard

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// auditRow is an audit entry with a link to what it acted on, when that
// has a page.
type auditRow struct {
	audit.Entry
	Link      string
	FilterURL string // the log of this target alone
}

type auditView struct {
	base
	Rows   []auditRow
	Target string
	pager
}

// audit is the audit log: who changed what, newest first, optionally for
// one target.
func (d *Dashboard) audit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	title := "Audit log"
	if surfaceOf(r.Context()).InPortal() {
		title = "Activity"
	}
	v := auditView{base: d.base(r, title, "audit"), Target: truncate(strings.TrimSpace(q.Get("target")), 200)}
	cursor := q.Get("cursor")
	page, err := d.cfg.Store.AuditList(r.Context(), store.AuditListParams{Scope: auth.ScopeFrom(r.Context()), Target: v.Target, Cursor: cursor, Limit: pageSize})
	if err != nil {
		return err
	}
	for _, e := range page.Entries {
		row := auditRow{Entry: e, Link: targetLink(v.surface, e.Target)}
		if e.Target != "" && v.Target == "" {
			row.FilterURL = v.Root + "/audit?" + url.Values{"target": {e.Target}}.Encode()
		}
		v.Rows = append(v.Rows, row)
	}
	filters := url.Values{}
	if v.Target != "" {
		filters.Set("target", v.Target)
	}
	v.pager = pageLinks(v.Root+"/audit", filters, cursor, page.Next)
	d.render(w, r, http.StatusOK, "audit", v)
	return nil
}

// targetLink is the page of an audit target on surface s, or "" when it
// has none. Only well-formed IDs are linked.
func targetLink(s surface, target string) string {
	switch {
	case webhook.HasPrefix(target, webhook.PrefixWebhook):
		return s.Root + "/webhooks/" + target
	case webhook.HasPrefix(target, webhook.PrefixEvent):
		return s.Root + "/events/" + target
	case webhook.HasPrefix(target, webhook.PrefixDelivery):
		return s.Root + "/deliveries/" + target
	case webhook.HasPrefix(target, auth.PrefixAPIKey) && s.Operator:
		return "/keys#" + target
	}
	return ""
}
