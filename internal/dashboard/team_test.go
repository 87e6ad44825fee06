package dashboard

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/store"
)

// addUser makes a user with testPassword.
func (b *bundle) addUser(name string, role auth.Role) {
	b.t.Helper()
	hash, _ := cheapHash(testPassword)
	now := b.clock.Now()
	if err := b.st.UserCreate(context.Background(), auth.User{Username: name, Role: role, PasswordHash: hash,
		CreatedAt: now, UpdatedAt: now}); err != nil {
		b.t.Fatal(err)
	}
}

// signInAs signs in as name (testPassword) in a fresh browser.
func (b *bundle) signInAs(name, password string) {
	b.t.Helper()
	b.client.Jar, _ = cookiejar.New(nil)
	r := b.post("/login", url.Values{"username": {name}, "password": {password}})
	if r.Status != http.StatusSeeOther {
		b.t.Fatalf("sign in as %s: status %d: %s", name, r.Status, r.Body)
	}
}

// selfPosts are the only changes a viewer may make: its own session and
// password. A new route in this list is a decision, made here.
var selfPosts = []string{"POST /account/password", "POST /banner/dismiss", "POST /logout"}

// TestRolesEnforcedOnEveryRoute walks the whole route table as a viewer
// and as an admin: a viewer gets 403 on every POST but its own (a forged
// form, for rows that exist), and on every page of keys and users; an
// admin gets 403 on the users pages only. Nothing changes. It is driven
// by routes(), so a route added later is walked too.
func TestRolesEnforcedOnEveryRoute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	w := b.createWebhook("Payments", "http://127.0.0.1:9/hook", "*")
	k, _, err := auth.Create(ctx, b.st, auth.CreateParams{Name: "ci"}, b.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	bin, err := b.insp.Create(operator(), "bin")
	if err != nil {
		t.Fatal(err)
	}
	inv, _, err := b.dash.cfg.Users.Invite(ctx, auth.System(), auth.InviteParams{Role: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	b.addUser("vi", auth.RoleViewer)
	b.addUser("cy", auth.RoleAdmin)
	params := map[string]string{"{id}": "", "{name}": "cy", "{rid}": "req_doesnotexist0000000000", "{token}": "x", "{file}": "app.css",
		"{slug}": "payment_received"}
	idFor := map[string]string{"webhooks": w.ID, "deliveries": "dlv_doesnotexist00000000000", "events": "evt_doesnotexist00000000000",
		"tenants": "default", "keys": k.ID, "inspector": bin.ID, "users": inv.ID,
		"alerts": "ach_doesnotexist00000000000"}
	form := url.Values{"name": {"Hijacked"}, "url": {"https://evil.example/x"}, "events": {"*"}, "active": {"false"},
		"role": {"owner"}, "password": {"hijacked password"}, "scope": {"admin"}, "generate": {"1"}}
	state := func() string {
		var parts []string
		got, err := b.st.WebhookGet(ctx, auth.AllTenants(), w.ID)
		parts = append(parts, got.Name, got.URL, strings.Join(got.Events, ","), errString(err))
		users, _ := b.st.UserList(ctx)
		for _, u := range users {
			parts = append(parts, u.Username+":"+string(u.Role)+":"+u.PasswordHash)
		}
		invites, _ := b.st.InviteList(ctx)
		keys, _ := b.st.APIKeyList(ctx, auth.AllTenants())
		bins, _ := b.st.BinList(ctx, auth.AllTenants())
		parts = append(parts, "invites", strings.Repeat("i", len(invites)), "keys", strings.Repeat("k", len(keys)),
			"bins", strings.Repeat("b", len(bins)))
		return strings.Join(parts, " ")
	}
	before := state()

	walk := func(who string, role auth.Role) (posts int) {
		// An admin's changes are its right: of its POSTs, only those it
		// must be refused are sent.
		b.signInAs(who, testPassword)
		var mine []string
		for _, rt := range b.dash.routes() {
			if rt.access == public {
				continue
			}
			method, path, _ := strings.Cut(rt.pattern, " ")
			if method == http.MethodPost && rt.access == self {
				mine = append(mine, rt.pattern)
				continue
			}
			if strings.HasSuffix(path, "/stream") {
				continue // a server-sent event stream: its access is checked like any GET's, before it starts
			}
			kind := strings.Split(strings.TrimPrefix(path, "/"), "/")[0]
			target := strings.Replace(path, "{id}", idFor[kind], 1)
			for p, v := range params {
				target = strings.Replace(target, p, v, 1)
			}
			target = strings.TrimSuffix(target, "{$}")
			if method == http.MethodPost && role == auth.RoleAdmin && rt.access != owner {
				continue
			}
			var r response
			if method == http.MethodPost {
				posts++
				r = b.post(target, form)
			} else {
				r = b.get(target)
			}
			refused := r.Status == http.StatusForbidden
			var want bool
			switch rt.access {
			case user:
				want = method == http.MethodPost && role == auth.RoleViewer
			case editor:
				want = role == auth.RoleViewer
			case owner:
				want = true
			}
			if refused != want {
				t.Errorf("%s: %s %s: status %d, want refused=%v", who, method, target, r.Status, want)
			}
			if refused && !strings.Contains(r.Body, "owner") {
				t.Errorf("%s: %s %s: the refusal does not say what role it needs", who, method, target)
			}
		}
		slices.Sort(mine)
		if !slices.Equal(mine, selfPosts) {
			t.Errorf("routes that a viewer may POST to: %v, want %v", mine, selfPosts)
		}
		return posts
	}
	if n := walk("vi", auth.RoleViewer); n < 20 {
		t.Errorf("only %d POST routes walked", n)
	}
	walk("cy", auth.RoleAdmin)
	if after := state(); after != before {
		t.Errorf("the walk changed something:\nbefore %s\nafter  %s", before, after)
	}
}

func errString(err error) string {
	if err != nil {
		return err.Error()
	}
	return ""
}

// A viewer's pages show no control that changes anything, and no keys or
// users in the navigation.
func TestViewerPagesHaveNoControls(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := b.createWebhook("Payments", "http://127.0.0.1:9/hook", "*")
	b.addUser("vi", auth.RoleViewer)
	b.signInAs("vi", testPassword)
	for _, p := range []string{"/", "/webhooks/" + w.ID, "/tenants", "/tenants/default", "/inspector", "/alerts", "/event-types"} {
		r := b.get(p)
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", p, r.Status)
		}
		mustNotContain(t, r.Body, `method="post" action="/webhooks`, `method="post" action="/tenants`, `method="post" action="/inspector`,
			`method="post" action="/alerts`, `href="/event-types/payment_received"`, "Add New Webhook", `href="/keys"`, `href="/users"`, "Delete")
		mustContain(t, r.Body, `href="/account"`, "Viewer")
	}
}

var inviteLink = regexp.MustCompile(`http://[^<"\s]+/invite/([A-Za-z0-9_-]{40,})`)

// An owner invites a viewer by link; the link makes one account, signed
// in at once; the viewer changes their password; the owner changes roles,
// resets a password and removes the user, but cannot demote the last
// owner. Everything is in the audit log.
func TestInviteAcceptChangePasswordManage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	page := b.get("/users")
	if page.Status != http.StatusOK {
		t.Fatalf("GET /users: %d", page.Status)
	}
	mustContain(t, page.Body, `data-user="admin"`, "Invite a user")
	once := regexp.MustCompile(`name="once" value="([^"]+)"`).FindStringSubmatch(page.Body)[1]
	invite := url.Values{"role": {"viewer"}, "note": {"grace@example.com"}, "once": {once}}
	r := b.post("/users/invites", invite)
	m := inviteLink.FindStringSubmatch(r.Body)
	if r.Status != http.StatusCreated || m == nil {
		t.Fatalf("invite: %d, link %v:\n%s", r.Status, m, r.Body)
	}
	link, token := m[0], m[1]
	if !strings.HasPrefix(link, b.srv.URL+"/invite/") {
		t.Errorf("link %q is not on this server", link)
	}
	if r := b.post("/users/invites", url.Values{"role": {"owner"}}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"); r.Status != http.StatusForbidden {
		t.Errorf("a cross-site invitation: %d, want 403", r.Status)
	}
	if r := b.post("/users/invites", invite); r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "invite-exists") {
		t.Errorf("the same invite form again: %d %q", r.Status, r.Location)
	}
	if r := b.get("/users"); !strings.Contains(r.Body, "grace@example.com") || !strings.Contains(r.Body, "Pending") {
		t.Error("the users page does not list the pending invitation")
	}

	// The invited person, in their own browser.
	b.client.Jar, _ = cookiejar.New(nil)
	r = b.get("/invite/" + token)
	mustContain(t, r.Body, "invited as <strong>viewer</strong>")
	if r.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("the invitation page may send its URL on as a referrer: %q", r.Header.Get("Referrer-Policy"))
	}
	accept := func(name, pw, confirm string) response {
		return b.post("/invite/"+token, url.Values{"username": {name}, "password": {pw}, "confirm": {confirm}})
	}
	if r := accept("grace", "a new password", "another"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "does not match") {
		t.Errorf("mismatched passwords: %d", r.Status)
	}
	if r := accept("Admin", "a new password", "a new password"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "is taken") {
		t.Errorf("a taken username: %d", r.Status)
	}
	if r := accept("-", "short", "short"); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `id="username-error"`) || !strings.Contains(r.Body, `id="password-error"`) {
		t.Errorf("a bad username and password: %d, want both errors next to their fields", r.Status)
	}
	r = accept("Grace@Example.com", "a new password", "a new password")
	if r.Status != http.StatusSeeOther || r.Location != "/?notice=welcome" {
		t.Fatalf("accept: %d %q: %s", r.Status, r.Location, r.Body)
	}
	r = b.get(r.Location)
	mustContain(t, r.Body, "Welcome to Hookline", "grace@example.com", "Viewer")
	mustNotContain(t, r.Body, "Add New Webhook")
	if r := b.post("/webhooks/new", url.Values{"name": {"x"}, "url": {"https://example.com"}}); r.Status != http.StatusForbidden {
		t.Errorf("a viewer's forged POST: %d, want 403", r.Status)
	}
	b.client.Jar, _ = cookiejar.New(nil)
	if r := b.get("/invite/" + token); r.Status != http.StatusNotFound || !strings.Contains(r.Body, "not valid") {
		t.Errorf("the link a second time: %d", r.Status)
	}

	// Grace changes her password; her other sessions end.
	b.signInAs("grace@example.com", "a new password")
	other := b.client.Jar
	b.signInAs("grace@example.com", "a new password")
	change := func(current, pw, confirm string) response {
		return b.post("/account/password", url.Values{"current_password": {current}, "password": {pw}, "confirm": {confirm}})
	}
	if r := change("wrong", "changed password", "changed password"); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "is not your current password") {
		t.Errorf("a wrong current password: %d", r.Status)
	}
	if r := change("a new password", "changed password", "changed"); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `id="confirm-error"`) {
		t.Errorf("a mismatched confirmation: %d", r.Status)
	}
	if r := change("a new password", "changed password", "changed password"); r.Status != http.StatusSeeOther ||
		r.Location != "/account?notice=password-saved" {
		t.Fatalf("change: %d %q: %s", r.Status, r.Location, r.Body)
	}
	if r := b.get("/account?notice=password-saved"); r.Status != http.StatusOK || !strings.Contains(r.Body, "Password changed") {
		t.Errorf("the account page after the change: %d", r.Status)
	}
	mine := b.client.Jar
	b.client.Jar = other
	if r := b.get("/account"); r.Status != http.StatusSeeOther {
		t.Errorf("the other session after the change: %d, want a redirect to sign in", r.Status)
	}
	b.client.Jar = mine

	// The owner manages her.
	b.signInAs(testUser, testPassword)
	if r := b.post("/users/grace@example.com/role", url.Values{"role": {"admin"}}); r.Status != http.StatusSeeOther {
		t.Errorf("role change: %d: %s", r.Status, r.Body)
	}
	if r := b.post("/users/admin/role", url.Values{"role": {"viewer"}}); r.Status != http.StatusConflict ||
		!strings.Contains(r.Body, "last owner") {
		t.Errorf("demoting the last owner: %d", r.Status)
	}
	if r := b.post("/users/admin/delete", nil); r.Status != http.StatusConflict {
		t.Errorf("removing the last owner: %d", r.Status)
	}
	r = b.post("/users/grace@example.com/password", url.Values{"generate": {"1"}})
	generated := regexp.MustCompile(`id="new-password">([a-z2-7]+)<`).FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || generated == nil {
		t.Fatalf("reset with a generated password: %d", r.Status)
	}
	if r := b.post("/users/grace@example.com/password", url.Values{"password": {"short"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `id="password-error"`) {
		t.Errorf("a short password: %d", r.Status)
	}
	b.client.Jar = mine
	if r := b.get("/account"); r.Status != http.StatusSeeOther {
		t.Errorf("grace's session after the reset: %d, want it ended", r.Status)
	}
	b.signInAs("grace@example.com", generated[1])
	if r := b.get("/keys"); r.Status != http.StatusOK {
		t.Errorf("grace as admin on /keys: %d", r.Status)
	}
	if r := b.get("/users"); r.Status != http.StatusForbidden {
		t.Errorf("grace as admin on /users: %d, want 403", r.Status)
	}
	b.signInAs(testUser, testPassword)
	if r := b.post("/users/grace@example.com/delete", nil); r.Status != http.StatusSeeOther || r.Location != "/users?notice=user-deleted" {
		t.Errorf("remove: %d %q", r.Status, r.Location)
	}
	b.client.Jar = mine
	if r := b.post("/login", url.Values{"username": {"grace@example.com"}, "password": {generated[1]}}); r.Status != http.StatusUnauthorized {
		t.Errorf("a removed user signs in: %d", r.Status)
	}

	page2, err := b.st.AuditList(context.Background(), store.AuditListParams{Scope: auth.AllTenants(), Target: "grace@example.com", Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range page2.Entries {
		actions = append(actions, e.Actor+" "+e.Action)
	}
	// The removed user's failed sign-in names no account: it no longer
	// exists.
	want := []string{"user:admin user.delete", "user:grace@example.com user.sign_in",
		"user:admin user.password_reset", "user:admin user.role_change", "user:grace@example.com user.password_change",
		"address:127.0.0.1 user.sign_in_failed", "user:grace@example.com user.sign_in", "user:grace@example.com user.sign_in",
		"user:grace@example.com invite.accept"}
	if !slices.Equal(actions, want) {
		t.Errorf("grace's audit log:\n%s\nwant\n%s", strings.Join(actions, "\n"), strings.Join(want, "\n"))
	}
}

// Only an owner may make an owner key in the dashboard; an admin is not
// offered one, and a forged form is refused.
func TestOwnerKeysOnlyForOwners(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.signIn()
	mustContain(t, b.get("/keys").Body, `value="owner"`)
	k, _ := b.createKey(url.Values{"name": {"team bot"}, "scope": {"owner"}})
	if !slices.Equal(k.Scopes, []string{auth.ScopeOwner}) {
		t.Errorf("owner key scopes %v", k.Scopes)
	}
	b.addUser("cy", auth.RoleAdmin)
	b.signInAs("cy", testPassword)
	mustNotContain(t, b.get("/keys").Body, `value="owner"`)
	// The form comes back with why, as with any refused key.
	if r := b.post("/keys", url.Values{"name": {"escalate"}, "scope": {"owner"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "cannot make a key with scope") {
		t.Errorf("an admin's forged owner key: %d", r.Status)
	}
	keys, _ := b.st.APIKeyList(context.Background(), auth.AllTenants())
	if len(keys) != 1 {
		t.Errorf("%d keys, want only the owner's", len(keys))
	}
}
