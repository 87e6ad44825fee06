package dashboard_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserTeam is the team flow in a browser: the owner invites a
// viewer from the Users page; the invited person opens the link, chooses
// a username and password and is signed in; the viewer sees no control
// that changes anything, and a forged POST is refused; they sign in again
// and change their password. The new pages pass axe-core in light and
// dark mode, and are screenshotted.
func TestBrowserTeam(t *testing.T) {
	chrome := findChromium(t)
	axe := axeSource(t)
	h := startHookline(t)
	b := startBrowser(t, chrome)
	ctx := b.ctx
	var link string

	signIn := func(t *testing.T, user, password string) {
		t.Helper()
		do(t, ctx, chromedp.Navigate(h.URL+"/login"), chromedp.WaitVisible(css("#password")),
			chromedp.SetValue(css("#username"), user), chromedp.SetValue(css("#password"), password))
		if code := nav(t, ctx, chromedp.Submit(css("#password"))); code != http.StatusOK {
			t.Fatalf("sign in as %s: %d", user, code)
		}
		do(t, ctx, waitText("main h1", "Webhooks"))
	}
	signOut := func(t *testing.T) {
		t.Helper()
		nav(t, ctx, chromedp.Click(css(".account button")))
		do(t, ctx, waitText(".notice", "You have signed out."))
	}
	lightAndDark := func(t *testing.T, name string) {
		t.Helper()
		for _, scheme := range []string{"light", "dark"} {
			colorScheme(t, ctx, scheme)
			axeCheck(t, ctx, axe, name+" ("+scheme+")")
			b.screenshot(t, ctx, name+"-"+scheme)
		}
		colorScheme(t, ctx, "light")
	}

	step(t, "the owner invites a viewer", func(t *testing.T) {
		signIn(t, "admin", adminPassword)
		do(t, ctx, chromedp.WaitVisible(css(`nav a[href="/users"]`)), chromedp.Navigate(h.URL+"/users"),
			waitText("main h1", "Users"), waitText("#users", "admin"))
		lightAndDark(t, "users")
		do(t, ctx, chromedp.Click(css(`input[name=role][value=viewer]`)),
			chromedp.SetValue(css("#invite-note"), "grace@example.com"))
		if code := nav(t, ctx, chromedp.Submit(css("#invite-note"))); code != http.StatusCreated {
			t.Fatalf("invite: %d", code)
		}
		link = run(t, ctx, chromedp.Text(css("#invite-link")))
		if !strings.HasPrefix(link, publicURL+"/invite/") {
			t.Fatalf("invitation link %q", link)
		}
		lightAndDark(t, "invite-created")
		nav(t, ctx, chromedp.Click(css(`main a.btn-primary`)))
		do(t, ctx, waitText("#invites", "grace@example.com"), waitText("#invites", "Pending"))
		signOut(t)
	})

	step(t, "the invited person joins", func(t *testing.T) {
		// The link names the public URL; this server is on loopback.
		do(t, ctx, chromedp.Navigate(h.URL+strings.TrimPrefix(link, publicURL)), waitText("main", "invited as viewer"))
		lightAndDark(t, "invite-accept")
		do(t, ctx, chromedp.SetValue(css("#username"), "grace@example.com"),
			chromedp.SetValue(css("#password"), "grace's first password"), chromedp.SetValue(css("#confirm"), "grace's first pass"))
		if code := nav(t, ctx, chromedp.Submit(css("#confirm"))); code != http.StatusUnprocessableEntity {
			t.Errorf("mismatched passwords: %d", code)
		}
		do(t, ctx, waitText("#confirm-error", "does not match"), chromedp.SetValue(css("#password"), "grace's first password"),
			chromedp.SetValue(css("#confirm"), "grace's first password"))
		nav(t, ctx, chromedp.Submit(css("#confirm")))
		do(t, ctx, waitText(".notice", "Welcome to Hookline"), waitText(".account", "grace@example.com"), waitText(".account", "Viewer"))
	})

	step(t, "the viewer can change nothing", func(t *testing.T) {
		for _, path := range []string{"/", "/tenants", "/inspector"} {
			do(t, ctx, chromedp.Navigate(h.URL+path), chromedp.WaitVisible(css("main h1")))
			if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('main form[method=post]').length`)); n != 0 {
				t.Errorf("%s offers a viewer %d forms that change something", path, n)
			}
		}
		if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('nav a[href="/users"], nav a[href="/keys"]').length`)); n != 0 {
			t.Errorf("a viewer's navigation leads to keys or users")
		}
		b.screenshot(t, ctx, "viewer-inspector")
		// A forged POST, sent by the page itself as a form would be.
		status := run(t, ctx, chromedp.Evaluate[int](`(async () => (await fetch('/webhooks/new', {method: 'POST',
			body: new URLSearchParams({name: 'Forged', url: 'https://example.com/x', events: '*'})})).status)()`,
			chromedp.EvalAwaitPromise))
		if status != http.StatusForbidden {
			t.Errorf("a viewer's forged POST: %d, want 403", status)
		}
		signOut(t)
	})

	step(t, "the viewer signs in and changes their password", func(t *testing.T) {
		signIn(t, "grace@example.com", "grace's first password")
		// The name at the top leads to the account page.
		do(t, ctx, chromedp.WaitVisible(css(`.account a[href="/account"]`)), chromedp.Navigate(h.URL+"/account"),
			waitText("main h1", "Your account"))
		lightAndDark(t, "account")
		do(t, ctx, chromedp.SetValue(css("#current_password"), "not it"), chromedp.SetValue(css("#password"), "grace's second password"),
			chromedp.SetValue(css("#confirm"), "grace's second password"))
		if code := nav(t, ctx, chromedp.Submit(css("#confirm"))); code != http.StatusUnprocessableEntity {
			t.Errorf("a wrong current password: %d", code)
		}
		do(t, ctx, waitText("#current_password-error", "is not your current password"),
			chromedp.SetValue(css("#current_password"), "grace's first password"),
			chromedp.SetValue(css("#password"), "grace's second password"), chromedp.SetValue(css("#confirm"), "grace's second password"))
		nav(t, ctx, chromedp.Submit(css("#confirm")))
		do(t, ctx, waitText(".notice", "Password changed"))
		b.screenshot(t, ctx, "account-changed")
		signOut(t)
		signIn(t, "grace@example.com", "grace's second password")
	})
}
