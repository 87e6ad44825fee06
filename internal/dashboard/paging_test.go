package dashboard

import (
	"net/url"
	"testing"
)

func TestPageLinks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		path          string
		filters       url.Values
		cursor, next  string
		wantNext      string
		wantFirstPage string
	}{
		{"only page", "/events", nil, "", "", "", ""},
		{"first of several", "/events", url.Values{"type": {"a.b"}}, "", "evt_2", "/events?cursor=evt_2&type=a.b", ""},
		{"middle", "/", url.Values{"q": {"x y"}, "status": {"active"}}, "wh_5", "wh_9",
			"/?cursor=wh_9&q=x+y&status=active", "/?q=x+y&status=active"},
		{"last, no filters", "/audit", url.Values{}, "aud_3", "", "", "/audit"},
	}
	for _, tt := range tests {
		got := pageLinks(tt.path, tt.filters, tt.cursor, tt.next)
		if got.NextURL != tt.wantNext || got.FirstURL != tt.wantFirstPage {
			t.Errorf("%s: next %q first %q, want %q %q", tt.name, got.NextURL, got.FirstURL, tt.wantNext, tt.wantFirstPage)
		}
	}
}
