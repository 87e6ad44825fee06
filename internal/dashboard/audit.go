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
	v := auditView{base: d.base(r, "Audit log", "audit"), Target: truncate(strings.TrimSpace(q.Get("target")), 200)}
	cursor := q.Get("cursor")
	page, err := d.cfg.Store.AuditList(r.Context(), store.AuditListParams{Scope: auth.ScopeFrom(r.Context()), Target: v.Target, Cursor: cursor, Limit: pageSize})
	if err != nil {
		return err
	}
	for _, e := range page.Entries {
		row := auditRow{Entry: e, Link: targetLink(e.Target)}
		if e.Target != "" && v.Target == "" {
			row.FilterURL = "/audit?" + url.Values{"target": {e.Target}}.Encode()
		}
		v.Rows = append(v.Rows, row)
	}
	filters := url.Values{}
	if v.Target != "" {
		filters.Set("target", v.Target)
	}
	v.pager = pageLinks("/audit", filters, cursor, page.Next)
	d.render(w, r, http.StatusOK, "audit", v)
	return nil
}

// targetLink is the dashboard page of an audit target, or "" when it has
// none. Only well-formed IDs are linked.
func targetLink(target string) string {
	switch {
	case webhook.HasPrefix(target, webhook.PrefixWebhook):
		return "/webhooks/" + target
	case webhook.HasPrefix(target, webhook.PrefixEvent):
		return "/events/" + target
	case webhook.HasPrefix(target, webhook.PrefixDelivery):
		return "/deliveries/" + target
	case webhook.HasPrefix(target, auth.PrefixAPIKey):
		return "/keys#" + target
	}
	return ""
}
