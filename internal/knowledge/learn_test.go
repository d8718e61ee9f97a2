package knowledge_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/knowledge"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// team is a widget inbox (so surveys are sent), an agent, and the job
// runner with the inbox's and the knowledge base's jobs.
type team struct {
	inbox *inbox.Service
	kb    *knowledge.Service
	jobs  *jobs.Runner
	clock *clock
	in    parley.Inbox
	agent inbox.Actor
}

func newTeam(t *testing.T, dialect string) *team {
	db := storetest.Open(t, dialect)
	c := &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	db.Now = c.Now
	blobs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc := &inbox.Service{DB: db, Blobs: blobs, Box: db.Secrets}
	kb := &knowledge.Service{DB: db}
	r := jobs.New(db)
	r.Handle(inbox.JobSurveySend, func(ctx context.Context, j store.Job) error { return svc.SendSurvey(ctx, j.Payload) })
	r.Handle(inbox.JobAck, func(ctx context.Context, j store.Job) error { return svc.SendAck(ctx, j.Payload) })
	r.Handle(inbox.JobSLACheck, func(ctx context.Context, j store.Job) error { return svc.CheckSLA(ctx, j.Payload) })
	r.Handle(inbox.JobAutoResolve, func(ctx context.Context, j store.Job) error { return svc.AutoResolve(ctx, j.Payload) })
	kb.Register(r)
	in, err := svc.CreateInbox(bg, inbox.System, parley.Inbox{Name: "Site", ChannelType: parley.ChannelWidget}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ag, _, err := svc.CreateAgent(bg, inbox.System, parley.Agent{Email: "sarah@shop.test", Name: "Sarah Connor", Role: parley.RoleAgent}, "")
	if err != nil {
		t.Fatal(err)
	}
	return &team{inbox: svc, kb: kb, jobs: r, clock: c, in: in, agent: inbox.Actor{AgentID: &ag.ID, Role: ag.Role}}
}

func (tm *team) customer(t *testing.T, who, text string) inbox.Received {
	t.Helper()
	r, err := tm.inbox.Receive(bg, tm.in.ID, inbox.Incoming{
		Contact: store.ContactKey{Kind: parley.IdentityVisitor, ExternalID: who, Name: "Ana Lopez"}, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (tm *team) reply(t *testing.T, conv int64, text string) {
	t.Helper()
	if _, err := tm.inbox.Reply(bg, tm.agent, conv, inbox.Outgoing{Text: text}); err != nil {
		t.Fatal(err)
	}
}

func (tm *team) setStatus(t *testing.T, conv int64, s parley.Status) {
	t.Helper()
	if _, err := tm.inbox.Update(bg, tm.agent, conv, inbox.Change{Status: &s}); err != nil {
		t.Fatal(err)
	}
}

// runDue runs every job due now.
func (tm *team) runDue(t *testing.T) {
	t.Helper()
	if _, err := tm.jobs.RunDue(bg); err != nil {
		t.Fatal(err)
	}
}

func (tm *team) learned(t *testing.T, conv int64) []parley.LearnedAnswer {
	t.Helper()
	list, err := tm.kb.DB.LearnedAnswersOf(bg, conv)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func (tm *team) searchAnswers(t *testing.T, q string) []int64 {
	t.Helper()
	res, err := tm.kb.Search(bg, knowledge.Query{Text: q, Kinds: []string{"answer"}})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range res {
		ids = append(ids, r.ID)
	}
	return ids
}

const (
	question = "Hi, I'm Ana Lopez (ana.lopez@example.com, +33 6 12 34 56 78). My refund for order #10234 of €89.90 never arrived!"
	answer   = "Hello Ana, Sarah here. I checked order #10234: the refund of €89.90 went out on March 1st to the card ending 4242, " +
		"and it takes 5 to 10 business days to appear. If it is not there by March 15th, write back and I will chase the bank."
)

// answered makes a conversation with a question, the agent's answer and
// a short thanks, resolved; it returns its id.
func (tm *team) answered(t *testing.T, who string) int64 {
	t.Helper()
	conv := tm.customer(t, who, question).ConversationID
	tm.clock.Add(time.Minute)
	tm.reply(t, conv, answer)
	tm.reply(t, conv, "Anything else?") // too short to learn: joined to the answer before it
	tm.setStatus(t, conv, parley.StatusResolved)
	return conv
}

func TestLearnAfterReopenWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		tm := newTeam(t, dialect)
		conv := tm.answered(t, "v1")
		tm.runDue(t)
		if got := tm.learned(t, conv); len(got) != 0 {
			t.Fatalf("learned inside the reopen window: %+v", got)
		}
		tm.clock.Add(tm.in.ReopenWindow + time.Minute)
		tm.runDue(t)
		got := tm.learned(t, conv)
		if len(got) != 1 {
			t.Fatalf("learned %d answers, want 1: %+v", len(got), got)
		}
		a := got[0]
		for _, leak := range []string{"Ana", "Lopez", "Sarah", "ana.lopez@example.com", "6 12 34 56 78"} {
			if strings.Contains(a.Question, leak) || strings.Contains(a.Answer, leak) {
				t.Errorf("%q not masked:\nQ: %s\nA: %s", leak, a.Question, a.Answer)
			}
		}
		for _, keep := range []string{"#10234", "€89.90", "[email]", "[phone]", "[name]"} {
			if !strings.Contains(a.Question, keep) {
				t.Errorf("question lost %q: %s", keep, a.Question)
			}
		}
		if !strings.Contains(a.Answer, "5 to 10 business days") || !strings.Contains(a.Answer, "Anything else?") || a.Lang != "en" {
			t.Errorf("answer: %+v", a)
		}
		// Retrieval matches the question the answer was for.
		if ids := tm.searchAnswers(t, "refund not arrived"); len(ids) != 1 || ids[0] != a.ID {
			t.Fatalf("search found %v, want [%d]", ids, a.ID)
		}
		res, _ := tm.kb.Search(bg, knowledge.Query{Text: "refund not arrived"})
		if len(res) != 1 || res[0].URL != "/app/conversations/"+itoa(conv) || !strings.HasPrefix(res[0].Title, "Past reply: ") {
			t.Fatalf("source: %+v", res)
		}
		// Learning again stores nothing twice.
		payload := `{"conversation_id":` + itoa(conv) + `,"resolved_at":` + itoa(tm.conv(t, conv).ResolvedAt.UnixMicro()) + `}`
		if err := tm.kb.Learn(bg, payload); err != nil {
			t.Fatal(err)
		}
		if n, _ := tm.kb.DB.CountLearnedAnswers(bg); n != 1 {
			t.Fatalf("after learning twice: %d answers", n)
		}
		// An agent reopens it later: the answer goes at once from search, then from the table.
		tm.setStatus(t, conv, parley.StatusOpen)
		if ids := tm.searchAnswers(t, "refund not arrived"); len(ids) != 0 {
			t.Fatalf("a reopened conversation's answer is still found: %v", ids)
		}
		if n, err := tm.kb.Prune(bg); err != nil || n != 1 {
			t.Fatalf("prune: %d, %v", n, err)
		}
		if n, _ := tm.kb.DB.CountLearnedAnswers(bg); n != 0 {
			t.Fatalf("after prune: %d answers", n)
		}
	})
}

func TestNotLearnedWhenReopened(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		tm := newTeam(t, dialect)
		conv := tm.answered(t, "v1")
		tm.clock.Add(2 * 24 * time.Hour)
		if r := tm.customer(t, "v1", "It still has not arrived."); !r.Reopened || r.ConversationID != conv {
			t.Fatalf("not a reopen: %+v", r)
		}
		tm.clock.Add(tm.in.ReopenWindow + time.Hour)
		tm.runDue(t)
		if got := tm.learned(t, conv); len(got) != 0 {
			t.Fatalf("learned from a reopened conversation: %+v", got)
		}
		// Notes, automated messages and replies nobody asked for are not learned either.
		other := tm.customer(t, "v2", "Can I change my delivery address for order #5531?").ConversationID
		if _, err := tm.inbox.AddNote(bg, tm.agent, other, inbox.Outgoing{Text: "Customer moved last week, the address is in the CRM already."}); err != nil {
			t.Fatal(err)
		}
		tm.reply(t, other, "Yes: I changed the delivery address of order #5531 to the new one you gave us.")
		tm.setStatus(t, other, parley.StatusResolved)
		tm.clock.Add(tm.in.ReopenWindow + time.Hour)
		tm.runDue(t)
		got := tm.learned(t, other)
		if len(got) != 1 || strings.Contains(got[0].Answer, "CRM") || !strings.Contains(got[0].Question, "#5531") {
			t.Fatalf("learned %+v", got)
		}
	})
}

