package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuiltin(t *testing.T) {
	t.Parallel()

	types, err := Builtin()
	if err != nil {
		t.Fatalf("Builtin: %v", err)
	}
	if got, want := len(types), 23; got != want {
		t.Fatalf("len(Builtin()) = %d, want %d", got, want)
	}

	seen := make(map[string]bool)
	for i, et := range types {
		if !ValidSlug(et.Slug) {
			t.Errorf("types[%d]: invalid slug %q", i, et.Slug)
		}
		if seen[et.Slug] {
			t.Errorf("types[%d]: duplicate slug %q", i, et.Slug)
		}
		seen[et.Slug] = true
		if strings.TrimSpace(et.Name) == "" {
			t.Errorf("%s: empty name", et.Slug)
		}
		if strings.TrimSpace(et.Description) == "" {
			t.Errorf("%s: empty description", et.Slug)
		}
		if et.Custom {
			t.Errorf("%s: Custom = true, want false", et.Slug)
		}
		var obj map[string]any
		if err := json.Unmarshal(et.Example, &obj); err != nil || obj == nil {
			t.Errorf("%s: example is not a JSON object: %v", et.Slug, err)
		}
	}

	for _, slug := range []string{
		"payment_received",
		"site_published",
		"confirm_email_address",
		"domain_created",
		"renewal_payment_created",
	} {
		if !seen[slug] {
			t.Errorf("core event type %q missing", slug)
		}
	}

	if got, want := types[0].Slug, "payment_received"; got != want {
		t.Errorf("types[0].Slug = %q, want %q (file order)", got, want)
	}
}

// TestBuiltinFresh checks that callers cannot corrupt each other's catalog.
func TestBuiltinFresh(t *testing.T) {
	t.Parallel()

	a := MustBuiltin()
	a[0].Slug = "changed"
	a[0].Example[0] = 'x'
	b := MustBuiltin()
	if b[0].Slug != "payment_received" || b[0].Example[0] != '{' {
		t.Fatalf("second Builtin call saw the first caller's changes: %q %q", b[0].Slug, b[0].Example[:1])
	}
}

// TestEmbeddedMatchesSpec keeps the embedded copy identical to the shared
// spec it was copied from.
func TestEmbeddedMatchesSpec(t *testing.T) {
	t.Parallel()

	spec, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "spec", "saas-events.json"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("shared spec not checked out next to the repository")
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(spec, saasEvents) {
		t.Fatal("internal/catalog/saas-events.json differs from the shared spec; copy it again")
	}
}

func TestValidSlug(t *testing.T) {
	t.Parallel()

	tests := []struct {
		slug string
		want bool
	}{
		{"payment_received", true},
		{"a", true},
		{"0", true},
		{"site.published-v2", true},
		{"a" + strings.Repeat("b", 99), true},
		{"a" + strings.Repeat("b", 100), false},
		{"", false},
		{"_leading", false},
		{".leading", false},
		{"-leading", false},
		{"Upper", false},
		{"has space", false},
		{"star*", false},
		{"*", false},
		{"slash/es", false},
		{"trailing\n", false},
		{"caf\u00e9", false},
	}
	for _, tt := range tests {
		if got := ValidSlug(tt.slug); got != tt.want {
			t.Errorf("ValidSlug(%q) = %v, want %v", tt.slug, got, tt.want)
		}
	}
}
