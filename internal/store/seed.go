package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// SeedOptions says what Seed writes. Zero values take the defaults noted.
type SeedOptions struct {
	// Conversations is how many conversations to add, each with its own new
	// contact (one external identity) and one incoming message.
	Conversations int
	// InboxIDs spreads the conversations over these inboxes; when empty,
	// Seed creates three API inboxes first.
	InboxIDs []int64
	// Span spreads last_activity_at uniformly over [now-Span, now]
	// (default 365 days); created_at lies up to two days before it.
	Span time.Duration
	// Batch is how many conversations go in one transaction (default 10,000).
	Batch int
	// Seed makes the generated data repeatable (default 1).
	Seed uint64
	// Progress, if set, is called after each committed batch with the
	// number of conversations written so far.
	Progress func(done int)
	// AssigneeIDs, when set, assigns about 70% of the conversations to
	// these agents, skewed as teams are: the first agents hold many, the
	// last few (so a search by one agent has selective and broad cases).
	AssigneeIDs []int64
}

// SeedResult says what Seed wrote.
type SeedResult struct {
	InboxIDs      []int64
	Conversations int
	FirstID       int64 // conversation ids are FirstID … FirstID+Conversations-1
}

// Seed bulk-inserts synthetic contacts, conversations and messages for load
// tests and benchmarks: statuses about 15% open, 5% pending, 3% snoozed and
// 77% resolved, mixed priorities, activity times spread over opts.Span
// (later for later ids, with jitter), and
// one message per conversation of 10–30 words (so search has text to find).
// It writes no events: it stands for history from before the event log's
// readers started. Each batch is one big transaction through the writer,
// so Seed may run beside normal traffic. It works on SQLite and PostgreSQL
// alike and returns the first error, with the batches before it committed.
func (db *DB) Seed(ctx context.Context, opts SeedOptions) (res SeedResult, err error) {
	defer wrap(&err, "store: Seed")
	if opts.Conversations <= 0 {
		return res, nil
	}
	if opts.Span <= 0 {
		opts.Span = 365 * 24 * time.Hour
	}
	if opts.Batch <= 0 {
		opts.Batch = 10000
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15))
	res.InboxIDs = opts.InboxIDs
	if len(res.InboxIDs) == 0 {
		err := db.Write(ctx, func(tx *Tx) error {
			res.InboxIDs = res.InboxIDs[:0]
			for i := 1; i <= 3; i++ {
				in := parley.Inbox{Name: "Seeded inbox " + strconv.Itoa(i), ChannelType: parley.ChannelAPI}
				// No secrets: seeded inboxes post no webhooks and embed no widget.
				if err := tx.CreateInbox(&in, "", ""); err != nil {
					return err
				}
				res.InboxIDs = append(res.InboxIDs, in.ID)
			}
			return nil
		})
		if err != nil {
			return res, err
		}
	}
	for done := 0; done < opts.Conversations; {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		n := min(opts.Batch, opts.Conversations-done)
		err := db.Write(ctx, func(tx *Tx) error {
			first, err := tx.seedBatch(rng, opts, res.InboxIDs, done, n)
			if err == nil && res.FirstID == 0 {
				res.FirstID = first
			}
			return err
		})
		if err != nil {
			return res, err
		}
		done += n
		res.Conversations = done
		if opts.Progress != nil {
			opts.Progress(done)
		}
	}
	// PostgreSQL plans from table statistics that autovacuum gathers only
	// some time after a bulk load; gather them now, as an operator would
	// after an import, so queries right after a seed are planned for the
	// rows that are there.
	if db.dialect.name == "postgres" {
		if _, err := db.write.ExecContext(ctx, "ANALYZE contacts, identities, conversations, messages"); err != nil {
			return res, err
		}
	}
	return res, nil
}

// seedRowsPerInsert is the rows of one multi-row INSERT. More is not
// faster: SQLite looks up $N parameter names linearly, so parsing and
// binding grow with the square of the parameters in one statement.
const seedRowsPerInsert = 64

