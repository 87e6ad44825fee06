package webhook

import (
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Tenant is one customer of the operator: the owner of webhooks, events
// and deliveries whose Tenant is its ID. Producers name tenants by their
// own customer IDs; publishing to an unknown one creates it (unless the
// server is strict about tenants), so a tenant row exists for every tenant
// string in use.
type Tenant struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// ContactEmail is who hears about the tenant's failing endpoints; ""
	// when none is known.
	ContactEmail string `json:"contact_email"`
	// Branding overrides the server's look on pages shown to the tenant;
	// nil keeps the server's.
	Branding *Branding `json:"branding"`
	// Metadata is the producer's own: Hookline stores it and never reads it.
	Metadata  map[string]string `json:"metadata"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
	// Webhooks counts the tenant's webhooks, and FailingWebhooks the
	// active ones failing right now (failing since their last success).
	// The store fills them on reads; they are not stored.
	Webhooks        int64 `json:"webhooks"`
	FailingWebhooks int64 `json:"failing_webhooks"`
}

// Branding is how pages shown to a tenant look: each set field overrides
// the server's.
type Branding struct {
	Name    string `json:"name,omitempty"`
	LogoURL string `json:"logo_url,omitempty"`
	// Accent is a CSS hex colour ("#0a7d5a").
	Accent string `json:"accent,omitempty"`
}

// Branding limits.
const (
	MaxBrandingName = 100
	MaxLogoURL      = 2048
)

var accentPattern = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// Clean returns b with its fields trimmed, recording in v each problem
// at its place under at (the tenant's branding, or the server's flags).
func (b Branding) Clean(v *Validation, at Loc) Branding {
	c := Branding{Name: strings.TrimSpace(b.Name), LogoURL: strings.TrimSpace(b.LogoURL), Accent: strings.TrimSpace(b.Accent)}
	if utf8.RuneCountInString(c.Name) > MaxBrandingName {
		v.Add(EINVALID, at.Key("name"), "must be at most %d characters", MaxBrandingName)
	}
	if c.LogoURL != "" {
		// Pages show it as an <img>: only web URLs, never javascript: or data:.
		u, err := url.Parse(c.LogoURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(c.LogoURL) > MaxLogoURL {
			v.Add(EINVALID, at.Key("logo_url"), "must be an http(s) URL of at most %d characters", MaxLogoURL)
		}
	}
	if c.Accent != "" && !accentPattern.MatchString(c.Accent) {
		v.Add(EINVALID, at.Key("accent"), `must be a hex colour like "#0a7d5a"`)
	}
	return c
}

// MaxTenant bounds tenant names.
const MaxTenant = 200

// CheckTenant reports whether t is a well-formed tenant name: 1 to
// MaxTenant characters from [A-Za-z0-9_.:@-]. The error names the field
// "tenant".
func CheckTenant(t string) error {
	if t == "" || len(t) > MaxTenant {
		return FieldError(EINVALID, "tenant", "must be 1 to %d characters", MaxTenant)
	}
	for _, c := range t {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || c == '.' || c == ':' || c == '@'
		if !ok {
			return FieldError(EINVALID, "tenant", "may contain only letters, digits and _ - . : @")
		}
	}
	return nil
}
