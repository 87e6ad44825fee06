// Package config is Hookline's configuration: a plain struct with defaults,
// bound to command-line flags and HOOKLINE_* environment variables (a flag
// wins over the environment, which wins over the default), and validated
// with errors that name the option.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/retry"
	"github.com/hookline/hookline/internal/webhook"
)

// Config is everything `hookline serve` can be told.
type Config struct {
	Addr                string
	DataDir             string
	DatabaseURL         string
	AllowPrivateTargets []netip.Prefix
	RetrySchedule       []time.Duration
	LogFormat           string
	LogLevel            string
	MaxEventBytes       int64
	DeliveryTimeout     time.Duration
	MaxResponseBody     int64
	PerWebhook          int
	Workers             int
	QueueCapacity       int
	AutoDisableAfter    time.Duration
	SecretKeyFile       string
	SecretKey           string
	RotationOverlap     time.Duration
	IdempotencyWindow   time.Duration
	// MaxHops is the most Hookline deliveries an event may have come
	// through (the Hookline-Hops header of its publish request): more
	// means Hookline servers post into each other in a loop.
	MaxHops             int
	ShutdownTimeout     time.Duration
	LeaseDuration       time.Duration
	PprofAddr           string
	Tracing             string
	APIRateLimit        float64
	APIRateBurst        int
	Retention           time.Duration
	BodyRetention       time.Duration
	MaintenanceInterval time.Duration
	TLSCert             string
	TLSKey              string
	TrustedProxies      []netip.Prefix
	BacklogAlert        int64
	PublicURL           string
	AdminPassword       string
	BinTTL              time.Duration
	BinMaxRequests      int
	BinMaxBody          int64
	// TransformTimeout is the wall-clock time a webhook's transform may
	// run for one delivery (or one transform test).
	TransformTimeout time.Duration
	// TransformWorkers is the most sandbox worker processes, and so the
	// most transforms running at once (0: the number of CPUs, at least 2).
	TransformWorkers int
	// TransformMemoryMB is each sandbox worker's memory bound in MiB: a
	// transform that passes it fails with kind "memory".
	TransformMemoryMB int
	// TenantsStrict makes tenants exist only once created through the
	// API: publishing to, or adding a webhook for, an unknown tenant is
	// refused (422) instead of creating it. The default tenant, used when
	// a request names none, is always known.
	TenantsStrict bool
	// Init allows making a new SQLite database in a data directory that
	// shows signs of an old one (its secret.key or WAL file), where a
	// missing or empty hookline.db means it was lost.
	Init bool
	// PortalAllowedOrigins are the origins of the operator's own
	// application ("https://app.example.com"): a portal link's return URL
	// must be on one of them, and only their pages may show the portal in
	// an iframe.
	PortalAllowedOrigins []string
	// PortalBrand is the customer portal's look (--portal-name,
	// --portal-logo-url, --portal-accent); a tenant's branding overrides
	// it field by field.
	PortalBrand webhook.Branding
	// SMTPURL (smtp://user:pass@host:port, or smtps://) and SMTPFrom send
	// alert e-mail; both empty: no e-mail.
	SMTPURL  string
	SMTPFrom string
	// A webhook is failing (alert webhook.failing) when at least
	// AlertFailurePercent % of its attempts in the last AlertWindow
	// failed, with at least AlertMinAttempts of them.
	AlertFailurePercent int
	AlertWindow         time.Duration
	AlertMinAttempts    int
	// AlertRepeat is the least time between two alerts of one webhook
	// and kind; AlertCheckInterval how often the leader checks.
	AlertRepeat        time.Duration
	AlertCheckInterval time.Duration
	// AlertRetrySchedule are the waits before each retry of an alert
	// message that could not be sent.
	AlertRetrySchedule []time.Duration
	// OIDC is single sign-on to the dashboard with an OpenID Connect
	// provider; off while OIDC.Issuer is empty.
	OIDC OIDC
}

// OIDC configures single sign-on (--oidc-*).
type OIDC struct {
	Issuer           string
	ClientID         string
	ClientSecretFile string
	// AllowedDomains are the e-mail domains whose users single sign-on
	// lets in and makes accounts for; others need an account first.
	AllowedDomains []string
	// RoleClaim names the ID token claim whose values may name the role.
	RoleClaim   string
	DefaultRole string
	Scopes      []string
}

