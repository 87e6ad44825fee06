package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/hookline/hookline/internal/auth"
	"github.com/hookline/hookline/internal/notify"
	"github.com/hookline/hookline/internal/store"
	"github.com/hookline/hookline/internal/webhook"
)

// The operational banner summarises the notification events (see package
// notify) of the last day on every signed-in page.
const (
	// bannerWindow is how far back the banner looks.
	bannerWindow = 24 * time.Hour
	// bannerTTL is how long loaded notifications are reused: a page view
	// then costs no query, and a new incident shows within half a minute.
	bannerTTL = 30 * time.Second
	// bannerLimit bounds the events read per type; beyond it the banner
	// says "or more" (the events page has them all).
	bannerLimit = 10
	// bannerCookie holds the ID of the newest notification the browser
	// dismissed; only newer ones bring the banner back.
	bannerCookie = "hookline_banner_seen"
)

// bannerKind is one notification type and how the banner words it.
type bannerKind struct {
	Type string
	One  string // the sentence for one event
	Many string // the sentence for several: %s is the count
}

var bannerKinds = []bannerKind{
	{notify.TypeWebhookDisabled, "1 webhook was disabled", "%s webhooks were disabled"},
	{notify.TypeDeliveryFailed, "1 delivery failed for good", "%s deliveries failed for good"},
	{notify.TypeBacklogHigh, "the delivery backlog ran high once", "the delivery backlog ran high %s times"},
}

// bannerEvent is what the banner keeps of a notification event.
type bannerEvent struct {
	ID string
	At time.Time
}

// bannerLoad is one load of the recent notifications, per kind (in the
// order of bannerKinds).
type bannerLoad struct {
	events [][]bannerEvent // newest first
	more   []bool          // more events of the kind than were read
}

// bannerCache is the last load, shared by every page view. Its mutex is
// held while loading, so concurrent views after expiry wait for one load
// rather than each running the queries.
type bannerCache struct {
	mu     sync.Mutex
	loaded time.Time // zero: never
	data   bannerLoad
}

// bannerView is the banner as the layout shows it.
type bannerView struct {
	Items []bannerItem
	// Seen is the newest notification shown, sent back by Dismiss.
	Seen string
	// Next is the page to return to after dismissing; empty on answers to
	// a POST (say, a new API key), which must not be left by accident.
	Next string
}

type bannerItem struct {
	Sep  string // text before the item: "", ", " or " and "
	Text string
	URL  string
}

// bannerFor returns the banner for a signed-in page, or nil when there is
// nothing recent (or nothing the browser has not dismissed).
func (d *Dashboard) bannerFor(r *http.Request) *bannerView {
	now := d.cfg.Now()
	data := d.bannerData(r.Context(), now)
	seen := ""
	if c, err := r.Cookie(bannerCookie); err == nil && webhook.HasPrefix(c.Value, webhook.PrefixEvent) {
		seen = c.Value
	}
	since := now.Add(-bannerWindow)
	v := &bannerView{}
	for i, k := range bannerKinds {
		n := 0
		for _, e := range data.events[i] {
			if e.At.Before(since) || e.ID <= seen { // IDs sort by creation time
				continue
			}
			n++
			if e.ID > v.Seen {
				v.Seen = e.ID
			}
		}
		if n == 0 {
			continue
		}
		// Every event read counts and there were more: the count is a floor.
		orMore := data.more[i] && n == len(data.events[i])
		text := k.One
		switch {
		case orMore:
			text = fmt.Sprintf(k.Many, fmt.Sprint(n)+" or more")
		case n > 1:
			text = fmt.Sprintf(k.Many, fmt.Sprint(n))
		}
		v.Items = append(v.Items, bannerItem{Text: text, URL: "/events?" + url.Values{"type": {k.Type}}.Encode()})
	}
	if len(v.Items) == 0 {
		return nil
	}
	for i := range v.Items {
		switch {
		case i == 0:
		case i == len(v.Items)-1:
			v.Items[i].Sep = " and "
		default:
			v.Items[i].Sep = ", "
		}
	}
	if r.Method == http.MethodGet {
		v.Next = r.URL.RequestURI()
	}
	return v
}

// bannerData returns the cached notifications, loading them when the
// cache is older than bannerTTL. A failed load is logged and counts as
// "nothing to show" until the next one: the banner never breaks a page.
func (d *Dashboard) bannerData(ctx context.Context, now time.Time) bannerLoad {
	c := &d.banner
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded.IsZero() && now.Sub(c.loaded) < bannerTTL && !now.Before(c.loaded) {
		return c.data
	}
	data := bannerLoad{events: make([][]bannerEvent, len(bannerKinds)), more: make([]bool, len(bannerKinds))}
	since := now.Add(-bannerWindow)
	for i, k := range bannerKinds {
		page, err := d.cfg.Store.EventList(ctx, store.EventListParams{
			// Notifications are the operator's, and the cache is shared by
			// every page: the dashboard is the operator's.
			Scope: auth.AllTenants(), Tenant: webhook.DefaultTenant, Type: k.Type, Limit: bannerLimit})
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("dashboard: loading notifications for the banner failed", "err", err)
			}
			data = bannerLoad{events: make([][]bannerEvent, len(bannerKinds)), more: make([]bool, len(bannerKinds))}
			break
		}
		for _, e := range page.Events {
			if !e.CreatedAt.Before(since) {
				data.events[i] = append(data.events[i], bannerEvent{ID: e.ID, At: e.CreatedAt})
			}
		}
		data.more[i] = page.Next != "" && len(data.events[i]) == len(page.Events)
	}
	c.loaded, c.data = now, data
	return data
}

// dismissBanner hides the banner in this browser until a newer
// notification arrives. It is a form post, so it works without
// JavaScript, and it returns to the page it was sent from.
func (d *Dashboard) dismissBanner(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if seen := r.PostForm.Get("seen"); webhook.HasPrefix(seen, webhook.PrefixEvent) {
		http.SetCookie(w, &http.Cookie{
			Name: bannerCookie, Value: seen, Path: "/", MaxAge: int(bannerWindow.Seconds()),
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: d.secure(r),
		})
	}
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
	return nil
}
