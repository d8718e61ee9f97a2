package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/config"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/outbound"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/simulate"
)

const simulateUsage = `Usage: parley simulate CHANNEL [options] ["message text"]

Writes to a running Parley as a customer would, the way the provider
would: a real-format webhook, signed with the inbox's secrets, posted to
/hooks/CHANNEL/ID on the server. It then plays the provider's API for
--wait, printing each reply Parley sends and answering it with delivered
and read receipts. Email is handed to the inbox exactly as its IMAP poller
hands over a fetched mail, and replies are taken by an SMTP server this
command plays.

CHANNEL is whatsapp, messenger, zalo, sms, rcs or email; "parley simulate
shop" serves a simulated shop for workflows instead (--help there). Without --inbox a
new simulated inbox is created whose provider API is this command; run the
command again with --inbox to keep talking in it.

It needs the server running: it talks to the server at --url, and reads
the inbox's secrets from the server's database, so give it the same
--data-dir (or --database-url) and PARLEY_SECRET_KEY as the server. When
no Parley answers, or the database is not there, it says so and changes
nothing.

Defaults:
  --url        base-url, else http://localhost:8080 (localhost and the port of --addr)
  --provider   127.0.0.1:8089, where this command plays the provider's API
               (the SMTP server for email); a new simulated inbox sends there,
               and that loopback address is added to Settings → Outbound
  --from       +15550001234 (whatsapp, sms, rcs), 7000000000000001 (messenger),
               8000000000000001 (zalo), sam@example.com (email)

Examples:
  parley simulate whatsapp "Hi! Where is my order?"
  parley simulate whatsapp --inbox 3 "Any news?"
  parley simulate sms --from +15550009999 "STOP"
  parley simulate email --subject "Refund" "I'd like a refund"

Options:
`

// simChannel is how simulate speaks one provider.
type simChannel struct {
	settings func(provider string) map[string]string
	secrets  []string // generated for a new simulated inbox
	// builder signs webhooks with the inbox's settings and secrets; hook
	// is the public URL the provider posts to (Twilio signs it).
	builder func(in parley.Inbox, s map[string]string, hook string) simBuilder
}

// simBuilder is what every provider's webhook builder offers.
type simBuilder interface {
	Messages(...simulate.Message) simulate.Webhook
	Receipts(...simulate.Receipt) simulate.Webhook
}

var simChannels = map[string]simChannel{
	"whatsapp": {
		settings: func(p string) map[string]string {
			return map[string]string{"phone_number_id": "100000000000001", "base_url": p}
		},
		secrets: []string{"access_token", "app_secret", "verify_token"},
		builder: func(in parley.Inbox, s map[string]string, _ string) simBuilder {
			return simulate.WhatsApp{AppSecret: s["app_secret"], PhoneNumberID: in.Settings["phone_number_id"]}
		},
	},
	"messenger": {
		settings: func(p string) map[string]string {
			return map[string]string{"page_id": "100000000000002", "base_url": p}
		},
		secrets: []string{"page_access_token", "app_secret", "verify_token"},
		builder: func(in parley.Inbox, s map[string]string, _ string) simBuilder {
			return simulate.Messenger{AppSecret: s["app_secret"], PageID: in.Settings["page_id"]}
		},
	},
	"zalo": {
		settings: func(p string) map[string]string {
			return map[string]string{"oa_id": "100000000000003", "app_id": "100000000000004", "base_url": p, "oauth_base_url": p}
		},
		secrets: []string{"app_secret_key", "oa_secret_key", "access_token", "refresh_token"},
		builder: func(in parley.Inbox, s map[string]string, _ string) simBuilder {
			return simulate.Zalo{AppID: in.Settings["app_id"], OAID: in.Settings["oa_id"], OASecretKey: s["oa_secret_key"]}
		},
	},
	"sms": {
		settings: func(p string) map[string]string {
			return map[string]string{"account_sid": "AC00000000000000000000000000000001", "from": "+15550100200", "base_url": p,
				"price_per_segment": "0.0079", "currency": "USD"}
		},
		secrets: []string{"auth_token"},
		builder: func(in parley.Inbox, s map[string]string, hook string) simBuilder {
			return simulate.Twilio{AccountSID: in.Settings["account_sid"], AuthToken: s["auth_token"], URL: hook, Number: in.Settings["from"]}
		},
	},
	"rcs": {
		settings: func(p string) map[string]string {
			return map[string]string{"agent_id": "parley-simulated@rbm.goog", "base_url": p}
		},
		secrets: []string{"access_token", "client_token"},
		builder: func(in parley.Inbox, s map[string]string, _ string) simBuilder {
			return simulate.RBM{ClientToken: s["client_token"], AgentID: in.Settings["agent_id"]}
		},
	},
}