// Default returns the defaults.
func Default() Config {
	return Config{
		Addr:                "127.0.0.1:8080",
		DataDir:             "./hookline-data",
		RetrySchedule:       retry.DefaultSchedule,
		LogFormat:           "text",
		LogLevel:            "info",
		MaxEventBytes:       1 << 20,
		DeliveryTimeout:     15 * time.Second,
		MaxResponseBody:     64 << 10,
		PerWebhook:          10,
		Workers:             256,
		QueueCapacity:       20000,
		AutoDisableAfter:    5 * 24 * time.Hour,
		RotationOverlap:     24 * time.Hour,
		IdempotencyWindow:   24 * time.Hour,
		MaxHops:             5,
		ShutdownTimeout:     20 * time.Second,
		LeaseDuration:       2 * time.Minute,
		APIRateLimit:        10000,
		APIRateBurst:        20000,
		Retention:           30 * 24 * time.Hour,
		MaintenanceInterval: time.Minute,
		BacklogAlert:        100000,
		BinTTL:              7 * 24 * time.Hour,
		BinMaxRequests:      100,
		BinMaxBody:          256 << 10,
		TransformTimeout:    50 * time.Millisecond,
		TransformMemoryMB:   256,
		Tracing:             "off",
		OIDC:                OIDC{DefaultRole: "viewer", Scopes: []string{"openid", "email", "profile"}},
		AlertFailurePercent: 50,
		AlertWindow:         15 * time.Minute,
		AlertMinAttempts:    10,
		AlertRepeat:         time.Hour,
		AlertCheckInterval:  time.Minute,
		AlertRetrySchedule:  []time.Duration{2 * time.Second, 10 * time.Second, time.Minute},
	}
}

// Option describes one setting, for flags, the environment and the docs.
type Option struct {
	Name  string // flag name; the variable is HOOKLINE_ + upper snake case
	Usage string
	value flag.Value
}

// Env returns the environment variable of an option.
func (o Option) Env() string {
	return "HOOKLINE_" + strings.ToUpper(strings.ReplaceAll(o.Name, "-", "_"))
}

// Default returns the option's default as text.
func (o Option) Default() string { return o.value.String() }

