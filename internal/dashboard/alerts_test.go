package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAlertsPage: the form adds a channel (problems next to their fields
// first), a forged cross-site post adds nothing, the list masks the URL,
// and delete removes it.
func TestAlertsPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	r := b.get("/alerts")
	mustContain(t, r.Body, "No alert channels yet", `name="kinds" value="webhook.failing" checked`)

	bad := url.Values{"type": {"email"}, "to": {"not-an-address, ok@example.com"}, "kinds": {"webhook.slow"}}
	r = b.post("/alerts", bad)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d", r.Status)
	}
	mustContain(t, r.Body, `id="to-error"`, "to[0]: &#34;not-an-address&#34; is not an e-mail address", `id="kinds-error"`,
		`id="type-error"`, "e-mail is not set up on this server", `value="not-an-address, ok@example.com"`)

	good := url.Values{"type": {"slack"}, "url": {"https://chat.example.com/hooks/T0000/XXXXXXXXXXXXwxyz"},
		"kinds": {"webhook.failing", "backlog"}}
	if r := b.post("/alerts", good, "Sec-Fetch-Site", "cross-site"); r.Status != http.StatusForbidden {
		t.Errorf("cross-site post: %d, want 403", r.Status)
	}
	if cs, _ := b.st.AlertChannelList(context.Background()); len(cs) != 0 {
		t.Fatalf("a forged post added %v", cs)
	}
	r = b.post("/alerts", good)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/alerts?notice=alert-added#ach_") {
		t.Fatalf("add: %d %s", r.Status, r.Location)
	}
	id := strings.TrimPrefix(r.Location, "/alerts?notice=alert-added#")
	r = b.get("/alerts?notice=alert-added")
	mustContain(t, r.Body, "Alert channel added.", id, "https://chat.example.com/hooks/…wxyz", "backlog")
	mustNotContain(t, r.Body, "XXXXXXXXXXXXwxyz")

	r = b.post("/alerts/"+id+"/delete", nil)
	if r.Status != http.StatusSeeOther || r.Location != "/alerts?notice=alert-deleted" {
		t.Fatalf("delete: %d %s", r.Status, r.Location)
	}
	if r := b.post("/alerts/"+id+"/delete", nil); r.Status != http.StatusNotFound {
		t.Errorf("delete again: %d, want 404", r.Status)
	}
}
