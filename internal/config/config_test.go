package config

import (
	"flag"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func parse(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	c := Default()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	opts := c.Bind(fs)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if err := ApplyEnv(fs, opts, func(k string) string { return env[k] }); err != nil {
		return c, err
	}
	return c, c.Validate()
}

func TestPrecedence(t *testing.T) {
	t.Parallel()
	c, err := parse(t, []string{"--addr", ":9000"}, map[string]string{
		"HOOKLINE_ADDR": ":7000", "HOOKLINE_DATA_DIR": "/tmp/x", "HOOKLINE_RETRY_SCHEDULE": "1s,2s",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9000" {
		t.Errorf("flag should beat env: addr = %q", c.Addr)
	}
	if c.DataDir != "/tmp/x" {
		t.Errorf("env should beat default: data dir = %q", c.DataDir)
	}
	if len(c.RetrySchedule) != 2 || c.RetrySchedule[1] != 2*time.Second {
		t.Errorf("retry schedule = %v", c.RetrySchedule)
	}
	if c.Workers != 256 {
		t.Errorf("default workers = %d", c.Workers)
	}
}

func TestInvalidNamesTheOption(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--log-format", "xml"}, nil, "--log-format"},
		{[]string{"--delivery-timeout", "10m"}, nil, "--delivery-timeout"},
		{[]string{"--lease-duration", "5s"}, nil, "--lease-duration"},
		{[]string{"--per-webhook-concurrency", "0"}, nil, "--per-webhook-concurrency"},
		{[]string{"--database-url", "mysql://x"}, nil, "--database-url"},
		{nil, map[string]string{"HOOKLINE_WORKERS": "many"}, "HOOKLINE_WORKERS"},
		{[]string{"--retry-schedule", "5s,soon"}, nil, "retry-schedule"},
		{[]string{"--allow-private-targets", "not-a-cidr"}, nil, "allow-private-targets"},
		{[]string{"--bin-max-requests", "0"}, nil, "--bin-max-requests"},
		{nil, map[string]string{"HOOKLINE_BIN_TTL": "soon"}, "HOOKLINE_BIN_TTL"},
		{[]string{"--bin-max-body", "-1"}, nil, "--bin-max-body"},
		{[]string{"--oidc-issuer", "https://id.example.com", "--oidc-client-secret-file", "/s"}, nil, "--oidc-client-id"},
		{[]string{"--oidc-issuer", "https://id.example.com", "--oidc-client-id", "hookline"}, nil, "--oidc-client-secret-file"},
		{[]string{"--oidc-issuer", "id.example.com", "--oidc-client-id", "h", "--oidc-client-secret-file", "/s"}, nil, "--oidc-issuer"},
		{[]string{"--oidc-issuer", "https://id.example.com", "--oidc-client-id", "h", "--oidc-client-secret-file", "/s",
			"--oidc-default-role", "boss"}, nil, "--oidc-default-role"},
	}
	for _, tt := range tests {
		_, err := parse(t, tt.args, tt.env)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v %v: err = %v, want it to name %s", tt.args, tt.env, err, tt.want)
		}
	}
}