// Options binds every option of c; the returned options write into c.
func (c *Config) Options() []Option {
	return []Option{
		{"addr", "address to listen on (host:port)", (*stringValue)(&c.Addr)},
		{"data-dir", "folder of the embedded SQLite database and the secret key", (*stringValue)(&c.DataDir)},
		{"database-url", "postgres:// URL: use PostgreSQL instead of the embedded SQLite database", (*stringValue)(&c.DatabaseURL)},
		{"allow-private-targets", "comma-separated CIDR ranges the SSRF guard lets deliveries reach (e.g. 127.0.0.1/32 for local development)", (*prefixesValue)(&c.AllowPrivateTargets)},
		{"retry-schedule", "comma-separated delays before each retry", (*scheduleValue)(&c.RetrySchedule)},
		{"log-format", "log format: text or json", (*stringValue)(&c.LogFormat)},
		{"log-level", "log level: debug, info, warn or error", (*stringValue)(&c.LogLevel)},
		{"max-event-bytes", "largest accepted POST /api/v1/events body, in bytes", (*int64Value)(&c.MaxEventBytes)},
		{"delivery-timeout", "total time one delivery attempt may take", (*durationValue)(&c.DeliveryTimeout)},
		{"max-response-body", "response body bytes kept per attempt", (*int64Value)(&c.MaxResponseBody)},
		{"per-webhook-concurrency", "most attempts in flight to one webhook", (*intValue)(&c.PerWebhook)},
		{"workers", "most attempts in flight in all", (*intValue)(&c.Workers)},
		{"queue-capacity", "deliveries held in memory; more wait in the database", (*intValue)(&c.QueueCapacity)},
		{"auto-disable-after", "disable a webhook whose deliveries have all failed for this long", (*durationValue)(&c.AutoDisableAfter)},
		{"secret-key-file", "file holding the key that encrypts signing secrets at rest (default: DATA_DIR/secret.key, created when absent)", (*stringValue)(&c.SecretKeyFile)},
		{"secret-key", "the secret-encryption key itself (base64 of 32 bytes); prefer the environment or the file", (*stringValue)(&c.SecretKey)},
		{"rotation-overlap", "how long the previous signing secret keeps signing after a rotation", (*durationValue)(&c.RotationOverlap)},
		{"idempotency-window", "how long an idempotency key maps to its event", (*durationValue)(&c.IdempotencyWindow)},
		{"max-hops", "most Hookline deliveries an event may have come through (its publish request's Hookline-Hops header); a publish over it is refused with 508 Loop Detected, stopping Hookline servers that post into each other", (*intValue)(&c.MaxHops)},
		{"shutdown-timeout", "how long shutdown waits for attempts in flight", (*durationValue)(&c.ShutdownTimeout)},
		{"lease-duration", "how long a claimed delivery is reserved for one instance; must exceed delivery-timeout", (*durationValue)(&c.LeaseDuration)},
		{"retention", "delete events, their deliveries and attempts after this long (0 = keep forever)", (*durationValue)(&c.Retention)},
		{"body-retention", "clear attempt request and response bodies after this long, if shorter than --retention (0 = with the attempt)", (*durationValue)(&c.BodyRetention)},
		{"maintenance-interval", "how often upkeep runs (auto-disable, retention, bin expiry)", (*durationValue)(&c.MaintenanceInterval)},
		{"backlog-alert", "publish a hookline.backlog.high event (at most hourly) when more deliveries than this are pending (0 = never)", (*int64Value)(&c.BacklogAlert)},
		{"public-url", "the URL this server is reached at (e.g. https://hooks.example.com); request-inspector bin URLs start with it (default http://localhost:<port>)", (*stringValue)(&c.PublicURL)},
		{"admin-password", "password of the dashboard admin account (an owner) made on first start (default: generated and printed once to the log); later starts ignore it, saying so in the log when it no longer signs in; prefer HOOKLINE_ADMIN_PASSWORD_FILE", (*stringValue)(&c.AdminPassword)},
		{"bin-ttl", "how long a request-inspector bin lives", (*durationValue)(&c.BinTTL)},
		{"bin-max-requests", "captured requests a bin keeps (newest)", (*intValue)(&c.BinMaxRequests)},
		{"bin-max-body", "body bytes kept per captured request (the full size is recorded)", (*int64Value)(&c.BinMaxBody)},
		{"transform-timeout", "wall-clock time a webhook's transform may run per delivery", (*durationValue)(&c.TransformTimeout)},
		{"transform-workers", "most transform sandbox processes, and so transforms at once (0: the CPUs, at least 2)", (*intValue)(&c.TransformWorkers)},
		{"transform-memory-mb", "memory bound of each transform sandbox process, in MiB", (*intValue)(&c.TransformMemoryMB)},
		{"api-rate-limit", "requests per second each API key may make on average (0 = unlimited); over it the API answers 429 with Retry-After", (*floatValue)(&c.APIRateLimit)},
		{"api-rate-burst", "requests an API key may make in a burst above its rate", (*intValue)(&c.APIRateBurst)},
		{"tls-cert", "TLS certificate file (PEM); with --tls-key serves HTTPS and HTTP/2", (*stringValue)(&c.TLSCert)},
		{"tls-key", "TLS private key file (PEM)", (*stringValue)(&c.TLSKey)},
		{"trusted-proxies", "comma-separated CIDR ranges of reverse proxies whose X-Forwarded-For is believed for client addresses", (*prefixesValue)(&c.TrustedProxies)},
		{"pprof", "serve net/http/pprof on this separate address (e.g. 127.0.0.1:6060); off when empty", (*stringValue)(&c.PprofAddr)},
		{"init", "make a new, empty SQLite database even though the data directory has a secret.key or WAL file of an old one (whose signing secrets, API keys and pending events are then gone); without it such a start is refused", (*boolValue)(&c.Init)},
		{"tenants-strict", "refuse events, webhooks and tenant keys of tenants not created first with POST /api/v1/tenants (422) instead of creating them; the default tenant is always known", (*boolValue)(&c.TenantsStrict)},
		{"portal-allowed-origins", "comma-separated origins (e.g. https://app.example.com) of your application: a customer-portal link's return_url must be on one of them, and only their pages may embed the portal in an iframe", (*originsValue)(&c.PortalAllowedOrigins)},
		{"portal-name", "the customer portal's brand name (default Hookline); a tenant's branding overrides it", (*stringValue)(&c.PortalBrand.Name)},
		{"portal-logo-url", "http(s) URL of the logo the customer portal shows; a tenant's branding overrides it", (*stringValue)(&c.PortalBrand.LogoURL)},
		{"portal-accent", `the customer portal's accent colour, e.g. "#0a7d5a" (light and dark variants are derived); a tenant's branding overrides it`, (*stringValue)(&c.PortalBrand.Accent)},
		{"oidc-issuer", "single sign-on to the dashboard: the OpenID Connect issuer URL (e.g. https://accounts.example.com); off when empty. Hookline's redirect URL is PUBLIC_URL/login/sso/callback", (*stringValue)(&c.OIDC.Issuer)},
		{"oidc-client-id", "the client ID Hookline has at the OpenID Connect provider", (*stringValue)(&c.OIDC.ClientID)},
		{"oidc-client-secret-file", "file holding the client secret Hookline has at the OpenID Connect provider", (*stringValue)(&c.OIDC.ClientSecretFile)},
		{"oidc-allowed-domains", "comma-separated e-mail domains whose users single sign-on lets in, making their account on the first sign-in; anyone else needs an account first (an invitation)", (*listValue)(&c.OIDC.AllowedDomains)},
		{"oidc-role-claim", "ID token claim (a string or a list) whose values owner, admin or viewer set the user's role at each sign-in, e.g. groups; none leaves roles to the Users page", (*stringValue)(&c.OIDC.RoleClaim)},
		{"oidc-default-role", "role of a user single sign-on makes when the role claim names none: owner, admin or viewer", (*stringValue)(&c.OIDC.DefaultRole)},
		{"oidc-scopes", "comma-separated scopes asked of the OpenID Connect provider", (*listValue)(&c.OIDC.Scopes)},
		{"smtp-url", "SMTP server for alert e-mail: smtp://user:password@host:port (STARTTLS when offered) or smtps://…; prefer HOOKLINE_SMTP_URL_FILE", (*stringValue)(&c.SMTPURL)},
		{"smtp-from", "sender address of alert e-mail, e.g. hookline@example.com", (*stringValue)(&c.SMTPFrom)},
		{"alert-failure-percent", "a webhook is failing (alert webhook.failing) when at least this percentage of its attempts in --alert-window failed", (*intValue)(&c.AlertFailurePercent)},
		{"alert-window", "the window over which a webhook's failure rate is computed", (*durationValue)(&c.AlertWindow)},
		{"alert-min-attempts", "attempts a webhook needs in --alert-window before it can be failing", (*intValue)(&c.AlertMinAttempts)},
		{"alert-repeat", "least time between two alerts of one webhook and kind (an alert that comes and goes is told once)", (*durationValue)(&c.AlertRepeat)},
		{"alert-check-interval", "how often the leader checks for failing and recovered webhooks and sends alerts", (*durationValue)(&c.AlertCheckInterval)},
		{"alert-retry-schedule", "comma-separated waits before each retry of an alert message that could not be sent; after the last it is logged once and dropped", (*scheduleValue)(&c.AlertRetrySchedule)},
		{"tracing", "OpenTelemetry traces of publish → delivery: off or otlp (OTLP/HTTP, set up by the standard OTEL_EXPORTER_OTLP_*, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER variables)", (*stringValue)(&c.Tracing)},
	}
}

