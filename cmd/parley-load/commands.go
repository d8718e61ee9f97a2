package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

var errUsage = errors.New("usage")

// common holds the flags every load command shares.
type common struct {
	url, token  string
	inbox       int64
	self        bool
	dataDir     string
	databaseURL string
	schema      string
	load        loadOptions
	warmup      time.Duration
	runs        int
	cpuprofile  string
}

func (c *common) register(fs *flag.FlagSet, clients int, duration time.Duration) {
	fs.StringVar(&c.url, "url", "", "base URL of a running Parley on a loopback address")
	fs.StringVar(&c.token, "token", os.Getenv("PARLEY_TOKEN"), "API token (env PARLEY_TOKEN)")
	fs.Int64Var(&c.inbox, "inbox", 0, "inbox id to post to (ingest; 0 creates one with --self)")
	fs.BoolVar(&c.self, "self", false, "start Parley in this process on 127.0.0.1:0 with its own inbox and token")
	fs.StringVar(&c.dataDir, "data-dir", "", "with --self: SQLite data dir to use and keep (default: a temporary one, removed after)")
	fs.StringVar(&c.databaseURL, "database-url", "", "with --self: a postgres:// URL to run on PostgreSQL")
	fs.StringVar(&c.schema, "schema", "", "with --self on PostgreSQL: use (and keep) this schema; default: a fresh one, dropped after")
	fs.IntVar(&c.load.clients, "clients", clients, "concurrent clients (closed loop) or workers (open loop)")
	fs.DurationVar(&c.load.duration, "duration", duration, "how long each measured run sends for")
	fs.Float64Var(&c.load.rate, "rate", 0, "requests per second, open loop (0: closed loop)")
	fs.Int64Var(&c.load.requests, "requests", 0, "stop each run after this many requests (0: no limit but the duration)")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "unmeasured load before the measured runs")
	fs.IntVar(&c.runs, "runs", 1, "measured runs, one after another")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of this process over the measured runs")
}

func (c *common) check() error {
	if c.load.clients < 1 || c.load.clients > 10000 {
		return fmt.Errorf("--clients must be between 1 and 10000")
	}
	if c.load.duration <= 0 || c.load.duration > time.Hour {
		return fmt.Errorf("--duration must be between 0 and 1h")
	}
	if c.load.rate < 0 || c.load.rate > 1e6 {
		return fmt.Errorf("--rate must be between 0 and 1,000,000")
	}
	if c.runs < 1 || c.runs > 100 {
		return fmt.Errorf("--runs must be between 1 and 100")
	}
	if c.warmup < 0 || c.warmup > 10*time.Minute {
		return fmt.Errorf("--warmup must be between 0 and 10m")
	}
	if c.self {
		if c.url != "" {
			return fmt.Errorf("give --url or --self, not both")
		}
		return nil
	}
	if c.url == "" || c.token == "" {
		return fmt.Errorf("give --url and --token of a running Parley, or --self")
	}
	return checkLoopback(c.url)
}

// measure runs the warm-up and the measured runs, printing each.
func (c *common) measure(ctx context.Context, w io.Writer, what string, client *http.Client, mk makeRequest) error {
	var n atomic64
	counted := func(_ int64, buf []byte) request { return mk(n.next(), buf) }
	if c.warmup > 0 {
		warm := c.load
		warm.duration, warm.requests = c.warmup, 0
		r := runLoad(ctx, client, c.token, warm, counted)
		fmt.Fprintf(w, "warm-up: %d requests, %d ok in %.1fs\n", r.sent, r.ok, r.elapsed.Seconds())
		if r.ok == 0 && r.sent > 0 {
			return fmt.Errorf("warm-up: no request succeeded; first error: %s", r.firstErr)
		}
	}
	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for i := 0; i < c.runs && ctx.Err() == nil; i++ {
		r := runLoad(ctx, client, c.token, c.load, counted)
		label := what
		if c.runs > 1 {
			label = fmt.Sprintf("%s run %d/%d", what, i+1, c.runs)
		}
		r.report(w, label, c.load, c.self)
	}
	return ctx.Err()
}

// atomic64 hands out request numbers across warm-up and runs, so every
// message of a process gets its own external id.
type atomic64 struct{ v atomic.Int64 }

func (a *atomic64) next() int64 { return a.v.Add(1) - 1 }

func ingestCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("parley-load ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs, 64, 20*time.Second)
	newContacts := fs.Float64("new-contacts", 0.2, "share of messages from a contact never seen before")
	words := fs.Int("words", 20, "words per message text")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if err := c.check(); err != nil {
		return err
	}
	if *newContacts < 0 || *newContacts > 1 || *words < 1 || *words > 1000 {
		return fmt.Errorf("--new-contacts must be in [0, 1] and --words in [1, 1000]")
	}
	if c.self {
		s, err := startSelf(ctx, &c, stdout)
		if err != nil {
			return err
		}
		defer s.close()
	} else if c.inbox == 0 {
		return fmt.Errorf("give --inbox with --url")
	}
	client := newClient(c.load.clients)
	defer client.CloseIdleConnections()
	fmt.Fprintf(stdout, "target %s inbox %d\n", c.url, c.inbox)
	return c.measure(ctx, stdout, "ingest", client, ingestRequests(c.url, c.inbox, *newContacts, *words))
}