func TestBadSurveyForgets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		tm := newTeam(t, dialect)
		conv := tm.answered(t, "v1")
		tm.clock.Add(tm.in.ReopenWindow + time.Minute)
		tm.runDue(t) // the survey is sent, then the answer learned
		if got := tm.learned(t, conv); len(got) != 1 {
			t.Fatalf("learned %d", len(got))
		}
		var sv parley.Survey
		err := tm.kb.DB.Write(bg, func(tx *store.Tx) (err error) {
			sv, err = tx.SurveyForResolution(conv, *tm.conv(t, conv).ResolvedAt)
			return err
		})
		if err != nil || sv.Status != parley.SurveySent {
			t.Fatalf("survey: %+v, %v", sv, err)
		}
		hard := 5 // CES: 5 is very hard
		if _, err := tm.inbox.AnswerSurvey(bg, sv.Token, 0, parley.SurveyAnswer{CES: &hard}, "page"); err != nil {
			t.Fatal(err)
		}
		if ids := tm.searchAnswers(t, "refund never arrived"); len(ids) != 0 {
			t.Fatalf("a badly rated answer is still found: %v", ids)
		}
		if got := tm.learned(t, conv); len(got) != 0 {
			t.Fatalf("still listed: %+v", got)
		}
		if n, _ := tm.kb.Prune(bg); n != 1 {
			t.Fatalf("pruned %d", n)
		}
		// Learning the same resolution again learns nothing.
		payload := `{"conversation_id":` + itoa(conv) + `,"resolved_at":` + itoa(tm.conv(t, conv).ResolvedAt.UnixMicro()) + `}`
		if err := tm.kb.Learn(bg, payload); err != nil {
			t.Fatal(err)
		}
		if n, _ := tm.kb.DB.CountLearnedAnswers(bg); n != 0 {
			t.Fatalf("relearned a badly rated resolution: %d", n)
		}
	})
}

func (tm *team) conv(t *testing.T, id int64) parley.Conversation {
	t.Helper()
	c, err := tm.kb.DB.Conversation(bg, id)
	if err != nil || c.ResolvedAt == nil {
		t.Fatalf("conversation %d: %+v, %v", id, c, err)
	}
	return c
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