// Bind registers the options on fs.
func (c *Config) Bind(fs *flag.FlagSet) []Option {
	opts := c.Options()
	for _, o := range opts {
		fs.Var(o.value, o.Name, o.Usage+" (env "+o.Env()+")")
	}
	return opts
}

// ApplyEnv is Resolve without a configuration file.
func ApplyEnv(fs *flag.FlagSet, opts []Option, getenv func(string) string) error {
	return Resolve(fs, opts, getenv, nil)
}

// Validate checks the values together.
func (c *Config) Validate() error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("--%s: "+format, append([]any{name}, args...)...))
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		bad("data-dir", "is required when --database-url is not set")
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		bad("database-url", "must be a postgres:// URL")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("log-format", "%q: use text or json", c.LogFormat)
	}
	if o := c.OIDC; o.Issuer != "" {
		if u, err := url.Parse(o.Issuer); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			bad("oidc-issuer", "%q is not an http(s) URL", o.Issuer)
		}
		if o.ClientID == "" {
			bad("oidc-client-id", "is required with --oidc-issuer")
		}
		if o.ClientSecretFile == "" {
			bad("oidc-client-secret-file", "is required with --oidc-issuer")
		}
		switch o.DefaultRole {
		case "owner", "admin", "viewer":
		default:
			bad("oidc-default-role", "%q: use owner, admin or viewer", o.DefaultRole)
		}
	}
	switch c.Tracing {
	case "off", "otlp":
	default:
		bad("tracing", "%q: use off or otlp", c.Tracing)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log-level", "%q: use debug, info, warn or error", c.LogLevel)
	}
	if c.MaxEventBytes < 1024 || c.MaxEventBytes > 64<<20 {
		bad("max-event-bytes", "must be from 1024 to %d", 64<<20)
	}
	if c.DeliveryTimeout < time.Second || c.DeliveryTimeout > 5*time.Minute {
		bad("delivery-timeout", "must be from 1s to 5m")
	}
	if c.MaxResponseBody < 0 || c.MaxResponseBody > 10<<20 {
		bad("max-response-body", "must be from 0 to %d", 10<<20)
	}
	if c.PerWebhook < 1 || c.PerWebhook > 1000 {
		bad("per-webhook-concurrency", "must be from 1 to 1000")
	}
	if c.Workers < 1 || c.Workers > 100000 {
		bad("workers", "must be from 1 to 100000")
	}
	if c.QueueCapacity < 100 {
		bad("queue-capacity", "must be at least 100")
	}
	if len(c.RetrySchedule) == 0 {
		bad("retry-schedule", "must list at least one delay")
	}
	if c.BinTTL <= 0 {
		bad("bin-ttl", "must be positive")
	}
	if c.BinMaxRequests < 1 || c.BinMaxRequests > 1000 {
		bad("bin-max-requests", "must be from 1 to 1000")
	}
	if c.TransformTimeout < time.Millisecond || c.TransformTimeout > 5*time.Second {
		bad("transform-timeout", "must be from 1ms to 5s")
	}
	if c.TransformWorkers < 0 || c.TransformWorkers > 64 {
		bad("transform-workers", "must be from 0 to 64")
	}
	if c.TransformMemoryMB < 64 || c.TransformMemoryMB > 8192 {
		bad("transform-memory-mb", "must be from 64 to 8192")
	}
	if c.BinMaxBody < 1 || c.BinMaxBody > 16<<20 {
		bad("bin-max-body", "must be from 1 to %d", 16<<20)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("tls-cert", "and --tls-key must be given together")
	}
	if c.Retention < 0 || c.BodyRetention < 0 {
		bad("retention", "must not be negative")
	}
	var brand webhook.Validation
	c.PortalBrand = c.PortalBrand.Clean(&brand, webhook.At("portal"))
	if e, ok := errors.AsType[*webhook.Error](brand.Err()); ok {
		for _, p := range e.Problems() {
			bad("portal-"+strings.ReplaceAll(strings.TrimPrefix(p.Field, "portal."), "_", "-"), "%s", p.Message)
		}
	}
	c.validateAlerts(bad)
	if c.MaxHops < 1 || c.MaxHops > webhook.MaxHopsLimit {
		bad("max-hops", "must be from 1 to %d", webhook.MaxHopsLimit)
	}
	if c.LeaseDuration <= c.DeliveryTimeout {
		bad("lease-duration", "must be longer than --delivery-timeout (%s)", c.DeliveryTimeout)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"auto-disable-after", c.AutoDisableAfter}, {"rotation-overlap", c.RotationOverlap},
		{"maintenance-interval", c.MaintenanceInterval},
		{"alert-window", c.AlertWindow}, {"alert-repeat", c.AlertRepeat}, {"alert-check-interval", c.AlertCheckInterval},
		{"idempotency-window", c.IdempotencyWindow}, {"shutdown-timeout", c.ShutdownTimeout}} {
		if d.v <= 0 {
			bad(d.name, "must be positive")
		}
	}
	return errors.Join(errs...)
}