// ingestRequests makes incoming-message requests: request n is a new
// message with a unique external_message_id; with probability newShare it
// comes from a new contact, otherwise from one of the contacts this run
// has already introduced. Bodies are appended into the worker's buffer
// from precomputed parts, not marshalled per request.
func ingestRequests(base string, inboxID int64, newShare float64, words int) makeRequest {
	u := strings.TrimRight(base, "/") + "/api/v1/inboxes/" + strconv.FormatInt(inboxID, 10) + "/incoming"
	b := make([]byte, 6)
	rand.Read(b)
	run := hex.EncodeToString(b) // unique per process, so reruns on one database never collide
	texts := make([][]byte, 1024)
	rng := mrand.New(mrand.NewPCG(1, 2))
	for i := range texts {
		texts[i] = []byte(store.SeedText(rng, words)) // letters and spaces only: JSON-safe as is
	}
	var contacts contactPicker
	return func(n int64, buf []byte) request {
		contact := contacts.pick(n, newShare)
		buf = append(buf, `{"contact":{"external_id":"c-`...)
		buf = append(buf, run...)
		buf = append(buf, '-')
		buf = strconv.AppendInt(buf, contact, 10)
		buf = append(buf, `","name":"Customer `...)
		buf = strconv.AppendInt(buf, contact, 10)
		buf = append(buf, `"},"external_message_id":"m-`...)
		buf = append(buf, run...)
		buf = append(buf, '-')
		buf = strconv.AppendInt(buf, n, 10)
		buf = append(buf, `","text":"`...)
		buf = append(buf, texts[n%int64(len(texts))]...)
		buf = append(buf, `"}`...)
		return request{method: http.MethodPost, url: u, body: buf}
	}
}

func listCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("parley-load list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs, 4, 10*time.Second)
	status := fs.String("status", "", "list only conversations with this status (open, pending, snoozed, resolved)")
	limit := fs.Int("limit", 25, "conversations per page")
	conversations := fs.Int("conversations", 0, "with --self: seed until at least this many conversations exist")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if err := c.check(); err != nil {
		return err
	}
	if *status != "" && !parley.Status(*status).Valid() {
		return fmt.Errorf("--status %q is not one of open, pending, snoozed, resolved", *status)
	}
	if *conversations < 0 || *conversations > 100_000_000 {
		return fmt.Errorf("--conversations must be between 0 and 100,000,000")
	}
	if c.self {
		s, err := startSelf(ctx, &c, stdout)
		if err != nil {
			return err
		}
		defer s.close()
		if err := seedUpTo(ctx, s.db, int64(*conversations), stdout); err != nil {
			return err
		}
	}
	q := "?limit=" + strconv.Itoa(*limit)
	if *status != "" {
		q += "&status=" + *status
	}
	u := strings.TrimRight(c.url, "/") + "/api/v1/conversations" + q
	client := newClient(c.load.clients)
	defer client.CloseIdleConnections()
	fmt.Fprintf(stdout, "target %s\n", u)
	return c.measure(ctx, stdout, "list", client, func(int64, []byte) request {
		return request{method: http.MethodGet, url: u}
	})
}

func seedCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("parley-load seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "", "SQLite data dir (the database is DIR/parley.db, as parley serve uses)")
	databaseURL := fs.String("database-url", "", "a postgres:// URL")
	conversations := fs.Int("conversations", 1_000_000, "conversations to add")
	batch := fs.Int("batch", 10_000, "conversations per transaction")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if *conversations < 1 || *conversations > 100_000_000 || *batch < 1 || *batch > 1_000_000 {
		return fmt.Errorf("--conversations must be between 1 and 100,000,000 and --batch between 1 and 1,000,000")
	}
	db, err := openStore(ctx, *dataDir, *databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	return seed(ctx, db, *conversations, *batch, stdout)
}

// openStore opens the database a command names: exactly one of a SQLite
// data dir (DIR/parley.db, as parley serve uses; created if missing) and
// a postgres:// URL.
func openStore(ctx context.Context, dataDir, databaseURL string) (*store.DB, error) {
	if (dataDir == "") == (databaseURL == "") {
		return nil, fmt.Errorf("give --data-dir or --database-url")
	}
	if databaseURL != "" {
		if !store.IsPostgres(databaseURL) {
			return nil, fmt.Errorf("--database-url must start with postgres://")
		}
		return store.Open(ctx, databaseURL)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	return store.Open(ctx, dataDir+"/parley.db")
}

// seedUpTo seeds until db holds at least n conversations.
func seedUpTo(ctx context.Context, db *store.DB, n int64, w io.Writer) error {
	have, err := db.CountConversations(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "database has %d conversations\n", have)
	if have >= n {
		return nil
	}
	return seed(ctx, db, int(n-have), 10_000, w)
}

func seed(ctx context.Context, db *store.DB, n, batch int, w io.Writer) error {
	start := time.Now()
	last := start
	res, err := db.Seed(ctx, store.SeedOptions{Conversations: n, Batch: batch, Seed: uint64(time.Now().UnixNano()),
		Progress: func(done int) {
			if time.Since(last) > 5*time.Second || done == n {
				last = time.Now()
				fmt.Fprintf(w, "seeded %d/%d conversations (%.0f/s)\n", done, n, float64(done)/time.Since(start).Seconds())
			}
		}})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "seeded %d conversations (ids from %d) with contacts and one message each in %.1fs, inboxes %v\n",
		res.Conversations, res.FirstID, time.Since(start).Seconds(), res.InboxIDs)
	return nil
}

// contactPicker draws who request n is from: with probability newShare a
// contact never seen before, otherwise one this run has introduced. The
// draw is a hash of n, so runs are repeatable.
type contactPicker struct{ introduced atomic.Int64 }

func (p *contactPicker) pick(n int64, newShare float64) int64 {
	h := uint64(n)*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
	h ^= h >> 29
	known := p.introduced.Load()
	if known == 0 || float64(h%1_000_000)/1e6 < newShare {
		return p.introduced.Add(1) - 1
	}
	return int64((h >> 20) % uint64(known))
}