// simulateMain runs `parley simulate`.
func simulateMain(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) int {
	fs := cfg.FlagSet("parley simulate", stderr)
	inboxID := fs.Int64("inbox", 0, "the inbox to write to; 0 creates a simulated one")
	target := fs.String("url", "", "the running Parley's URL (default: base-url, or http://localhost plus the port of addr)")
	from := fs.String("from", "", "the customer: a phone number (E.164) for whatsapp, sms and rcs, an id for messenger and zalo, an address for email")
	name := fs.String("name", "Sam Simulated", "the customer's name, where the channel sends one")
	subject := fs.String("subject", "A question", "email: the subject of the customer's mail")
	provider := fs.String("provider", "127.0.0.1:8089", "where this command plays the provider's API (for a new simulated inbox)")
	wait := fs.Duration("wait", 30*time.Second, "how long to play the provider, printing Parley's replies")
	replies := fs.Int("replies", 0, "stop after this many replies (0: when --wait ends)")
	usage := func(w io.Writer) {
		fmt.Fprint(w, simulateUsage)
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	fs.Usage = func() { usage(stderr) }
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" || a == "help" {
			usage(stdout)
			return 0
		}
	}
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	channel := args[0]
	if channel == "shop" {
		return simulateShop(ctx, cfg, args[1:], stdout, stderr)
	}
	if simChannels[channel].builder == nil && channel != "email" {
		fmt.Fprintf(stderr, "parley simulate: %q is not a channel: use whatsapp, messenger, zalo, sms, rcs or email (parley simulate --help)\n", channel)
		return 2
	}
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, "parley simulate:", err)
		return 2
	}
	text := strings.Join(fs.Args(), " ")
	if *target == "" {
		*target = serverURL(cfg)
	}
	*target = strings.TrimRight(*target, "/")
	// Nothing is opened, let alone created, before the server answers
	// and its database is where this command looks.
	if err := checkServer(ctx, *target); err != nil {
		fmt.Fprintln(stderr, "parley simulate:", err)
		return 1
	}
	if cfg.DatabaseURL == "" {
		if _, err := os.Stat(cfg.DSN()); err != nil {
			fmt.Fprintf(stderr, "parley simulate: no Parley database at %s: run it where the server runs, or give it the server's --data-dir (or --database-url)\n", cfg.DSN())
			return 1
		}
	}
	a, err := New(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "parley:", err)
		return 1
	}
	defer a.Close()
	if channel == "email" {
		err = a.simulateEmail(ctx, *inboxID, *from, *name, *subject, *provider, *target, text, *wait, *replies, stdout)
	} else {
		err = a.simulate(ctx, channel, *inboxID, *target, *from, *name, *provider, text, *wait, *replies, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "parley simulate:", parley.ErrorMessageOr(err))
		return 1
	}
	return 0
}