// validateAlerts checks the alert options.
func (c *Config) validateAlerts(bad func(name, format string, args ...any)) {
	if c.SMTPURL != "" {
		u, err := url.Parse(c.SMTPURL)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			bad("smtp-url", "want smtp://user:password@host:port or smtps://user:password@host:port")
		}
	}
	if (c.SMTPURL == "") != (c.SMTPFrom == "") {
		bad("smtp-from", "and --smtp-url must be given together")
	}
	if c.SMTPFrom != "" {
		if a, err := mail.ParseAddress(c.SMTPFrom); err != nil || a.Name != "" || a.Address != c.SMTPFrom {
			bad("smtp-from", "%q is not an e-mail address like hookline@example.com", c.SMTPFrom)
		}
	}
	if c.AlertFailurePercent < 1 || c.AlertFailurePercent > 100 {
		bad("alert-failure-percent", "must be from 1 to 100")
	}
	if len(c.AlertRetrySchedule) > 10 {
		bad("alert-retry-schedule", "lists %d waits; at most 10", len(c.AlertRetrySchedule))
	}
	if c.AlertMinAttempts < 1 {
		bad("alert-min-attempts", "must be at least 1")
	}
}

// Getenv is os.Getenv; a variable so commands read one source.
var Getenv = os.Getenv

