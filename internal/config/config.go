// Package config reads Parley's settings: defaults, then PARLEY_*
// environment variables, then command-line flags, each overriding the one
// before. There are no globals; Load returns a value.
package config

import (
	"flag"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/clientip"
	"github.com/parleyhq/parley/internal/outbound"
	"github.com/parleyhq/parley/internal/store"
)

// Config is every setting of a Parley process.
type Config struct {
	Addr           string // where to listen, host:port
	DataDir        string // SQLite database and attachments
	DatabaseURL    string // a postgres:// URL selects PostgreSQL; empty means SQLite under DataDir
	MaxJSONBytes   int64  // limit on JSON request bodies
	MaxUploadBytes int64  // limit on one uploaded file
	OwnerEmail     string // the email of the owner created on first start
	AwayAfter      int64  // minutes without an inbox open before an online agent is set away
	BaseURL        string // the public URL, for links in emails and the widget snippet; empty: the listen address
	Dev            bool   // serve templates and static files from disk (for working on the UI)
	// MetricsToken, when set, is the bearer token GET /metrics requires;
	// when empty, /metrics answers only clients on this host (loopback).
	MetricsToken string
	// TrustedProxies lists the reverse proxies (CIDRs or addresses,
	// comma-separated) whose X-Forwarded-For is believed; empty trusts none.
	TrustedProxies string
	// WidgetUploadQuota is the bytes one widget visitor may upload a day;
	// one client address may upload five times as much.
	WidgetUploadQuota int64
	// OutboundAllow lists the non-public addresses (CIDRs, addresses or
	// exact host names, comma-separated) Parley may call: webhooks,
	// provider APIs, mail servers. Empty: public addresses only.
	OutboundAllow string
	// LeaseTTL is how many seconds a node's hold on single-node work (the
	// report projector, a mailbox, the routing sweep…) lasts unless
	// renewed: how long that work stalls when its node dies.
	LeaseTTL int64
	// DebugAddr, when set, is a loopback address serving Go's profiler
	// (net/http/pprof) for measuring memory and CPU; empty: off.
	DebugAddr string
	// SecretKey seals channel credentials at rest. Read only from
	// PARLEY_SECRET_KEY, never a flag, so it stays out of process lists.
	SecretKey string
}

// option describes one setting for both its flag and its variable.
type option struct {
	flag, env, usage string
	str              *string
	num              *int64
}

func (c *Config) options() []option {
	return []option{
		{"addr", "PARLEY_ADDR", "address to listen on", &c.Addr, nil},
		{"data-dir", "PARLEY_DATA_DIR", "directory for the SQLite database and attachments", &c.DataDir, nil},
		{"database-url", "PARLEY_DATABASE_URL", "a postgres:// URL to use PostgreSQL instead of SQLite", &c.DatabaseURL, nil},
		{"max-json-bytes", "PARLEY_MAX_JSON_BYTES", "largest JSON request body, in bytes", nil, &c.MaxJSONBytes},
		{"max-upload-bytes", "PARLEY_MAX_UPLOAD_BYTES", "largest uploaded attachment, in bytes", nil, &c.MaxUploadBytes},
		{"owner-email", "PARLEY_OWNER_EMAIL", "email of the owner account created on first start", &c.OwnerEmail, nil},
		{"base-url", "PARLEY_BASE_URL", "public URL of this Parley, for links in emails and the widget snippet", &c.BaseURL, nil},
		{"away-after", "PARLEY_AWAY_AFTER", "minutes with no inbox open before an online agent is set away", nil, &c.AwayAfter},
		{"lease-ttl", "PARLEY_LEASE_TTL", "seconds a node holds single-node work (report projection, mail reading) and a job it runs (a send, a workflow step) without renewing: how long they stall when its node dies", nil, &c.LeaseTTL},
		{"widget-upload-quota", "PARLEY_WIDGET_UPLOAD_QUOTA", "bytes a widget visitor may upload a day (an address: five times as much)", nil, &c.WidgetUploadQuota},
		{"trusted-proxies", "PARLEY_TRUSTED_PROXIES", "comma-separated CIDRs or addresses of reverse proxies whose X-Forwarded-For names the client; empty: trust none", &c.TrustedProxies, nil},
		{"outbound-allow", "PARLEY_OUTBOUND_ALLOW", "comma-separated CIDRs, addresses or host names on private networks (or loopback) that webhooks, provider APIs and mail servers may use; empty: public addresses only", &c.OutboundAllow, nil},
		{"debug-addr", "PARLEY_DEBUG_ADDR", "loopback address (127.0.0.1:6060) serving Go's profiler at /debug/pprof/, for measuring memory and CPU; empty: off", &c.DebugAddr, nil},
		{"metrics-token", "PARLEY_METRICS_TOKEN", "bearer token that GET /metrics requires; empty: /metrics answers loopback clients only (prefer the variable: flags show in process lists)", &c.MetricsToken, nil},
	}
}