func TestAllowPrivateTargets(t *testing.T) {
	t.Parallel()
	c, err := parse(t, []string{"--allow-private-targets", "127.0.0.1/32, 10.1.0.0/16,::1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(c.AllowPrivateTargets); got != 3 {
		t.Fatalf("got %d prefixes: %v", got, c.AllowPrivateTargets)
	}
	if c.AllowPrivateTargets[2].String() != "::1/128" {
		t.Errorf("bare address = %v, want ::1/128", c.AllowPrivateTargets[2])
	}
}

func TestDefaultScheduleText(t *testing.T) {
	t.Parallel()
	c := Default()
	for _, o := range c.Options() {
		if o.Name == "retry-schedule" && o.Default() != "5s,5m,30m,2h,5h,10h,10h" {
			t.Fatalf("retry-schedule default prints %q", o.Default())
		}
	}
}

// TestReadmeTableIsCurrent fails when an option changed and the README's
// configuration table was not regenerated.
func TestReadmeTableIsCurrent(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- config-table:begin -->\n", "<!-- config-table:end -->"
	s := string(readme)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", begin, end)
	}
	if got, want := s[i+len(begin):j], MarkdownTable(); got != want {
		if os.Getenv("UPDATE_README") != "" {
			s = s[:i+len(begin)] + want + s[j:]
			if err := os.WriteFile("../../README.md", []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("README configuration table is stale: run UPDATE_README=1 go test ./internal/config")
	}
}

func TestFileAndSecretFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := dir + "/hookline.conf"
	os.WriteFile(path, []byte("# comment\naddr = \":7001\"\nworkers = 64 # inline\ndata_dir = /from/file\nlog-level = debug\n"), 0o600)
	keyFile := dir + "/key"
	os.WriteFile(keyFile, []byte("c2VjcmV0LWtleS1zZWNyZXQta2V5LXNlY3JldC1rZXk=\n"), 0o600)
	file, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := Default()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	opts := c.Bind(fs)
	if err := fs.Parse([]string{"--log-level", "warn"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOOKLINE_WORKERS": "32", "HOOKLINE_SECRET_KEY_FILE": keyFile}
	if err := Resolve(fs, opts, func(k string) string { return env[k] }, file); err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":7001" || c.DataDir != "/from/file" {
		t.Errorf("file values not applied: addr %q data dir %q", c.Addr, c.DataDir)
	}
	if c.Workers != 32 {
		t.Errorf("env should beat the file: workers = %d", c.Workers)
	}
	if c.LogLevel != "warn" {
		t.Errorf("flag should beat the file: log level = %q", c.LogLevel)
	}
	if !strings.HasPrefix(c.SecretKey, "c2VjcmV0") {
		t.Errorf("HOOKLINE_SECRET_KEY_FILE not read: %q", c.SecretKey)
	}
	for _, o := range c.Options() {
		if o.Name == "secret-key" && o.Display() != "******" {
			t.Errorf("secret shown as %q", o.Display())
		}
	}
	bad := map[string]string{"no-such-option": "1"}
	if err := Resolve(flag.NewFlagSet("x", flag.ContinueOnError), c.Options(), func(string) string { return "" }, bad); err == nil ||
		!strings.Contains(err.Error(), "no-such-option") {
		t.Errorf("unknown file option: err = %v", err)
	}
}

// --tenants-strict is a switch: the flag alone, or the variable set to a
// boolean; anything else names the variable.
func TestTenantsStrictSwitch(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want bool
	}{
		{nil, nil, false},
		{[]string{"--tenants-strict"}, nil, true},
		{[]string{"--tenants-strict=false"}, map[string]string{"HOOKLINE_TENANTS_STRICT": "true"}, false},
		{nil, map[string]string{"HOOKLINE_TENANTS_STRICT": "true"}, true},
		{nil, map[string]string{"HOOKLINE_TENANTS_STRICT": "0"}, false},
	} {
		c, err := parse(t, tt.args, tt.env)
		if err != nil || c.TenantsStrict != tt.want {
			t.Errorf("%v %v: TenantsStrict %v, %v; want %v", tt.args, tt.env, c.TenantsStrict, err, tt.want)
		}
	}
	if _, err := parse(t, nil, map[string]string{"HOOKLINE_TENANTS_STRICT": "sure"}); err == nil ||
		!strings.Contains(err.Error(), "HOOKLINE_TENANTS_STRICT") {
		t.Errorf("HOOKLINE_TENANTS_STRICT=sure: %v, want an error naming it", err)
	}
}

func TestOIDCOptions(t *testing.T) {
	t.Parallel()
	c, err := parse(t, []string{"--oidc-issuer", "https://id.example.com", "--oidc-client-id", "hookline",
		"--oidc-client-secret-file", "/run/secrets/oidc", "--oidc-allowed-domains", " Example.com, ops.example.org ,",
		"--oidc-role-claim", "groups"}, map[string]string{"HOOKLINE_OIDC_SCOPES": "openid,email,groups"})
	if err != nil {
		t.Fatal(err)
	}
	o := c.OIDC
	if o.Issuer != "https://id.example.com" || o.ClientID != "hookline" || o.ClientSecretFile != "/run/secrets/oidc" ||
		strings.Join(o.AllowedDomains, " ") != "example.com ops.example.org" || o.RoleClaim != "groups" ||
		o.DefaultRole != "viewer" || strings.Join(o.Scopes, " ") != "openid email groups" {
		t.Errorf("OIDC = %+v", o)
	}
	if c, err := parse(t, nil, nil); err != nil || c.OIDC.Issuer != "" {
		t.Errorf("off by default: %+v, %v", c.OIDC, err)
	}
}

func TestPortalAllowedOrigins(t *testing.T) {
	var v originsValue
	if err := v.Set(" https://App.example.com , http://localhost:3000/"); err != nil {
		t.Fatal(err)
	}
	if got := v.String(); got != "https://app.example.com,http://localhost:3000" {
		t.Errorf("origins %q", got)
	}
	for _, bad := range []string{"app.example.com", "https://app.example.com/settings", "ftp://x", "https://u@app.example.com"} {
		if err := v.Set(bad); err == nil {
			t.Errorf("%q accepted as an origin", bad)
		}
	}
}

func TestPortalBranding(t *testing.T) {
	tests := []struct {
		args []string
		want string // "" for valid
	}{
		{[]string{"--portal-name", "Acme Hooks", "--portal-accent", "#0a7d5a", "--portal-logo-url", "https://cdn.example/logo.svg"}, ""},
		{[]string{"--portal-accent", "green"}, "--portal-accent"},
		{[]string{"--portal-logo-url", "javascript:alert(1)"}, "--portal-logo-url"},
		{[]string{"--portal-name", strings.Repeat("n", 101)}, "--portal-name"},
	}
	for _, tt := range tests {
		_, err := parse(t, tt.args, nil)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: %v", tt.args, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%v: %v, want an error naming %s", tt.args, err, tt.want)
		}
	}
}