// serverURL is where the server of this configuration answers: its
// base URL, or localhost on the port it listens on.
func serverURL(cfg config.Config) string {
	if cfg.BaseURL != "" {
		return cfg.BaseURL
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if ip := net.ParseIP(host); err == nil && (host == "" || (ip != nil && ip.IsUnspecified())) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// checkServer asks the server's /healthz whether a Parley answers there.
func checkServer(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("--url %q: %w", base, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("no Parley answers at %s (%v): start it with `parley serve`, or give --url the address it runs at", base, err)
	}
	defer resp.Body.Close()
	var h struct {
		Database string `json:"database"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&h) != nil || h.Database == "" {
		return fmt.Errorf("%s answers, but not as Parley does (GET /healthz said %s): give --url the address Parley runs at", base, resp.Status)
	}
	return nil
}

func (a *App) simulate(ctx context.Context, channel string, inboxID int64, target, from, name, providerAddr, text string, wait time.Duration, replies int, out io.Writer) error {
	sc := simChannels[channel]
	if from == "" {
		from = map[string]string{"messenger": "7000000000000001", "zalo": "8000000000000001"}[channel]
		if from == "" {
			from = "+15550001234"
		}
	}
	var in parley.Inbox
	var err error
	if inboxID == 0 {
		secrets := map[string]string{}
		for _, k := range sc.secrets {
			b := make([]byte, 16)
			rand.Read(b)
			secrets[k] = hex.EncodeToString(b)
		}
		in, err = a.Inbox.CreateInbox(ctx, inbox.System, parley.Inbox{Name: "Simulated " + channel, ChannelType: parley.ChannelType(channel),
			Settings: sc.settings("http://" + providerAddr)}, secrets)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "created inbox %d (%s); its provider API is this command at %s\n", in.ID, channel, providerAddr)
		fmt.Fprintf(out, "next time: parley simulate %s --inbox %d \"…\"\n", channel, in.ID)
	} else if in, _, err = a.DB.Inbox(ctx, inboxID); err != nil {
		return err
	} else if string(in.ChannelType) != channel {
		return fmt.Errorf("inbox %d is a %s inbox, not %s", inboxID, in.ChannelType, channel)
	}
	secrets, err := a.Gateway.Secrets(ctx, in.ID)
	if err != nil {
		return err
	}
	hook := fmt.Sprintf("%s/hooks/%s/%d", strings.TrimRight(target, "/"), channel, in.ID)
	// Twilio signs the URL it was configured with: the server's own base URL.
	signed := fmt.Sprintf("%s/hooks/%s/%d", a.BaseURL(), channel, in.ID)

	// Play the provider where the inbox sends, if that is on this machine.
	prov := simulate.NewProvider(channel)
	if u, err := url.Parse(in.Settings["base_url"]); err == nil && isLoopback(u.Hostname()) {
		if err := a.allowStandIn(ctx, u.Hostname(), out); err != nil {
			return err
		}
		l, err := net.Listen("tcp", u.Host)
		if err != nil {
			fmt.Fprintf(out, "cannot play the provider at %s (%v): replies will not be shown\n", u.Host, err)
		} else {
			srv := &http.Server{Handler: prov, ReadHeaderTimeout: 10 * time.Second}
			go srv.Serve(l)
			defer srv.Close()
		}
	} else {
		wait = 0
		fmt.Fprintf(out, "inbox %d sends to %q, not this machine: its replies go to the real provider\n", in.ID, in.Settings["base_url"])
	}

	if text != "" {
		w := sc.builder(in, secrets, signed).Messages(simulate.Message{From: from, Name: name, Text: text, At: time.Now()})
		status, body, err := post(ctx, hook, w)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "→ %s from %s: %q — Parley answered %d %s\n", channel, from, text, status, strings.TrimSpace(body))
		if status != http.StatusOK {
			return fmt.Errorf("the webhook was refused")
		}
	}
	if wait <= 0 {
		return nil
	}
	fmt.Fprintf(out, "waiting %s for replies (answer in the inbox at %s/app/)…\n", wait, target)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
			return nil
		case s := <-prov.Sent:
			fmt.Fprintf(out, "← Parley sent %s to %s: %q (id %s)\n", channel, s.To, s.Text, s.ID)
			for _, st := range []string{"delivered", "read"} {
				if channel == "sms" && st == "read" {
					break // SMS has no read receipts
				}
				w := sc.builder(in, secrets, signed).Receipts(simulate.Receipt{ID: s.ID, To: s.To, Status: st, At: time.Now()})
				if status, body, err := post(ctx, hook, w); err != nil || status != http.StatusOK {
					fmt.Fprintf(out, "  receipt %s: %d %s %v\n", st, status, body, err)
				} else {
					fmt.Fprintf(out, "  ✓ %s\n", st)
				}
			}
			if replies--; replies == 0 {
				return nil
			}
		}
	}
}

func post(ctx context.Context, url string, w simulate.Webhook) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(w.Body))
	if err != nil {
		return 0, "", err
	}
	req.Header = w.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("is Parley running at %s? %w", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(b), nil
}

// allowStandIn adds host, where this command plays the provider, to the
// admin's outbound allow-list: the running Parley calls no loopback
// address otherwise. It says so, since the entry outlives the command.
func (a *App) allowStandIn(ctx context.Context, host string, out io.Writer) error {
	cur, err := a.Inbox.OutboundAllow(ctx)
	if err != nil {
		return err
	}
	if l, err := outbound.ParseAllowList(cur); err == nil && l.Permits(host) {
		return nil
	}
	if cur != "" {
		cur += ", "
	}
	if err := a.Inbox.SetOutboundAllow(ctx, inbox.System, cur+host); err != nil {
		return err
	}
	fmt.Fprintf(out, "allowed outbound calls to %s, where this command plays the provider (Settings → Outbound; remove it there when you are done)\n", host)
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// simulateEmail writes as a customer to an email inbox: the mail goes
// through the same code as one the inbox's IMAP poller fetched, and the
// reply is taken by an SMTP server played here.
func (a *App) simulateEmail(ctx context.Context, inboxID int64, from, name, subject, providerAddr, target, text string, wait time.Duration, replies int, out io.Writer) error {
	if from == "" {
		from = "sam@example.com"
	}
	var in parley.Inbox
	var err error
	if inboxID == 0 {
		host, port, err := net.SplitHostPort(providerAddr)
		if err != nil {
			return fmt.Errorf("--provider %q: %w", providerAddr, err)
		}
		in, err = a.Inbox.CreateInbox(ctx, inbox.System, parley.Inbox{Name: "Simulated email", ChannelType: parley.ChannelEmail,
			Settings: map[string]string{"address": "help@parley.example", "from_name": "Parley Support", "smtp_host": host, "smtp_port": port,
				"smtp_security": "none"}}, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "created inbox %d (email, help@parley.example); its SMTP server is this command at %s\n", in.ID, providerAddr)
		fmt.Fprintf(out, "next time: parley simulate email --inbox %d \"…\"\n", in.ID)
	} else if in, _, err = a.DB.Inbox(ctx, inboxID); err != nil {
		return err
	} else if in.ChannelType != parley.ChannelEmail {
		return fmt.Errorf("inbox %d is a %s inbox, not email", inboxID, in.ChannelType)
	}
	var smtpSrv *simulate.SMTPServer
	if isLoopback(in.Settings["smtp_host"]) {
		if err := a.allowStandIn(ctx, in.Settings["smtp_host"], out); err != nil {
			return err
		}
		addr := net.JoinHostPort(in.Settings["smtp_host"], in.Settings["smtp_port"])
		if smtpSrv, err = simulate.StartSMTP(addr); err != nil {
			fmt.Fprintf(out, "cannot play the SMTP server at %s (%v): replies will not be shown\n", addr, err)
		} else {
			defer smtpSrv.Close()
		}
	}
	if smtpSrv == nil {
		wait = 0
	}
	if text != "" {
		raw := simulate.Mail(from, name, in.Settings["address"], subject, text)
		if err := a.Gateway.ReceiveEmail(ctx, in.ID, raw); err != nil {
			return err
		}
		fmt.Fprintf(out, "→ email from %s: %q — stored in inbox %d\n", from, text, in.ID)
	}
	if wait <= 0 {
		return nil
	}
	fmt.Fprintf(out, "waiting %s for replies (answer in the inbox at %s/app/)…\n", wait, target)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
			return nil
		case s := <-smtpSrv.Sent:
			fmt.Fprintf(out, "← Parley sent email to %s: %q (Message-ID %s)\n", s.To, s.Text, s.ID)
			if replies--; replies == 0 {
				return nil
			}
		}
	}
}