// Default returns the settings used when nothing is configured.
func Default() Config {
	return Config{
		Addr:           ":8080",
		DataDir:        "./data",
		MaxJSONBytes:   1 << 20,
		MaxUploadBytes: 25 << 20,
		OwnerEmail:     "owner@parley.local",
		AwayAfter:      15,
		LeaseTTL:       15,

		WidgetUploadQuota: 50 << 20,
	}
}

// FlagSet returns a flag set for cfg's options, with defaults taken from
// cfg as already filled from the environment, so flags override variables.
func (c *Config) FlagSet(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.BoolVar(&c.Dev, "dev", c.Dev, "serve templates and static files from disk, for working on the UI (env PARLEY_DEV=1)")
	for _, o := range c.options() {
		usage := fmt.Sprintf("%s (env %s)", o.usage, o.env)
		if o.str != nil {
			fs.StringVar(o.str, o.flag, *o.str, usage)
		} else {
			fs.Int64Var(o.num, o.flag, *o.num, usage)
		}
	}
	return fs
}

// FromEnv returns the defaults overridden by any PARLEY_* variables.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Default()
	c.Dev = getenv("PARLEY_DEV") == "1"
	c.SecretKey = getenv("PARLEY_SECRET_KEY")
	for _, o := range c.options() {
		v := getenv(o.env)
		if v == "" {
			continue
		}
		if o.str != nil {
			*o.str = v
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return c, fmt.Errorf("%s=%q is not a whole number", o.env, v)
		}
		*o.num = n
	}
	return c, nil
}

// Validate checks the settings once everything is read.
func (c *Config) Validate() error {
	if c.Addr == "" {
		return fmt.Errorf("addr must not be empty")
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		return fmt.Errorf("data-dir must not be empty")
	}
	if c.DatabaseURL != "" && !store.IsPostgres(c.DatabaseURL) {
		return fmt.Errorf("database-url must start with postgres:// or postgresql:// (leave it empty for SQLite)")
	}
	if c.BaseURL != "" && !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		return fmt.Errorf("base-url must be an http:// or https:// URL")
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.SecretKey != "" && len(c.SecretKey) < 32 {
		return fmt.Errorf("PARLEY_SECRET_KEY must be at least 32 characters long (e.g. `openssl rand -base64 32`)")
	}
	if c.AwayAfter < 1 || c.AwayAfter > 24*60 {
		return fmt.Errorf("away-after must be between 1 and 1440 minutes")
	}
	if c.LeaseTTL < 1 || c.LeaseTTL > 600 {
		return fmt.Errorf("lease-ttl must be between 1 and 600 seconds")
	}
	if c.MaxJSONBytes < 1024 {
		return fmt.Errorf("max-json-bytes must be at least 1024")
	}
	if c.MaxUploadBytes < 1024 {
		return fmt.Errorf("max-upload-bytes must be at least 1024")
	}
	if c.WidgetUploadQuota < 1024 {
		return fmt.Errorf("widget-upload-quota must be at least 1024")
	}
	if _, err := clientip.Parse(c.TrustedProxies); err != nil {
		return fmt.Errorf("trusted-proxies: %w", err)
	}
	if _, err := outbound.ParseAllowList(c.OutboundAllow); err != nil {
		return fmt.Errorf("outbound-allow: %w", err)
	}
	if c.DebugAddr != "" {
		host, _, err := net.SplitHostPort(c.DebugAddr)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return fmt.Errorf("debug-addr must be a loopback host:port such as 127.0.0.1:6060: the profiler shows the process's memory")
		}
	}
	if c.MetricsToken != "" && (len(c.MetricsToken) < 16 || strings.ContainsAny(c.MetricsToken, " \t\r\n")) {
		return fmt.Errorf("metrics-token must be at least 16 characters, without spaces (e.g. `openssl rand -hex 16`)")
	}
	return nil
}

// DSN returns what store.Open takes: the PostgreSQL URL, or the SQLite file.
func (c *Config) DSN() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "parley.db")
}

// Redacted returns the database location without a password, for logs.
func (c *Config) Redacted() string {
	dsn := c.DSN()
	if at := strings.LastIndex(dsn, "@"); at > 0 && store.IsPostgres(dsn) {
		if scheme := strings.Index(dsn, "://"); scheme > 0 {
			return dsn[:scheme+3] + "…" + dsn[at:]
		}
	}
	return dsn
}