// The alert options: SMTP through HOOKLINE_SMTP_URL_FILE (a secret,
// masked), and every bad value named.
func TestAlertOptions(t *testing.T) {
	t.Parallel()
	file := t.TempDir() + "/smtp-url"
	os.WriteFile(file, []byte("smtp://alerts:s3cret@mail.example.com:587\n"), 0o600)
	c, err := parse(t, []string{"--smtp-from", "hookline@example.com", "--alert-window", "30m"},
		map[string]string{"HOOKLINE_SMTP_URL_FILE": file})
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPURL != "smtp://alerts:s3cret@mail.example.com:587" || c.AlertWindow != 30*time.Minute ||
		c.AlertFailurePercent != 50 || c.AlertMinAttempts != 10 || c.AlertRepeat != time.Hour {
		t.Errorf("alert options: %+v", c)
	}
	for _, o := range c.Options() {
		if o.Name == "smtp-url" && o.Display() != "******" {
			t.Errorf("--smtp-url shown as %q", o.Display())
		}
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--smtp-url", "http://mail.example.com", "--smtp-from", "a@example.com"}, "--smtp-url"},
		{[]string{"--smtp-url", "smtp://mail.example.com"}, "--smtp-from"},
		{[]string{"--smtp-url", "smtp://mail.example.com", "--smtp-from", "Hookline <a@example.com>"}, "--smtp-from"},
		{[]string{"--alert-failure-percent", "0"}, "--alert-failure-percent"},
		{[]string{"--alert-failure-percent", "101"}, "--alert-failure-percent"},
		{[]string{"--alert-min-attempts", "0"}, "--alert-min-attempts"},
		{[]string{"--alert-window", "0s"}, "--alert-window"},
		{[]string{"--alert-check-interval", "0s"}, "--alert-check-interval"},
		{[]string{"--alert-retry-schedule", "1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s"}, "--alert-retry-schedule"},
	} {
		if _, err := parse(t, tt.args, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want it to name %s", tt.args, err, tt.want)
		}
	}
}