type stringValue string

func (v *stringValue) String() string     { return string(*v) }
func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }

// boolValue is a switch: --name alone sets it, --name=false or the
// variable set to false clears it.
type boolValue bool

func (v *boolValue) String() string   { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) IsBoolFlag() bool { return true }
func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	*v = boolValue(b)
	return nil
}

type intValue int

func (v *intValue) String() string { return strconv.Itoa(int(*v)) }
func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("not a whole number")
	}
	*v = intValue(n)
	return nil
}

type floatValue float64

func (v *floatValue) String() string { return strconv.FormatFloat(float64(*v), 'f', -1, 64) }
func (v *floatValue) Set(s string) error {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return errors.New("not a non-negative number")
	}
	*v = floatValue(f)
	return nil
}

type int64Value int64

func (v *int64Value) String() string { return strconv.FormatInt(int64(*v), 10) }
func (v *int64Value) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("not a whole number")
	}
	*v = int64Value(n)
	return nil
}

type durationValue time.Duration

func (v *durationValue) String() string { return time.Duration(*v).String() }
func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("not a duration like 30s, 5m or 2h")
	}
	*v = durationValue(d)
	return nil
}

type scheduleValue []time.Duration

func (v *scheduleValue) String() string {
	parts := make([]string, len(*v))
	for i, d := range *v {
		parts[i] = shortDuration(d)
	}
	return strings.Join(parts, ",")
}

func (v *scheduleValue) Set(s string) error {
	d, err := retry.ParseSchedule(s)
	if err != nil {
		return err
	}
	*v = d
	return nil
}

// shortDuration prints 5m rather than 5m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

type prefixesValue []netip.Prefix

func (v *prefixesValue) String() string {
	parts := make([]string, len(*v))
	for i, p := range *v {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

func (v *prefixesValue) Set(s string) error {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return fmt.Errorf("%q is not a CIDR range like 127.0.0.1/32", part)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p)
	}
	*v = out
	return nil
}

// listValue is a comma-separated list of words.
type listValue []string

func (v *listValue) String() string { return strings.Join(*v, ",") }

func (v *listValue) Set(s string) error {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.ToLower(strings.TrimSpace(part)); part != "" {
			out = append(out, part)
		}
	}
	*v = out
	return nil
}

// originsValue is a comma-separated list of web origins: scheme and host
// (and port), nothing more, as browsers compare them.
type originsValue []string

func (v *originsValue) String() string { return strings.Join(*v, ",") }

func (v *originsValue) Set(s string) error {
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		u, err := url.Parse(part)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("%q is not an origin like https://app.example.com", part)
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	*v = out
	return nil
}
