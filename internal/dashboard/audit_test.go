package dashboard

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/audit"
	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

func TestAuditLogListsKeyActions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	k, _ := b.createKey(url.Values{"name": {"deploy bot"}, "scope": {"publish"}})
	if r := b.post("/keys/"+k.ID+"/revoke", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.Status)
	}

	r := b.get("/audit")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /audit: %d", r.Status)
	}
	mustContain(t, r.Body, "<h1>Audit log</h1>", `href="/audit" aria-current="page"`,
		"key.create", "key.revoke", "user:"+testUser, "deploy bot", `href="/keys#`+k.ID+`"`)
	// Newest first.
	if i, j := strings.Index(r.Body, "key.revoke"), strings.Index(r.Body, "key.create"); i < 0 || j < 0 || i > j {
		t.Errorf("key.revoke (at %d) is not listed before key.create (at %d)", i, j)
	}
	page, err := b.st.AuditList(context.Background(), store.AuditListParams{Scope: auth.AllTenants(), Target: k.ID})
	if err != nil || len(page.Entries) != 2 {
		t.Fatalf("audit entries for the key: %+v %v", page.Entries, err)
	}
	for _, e := range page.Entries {
		if e.Actor != "user:"+testUser {
			t.Errorf("%s recorded as done by %q", e.Action, e.Actor)
		}
	}
}

func TestAuditLogFilterLinksAndPages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	ctx := context.Background()
	wh := b.createWebhook("Audited", "https://example.com/hook", "*")
	k, _ := b.createKey(url.Values{"name": {"other"}, "scope": {"admin"}})

	// The webhook's target links to its page; "only this" filters.
	r := b.get("/audit")
	mustContain(t, r.Body, "webhook.create", `href="/webhooks/`+wh.ID+`"`, `href="/audit?target=`+wh.ID+`"`)

	r = b.get("/audit?target=" + wh.ID)
	mustContain(t, r.Body, "webhook.create", `value="`+wh.ID+`"`, `href="/audit">Clear</a>`)
	mustNotContain(t, r.Body, "key.create", k.ID)

	r = b.get("/audit?target=nothing-here")
	mustContain(t, r.Body, "Nothing recorded for this target")

	// A target that is not a well-formed ID is text, not a link.
	at := b.clock.Now()
	add := func(target, detail string) {
		t.Helper()
		if err := b.st.AuditAdd(ctx, audit.Entry{ID: webhook.NewID(audit.Prefix), At: at, Actor: "system",
			Action: "test.entry", Target: target, Detail: detail}); err != nil {
			t.Fatal(err)
		}
	}
	add(`wh_"><script>x</script>`, `<b>detail</b>`)
	r = b.get("/audit")
	mustContain(t, r.Body, "&lt;b&gt;detail&lt;/b&gt;", "wh_&#34;&gt;&lt;script&gt;x&lt;/script&gt;")
	mustNotContain(t, r.Body, "<script>x", "<b>detail")

	// Cursor pages, newest first, keeping the filter.
	for i := range pageSize + 5 {
		add("paged", fmt.Sprintf("entry %02d", i))
	}
	r = b.get("/audit?target=paged")
	mustContain(t, r.Body, "entry 29", "entry 05", "Next page")
	mustNotContain(t, r.Body, "entry 04", "First page")
	next := hrefOf(t, r.Body, "Next page")
	if !strings.Contains(next, "target=paged") || !strings.Contains(next, "cursor=") {
		t.Fatalf("next page link %q", next)
	}
	r = b.get(next)
	mustContain(t, r.Body, "entry 04", "entry 00", "First page")
	mustNotContain(t, r.Body, "entry 05", "Next page")
}

func TestAuditLogNeedsSignIn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if r := b.get("/audit"); r.Status != http.StatusSeeOther || r.Location != "/login?next=%2Faudit" {
		t.Errorf("signed out GET /audit: %d %q", r.Status, r.Location)
	}
}

// hrefOf returns the (unescaped) href of the link whose text is text.
func hrefOf(t *testing.T, body, text string) string {
	t.Helper()
	i := strings.Index(body, ">"+text)
	if i < 0 {
		t.Fatalf("no link %q", text)
	}
	j := strings.LastIndex(body[:i], `href="`)
	if j < 0 {
		t.Fatalf("no href for %q", text)
	}
	href := body[j+len(`href="`):]
	href = href[:strings.IndexByte(href, '"')]
	return html.UnescapeString(href)
}