// seedBatch writes n conversations with their contacts, identities and
// messages in tx, with explicit ids following the current maximum, and
// returns the first conversation id.
func (tx *Tx) seedBatch(rng *rand.Rand, opts SeedOptions, inboxIDs []int64, done, n int) (int64, error) {
	var contactBase, convBase int64
	if err := tx.queryRow("SELECT COALESCE(MAX(id), 0) FROM contacts").Scan(&contactBase); err != nil {
		return 0, err
	}
	if err := tx.queryRow("SELECT COALESCE(MAX(id), 0) FROM conversations").Scan(&convBase); err != nil {
		return 0, err
	}
	now := ts(tx.now)
	span := opts.Span.Microseconds()
	type row struct {
		contact, conv, inbox  int64
		assignee              any
		status                parley.Status
		priority              parley.Priority
		created, activity     int64
		resolvedAt, firstResp any
		name, text            string
	}
	rows := make([]row, n)
	for i := range rows {
		r := &rows[i]
		r.contact, r.conv = contactBase+int64(i)+1, convBase+int64(i)+1
		r.inbox = inboxIDs[rng.IntN(len(inboxIDs))]
		// Activity grows with the id, with jitter, as it does in life; it
		// also keeps index inserts near the end of each index, so seeding a
		// million conversations does not thrash the page cache.
		r.activity = now - span + int64((float64(done+i)+rng.Float64())*float64(span)/float64(opts.Conversations))
		r.created = r.activity - rng.Int64N(2*24*3600*1e6)
		switch p := rng.IntN(100); {
		case p < 15:
			r.status = parley.StatusOpen
		case p < 20:
			r.status = parley.StatusPending
		case p < 23:
			r.status = parley.StatusSnoozed
		default:
			r.status = parley.StatusResolved
			r.resolvedAt = r.activity
		}
		if r.status != parley.StatusOpen {
			r.firstResp = r.created + rng.Int64N(r.activity-r.created+1)
		}
		switch p := rng.IntN(100); {
		case p < 10:
			r.priority = parley.PriorityLow
		case p < 85:
			r.priority = parley.PriorityNormal
		case p < 97:
			r.priority = parley.PriorityHigh
		default:
			r.priority = parley.PriorityUrgent
		}
		if k := len(opts.AssigneeIDs); k > 0 && rng.IntN(10) < 7 {
			u := rng.Float64()
			r.assignee = opts.AssigneeIDs[int(u*u*u*float64(k))]
		}
		r.name = seedWords[rng.IntN(len(seedWords))] + " " + strconv.FormatInt(r.contact, 10)
		r.text = SeedText(rng, 10+rng.IntN(21))
	}
	// Full chunks reuse one prepared statement per table.
	prepared := map[string]*sql.Stmt{}
	defer func() {
		for _, st := range prepared {
			st.Close()
		}
	}()
	for start := 0; start < n; start += seedRowsPerInsert {
		chunk := rows[start:min(n, start+seedRowsPerInsert)]
		var contacts, idents, convs, msgs multiInsert
		for _, r := range chunk {
			contacts.row(r.contact, r.name, "", "", r.created, r.created)
			idents.row(r.contact, parley.IdentityExternal, r.inbox, "seed-"+strconv.FormatInt(r.contact, 10), r.created)
			convs.row(r.conv, r.inbox, r.contact, r.assignee, r.status, r.priority, r.firstResp, r.resolvedAt, r.activity, r.created, r.activity)
			msgs.row(r.conv, r.inbox, parley.Incoming, r.contact, r.text, "seed-"+strconv.FormatInt(r.conv, 10), r.created, r.created, r.assignee)
		}
		for _, ins := range []struct {
			head string
			m    *multiInsert
		}{
			{"INSERT INTO contacts (id, name, email, phone, created_at, updated_at)", &contacts},
			{"INSERT INTO identities (contact_id, kind, scope, external_id, created_at)", &idents},
			{`INSERT INTO conversations (id, inbox_id, contact_id, assignee_id, status, priority, first_response_at, resolved_at,
				last_activity_at, created_at, updated_at)`, &convs},
			{`INSERT INTO messages (conversation_id, inbox_id, direction, author_contact_id, text, external_id,
				created_at, updated_at, assignee_id)`, &msgs},
		} {
			q := ins.head + " VALUES " + ins.m.values.String()
			if len(chunk) < seedRowsPerInsert {
				if _, err := tx.tx.ExecContext(tx.ctx, q, ins.m.args...); err != nil {
					return 0, err
				}
				continue
			}
			st := prepared[q]
			if st == nil {
				var err error
				if st, err = tx.tx.PrepareContext(tx.ctx, q); err != nil {
					return 0, err
				}
				prepared[q] = st
			}
			if _, err := st.ExecContext(tx.ctx, ins.m.args...); err != nil {
				return 0, err
			}
		}
	}
	if tx.db.dialect.syncIdentity != "" {
		for _, table := range []string{"contacts", "conversations"} {
			if _, err := tx.exec(fmt.Sprintf(tx.db.dialect.syncIdentity, table)); err != nil {
				return 0, err
			}
		}
	}
	return convBase + 1, nil
}

// multiInsert collects the VALUES rows of a multi-row INSERT.
type multiInsert struct {
	values strings.Builder
	args   []any
}

func (m *multiInsert) row(vals ...any) {
	if len(m.args) > 0 {
		m.values.WriteString(", ")
	}
	m.values.WriteByte('(')
	for i, v := range vals {
		if i > 0 {
			m.values.WriteString(", ")
		}
		m.args = append(m.args, v)
		m.values.WriteString("$" + strconv.Itoa(len(m.args)))
	}
	m.values.WriteByte(')')
}

// SeedText returns n words drawn from a fixed list of everyday support
// vocabulary, for synthetic message texts.
func SeedText(rng *rand.Rand, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(seedWords[rng.IntN(len(seedWords))])
	}
	return b.String()
}

// SeedWords returns the vocabulary SeedText draws from (a copy).
func SeedWords() []string { return append([]string(nil), seedWords...) }

var seedWords = strings.Fields(`hello hi thanks please order delivery package parcel refund return invoice payment card
	account password login email phone address shipping tracking number status delayed late missing broken damaged
	wrong size colour color exchange replace cancel subscription plan upgrade downgrade price discount coupon code
	checkout cart website app error problem issue question help support agent today tomorrow yesterday week month
	morning evening urgent quickly soon waiting still again already never always maybe really very much more less
	can could would should will need want like love hate great good bad fine okay sorry apologies confirm confirmed
	received sent arrived store branch warehouse courier driver box item product shoes shirt jacket phone laptop
	charger cable battery screen warranty repair receipt bank transfer paypal visa mastercard name change update
	details profile settings notification message chat call back later weekend holiday friday monday open closed
	hours location map near far free express standard international customs fee tax total amount charged twice
	double pending processing shipped dispatched out for the a an to of in on at with from my your our is was are
	not no yes it this that when where why how what who which`)
