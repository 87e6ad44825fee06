package dashboard

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hookline/hookline/internal/webhook"
)

// brand is how the portal presents itself: the server's branding
// (--portal-name, --portal-logo-url, --portal-accent), overridden field
// by field by the tenant's.
type brand struct {
	Name    string
	LogoURL string
	// Accent is a hex colour ("#0a7d5a"); "" keeps Hookline's.
	Accent string
}

// brandFor is the branding of t's portal.
func (d *Dashboard) brandFor(t webhook.Tenant) brand {
	b := brand{Name: d.cfg.PortalBrand.Name, LogoURL: d.cfg.PortalBrand.LogoURL, Accent: d.cfg.PortalBrand.Accent}
	if b.Name == "" {
		b.Name = "Hookline"
	}
	if tb := t.Branding; tb != nil {
		if tb.Name != "" {
			b.Name = tb.Name
		}
		if tb.LogoURL != "" {
			b.LogoURL = tb.LogoURL
		}
		if tb.Accent != "" {
			b.Accent = tb.Accent
		}
	}
	return b
}

// portalFrameHeaders sets the portal's Content-Security-Policy: framed
// only by the operator's allowed origins (the dashboard never is), and
// images from the brand's logo host besides its own.
func (d *Dashboard) portalFrameHeaders(h http.Header, logoURL string) {
	img := "'self' data:"
	if u, err := url.Parse(logoURL); err == nil && logoURL != "" && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		img += " " + u.Scheme + "://" + u.Host
	}
	ancestors := "'none'"
	if len(d.cfg.PortalFrameAncestors) > 0 {
		ancestors = strings.Join(d.cfg.PortalFrameAncestors, " ")
		// Browsers that know frame-ancestors ignore X-Frame-Options when
		// both are sent, but an old one would obey DENY: send none.
		h.Del("X-Frame-Options")
	} else {
		h.Set("X-Frame-Options", "DENY")
	}
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src "+img+"; "+
		"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors "+ancestors)
}

// portalBrandCSS is the session's accent colour as a style sheet: the
// pages' Content-Security-Policy allows no inline style, and the colour
// is the tenant's. Light and dark variants keep links and buttons
// readable (WCAG contrast 4.5:1) on either background.
func (d *Dashboard) portalBrandCSS(w http.ResponseWriter, r *http.Request) error {
	pc, _ := portalFrom(r.Context())
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Write([]byte(brandCSS(pc.brand.Accent)))
	return nil
}

// The backgrounds the accent is shown on, from app.css.
var (
	lightSurface = rgb{0xff, 0xff, 0xff}
	darkSurface  = rgb{0x16, 0x1a, 0x21}
	darkText     = rgb{0x1b, 0x22, 0x30}
	white        = rgb{0xff, 0xff, 0xff}
)

// brandCSS returns the custom properties that paint the portal in accent,
// or nothing for no (or a malformed) accent.
func brandCSS(accent string) string {
	c, ok := parseHex(accent)
	if !ok {
		return "/* no accent */\n"
	}
	var b strings.Builder
	for _, theme := range []struct {
		media string
		bg    rgb
		step  float64 // towards black on light, towards white on dark
	}{{"", lightSurface, -0.08}, {"(prefers-color-scheme: dark)", darkSurface, 0.08}} {
		primary := c
		text := white
		if contrast(darkText, primary) > contrast(white, primary) {
			text = darkText
		}
		link := readableOn(c, theme.bg, theme.step)
		hover := mix(primary, theme.step*1.5)
		vars := fmt.Sprintf("  --primary: %s;\n  --primary-hover: %s;\n  --primary-text: %s;\n  --link: %s;\n  --focus: %s;\n",
			primary, hover, text, link, link)
		if theme.media == "" {
			fmt.Fprintf(&b, ":root {\n%s}\n", vars)
		} else {
			fmt.Fprintf(&b, "@media %s {\n:root {\n%s}\n}\n", theme.media, vars)
		}
	}
	return b.String()
}

type rgb struct{ r, g, b uint8 }

func (c rgb) String() string { return fmt.Sprintf("#%02x%02x%02x", c.r, c.g, c.b) }

func parseHex(s string) (rgb, bool) {
	s, ok := strings.CutPrefix(s, "#")
	if !ok {
		return rgb{}, false
	}
	if len(s) == 3 {
		s = string([]byte{s[0], s[0], s[1], s[1], s[2], s[2]})
	}
	if len(s) != 6 {
		return rgb{}, false
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return rgb{}, false
	}
	return rgb{uint8(v >> 16), uint8(v >> 8), uint8(v)}, true
}

// luminance is WCAG's relative luminance.
func luminance(c rgb) float64 {
	ch := func(v uint8) float64 {
		x := float64(v) / 255
		if x <= 0.03928 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(c.r) + 0.7152*ch(c.g) + 0.0722*ch(c.b)
}

// contrast is WCAG's contrast ratio of a and b (1 to 21).
func contrast(a, b rgb) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// mix moves c towards white (step > 0) or black (step < 0) by |step|.
func mix(c rgb, step float64) rgb {
	to := 0.0
	if step > 0 {
		to = 255
	}
	f := math.Abs(step)
	m := func(v uint8) uint8 { return uint8(math.Round(float64(v) + (to-float64(v))*f)) }
	return rgb{m(c.r), m(c.g), m(c.b)}
}

// readableOn moves c in steps until it reaches 4.5:1 against bg (text
// size links), at most to black or white.
func readableOn(c, bg rgb, step float64) rgb {
	for i := 0; i < 20 && contrast(c, bg) < 4.5; i++ {
		c = mix(c, step*1.5)
	}
	return c
}
