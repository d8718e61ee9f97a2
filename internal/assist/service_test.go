package assist_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/assist"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

var bg = context.Background()

// countingEngine stands in for a model engine: it counts what it is asked
// and fails when told to, so the service's caching and fallback show.
type countingEngine struct {
	summaries, drafts atomic.Int32
	fail              error
}

func (e *countingEngine) Name() string { return "model:counting" }
func (e *countingEngine) Summarize(ctx context.Context, inboxID int64, t assist.Thread) (assist.Summary, error) {
	e.summaries.Add(1)
	if e.fail != nil {
		return assist.Summary{}, e.fail
	}
	return assist.Summary{Engine: e.Name(), Wants: "read " + t.Turns[len(t.Turns)-1].Text}, nil
}
func (e *countingEngine) Drafts(ctx context.Context, inboxID int64, in assist.DraftInput) (assist.Drafts, error) {
	e.drafts.Add(1)
	if e.fail != nil {
		return assist.Drafts{}, e.fail
	}
	return assist.Drafts{Engine: e.Name(), Drafts: []assist.Draft{{Kind: "answer", Text: "Hello Ana, your parcel left today."}}}, nil
}
func (e *countingEngine) Rewrite(ctx context.Context, inboxID int64, text, kind, lang string) (assist.Rewritten, error) {
	return assist.Rewritten{Engine: e.Name(), Kind: kind, Text: strings.ToUpper(text), Done: true}, e.fail
}

type world struct {
	db    *store.DB
	inbox *inbox.Service
	svc   *assist.Service
	in    parley.Inbox
	agent parley.Agent
	eng   *countingEngine
	now   time.Time
}

func newWorld(t *testing.T, dialect string) *world {
	db := storetest.Open(t, dialect)
	w := &world{db: db, now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), eng: &countingEngine{}}
	db.Now = func() time.Time { return w.now }
	w.inbox = &inbox.Service{DB: db, Box: db.Secrets}
	var err error
	if w.in, err = w.inbox.CreateInbox(bg, inbox.System, parley.Inbox{Name: "API", ChannelType: parley.ChannelAPI}, nil); err != nil {
		t.Fatal(err)
	}
	if w.agent, _, err = w.inbox.CreateAgent(bg, inbox.System, parley.Agent{Name: "Bo Agent", Email: "bo@example.com", Role: parley.RoleAgent}, "a long password 1"); err != nil {
		t.Fatal(err)
	}
	w.svc = &assist.Service{DB: db, Model: func(context.Context) (assist.Engine, bool) { return w.eng, true }}
	return w
}

func (w *world) receive(t *testing.T, text string) inbox.Received {
	t.Helper()
	w.now = w.now.Add(time.Minute)
	r, err := w.inbox.Receive(bg, w.in.ID, inbox.Incoming{
		Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "cust-1", Name: "Ana Diaz"}, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (w *world) reply(t *testing.T, conv int64, text string) parley.Message {
	t.Helper()
	w.now = w.now.Add(time.Minute)
	id := w.agent.ID
	m, err := w.inbox.Reply(bg, inbox.Actor{AgentID: &id, Role: parley.RoleAgent}, conv, inbox.Outgoing{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSummaryIsCachedPerLastMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		if err := w.svc.SetSettings(bg, w.in.ID, assist.InboxSettings{Model: true}); err != nil {
			t.Fatal(err)
		}
		r := w.receive(t, "My blender arrived broken")
		conv := r.ConversationID
		w.reply(t, conv, "Hello Ana, sorry to hear that. Could you send a photo?")
		w.receive(t, "Here is the photo")
		for range 3 {
			s, err := w.svc.Summary(bg, conv)
			if err != nil {
				t.Fatal(err)
			}
			if s.Wants != "read Here is the photo" || s.Turns != 3 {
				t.Fatalf("summary = %+v", s)
			}
		}
		if n := w.eng.summaries.Load(); n != 1 {
			t.Fatalf("three views computed %d summaries, want 1 (cached per last message)", n)
		}
		w.receive(t, "Any news?")
		s, err := w.svc.Summary(bg, conv)
		if err != nil {
			t.Fatal(err)
		}
		if s.Wants != "read Any news?" || s.Turns != 4 || w.eng.summaries.Load() != 2 {
			t.Fatalf("after a new message: %+v, %d computations", s, w.eng.summaries.Load())
		}
	})
}

func TestModelOffForInboxNeverCalled(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		r := w.receive(t, "Where is my order #10234?")
		s, err := w.svc.Summary(bg, r.ConversationID)
		if err != nil {
			t.Fatal(err)
		}
		if s.Engine != "offline" || w.eng.summaries.Load() != 0 {
			t.Fatalf("inbox without the model: engine %q, model asked %d times", s.Engine, w.eng.summaries.Load())
		}
		if _, err := w.svc.MakeDrafts(bg, &w.agent.ID, r.ConversationID); err != nil {
			t.Fatal(err)
		}
		if w.eng.drafts.Load() != 0 {
			t.Fatal("drafts asked the model of an inbox that keeps it off")
		}
	})
}

func TestModelFailureFallsBackToOffline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		w.eng.fail = errors.New("model timed out")
		if err := w.svc.SetSettings(bg, w.in.ID, assist.InboxSettings{Model: true}); err != nil {
			t.Fatal(err)
		}
		r := w.receive(t, "My blender arrived broken, order #10234")
		s, err := w.svc.Summary(bg, r.ConversationID)
		if err != nil {
			t.Fatal(err)
		}
		if s.Engine != "offline" || !strings.Contains(s.Note, "model timed out") {
			t.Fatalf("summary after a model failure: engine %q note %q", s.Engine, s.Note)
		}
		d, err := w.svc.MakeDrafts(bg, &w.agent.ID, r.ConversationID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Engine != "offline" || !strings.Contains(d.Note, "model timed out") {
			t.Fatalf("drafts after a model failure: engine %q note %q", d.Engine, d.Note)
		}
		rw, err := w.svc.Rewrite(bg, w.in.ID, "thanks for waiting", assist.RewriteGrammar, "en")
		if err != nil {
			t.Fatal(err)
		}
		if rw.Engine != "offline" || !strings.Contains(rw.Note, "model timed out") {
			t.Fatalf("rewrite after a model failure: %+v", rw)
		}
	})
}

func TestDraftUseIsRecordedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		if err := w.svc.SetSettings(bg, w.in.ID, assist.InboxSettings{Model: true}); err != nil {
			t.Fatal(err)
		}
		r := w.receive(t, "Where is my parcel?")
		conv := r.ConversationID
		set, err := w.svc.MakeDrafts(bg, &w.agent.ID, conv)
		if err != nil {
			t.Fatal(err)
		}
		if set.ID == 0 || len(set.Drafts.Drafts) != 1 {
			t.Fatalf("draft set = %+v", set)
		}
		other := w.receive(t, "x")
		_ = other
		use := assist.DraftUse{SetID: set.ID, Index: 0}
		if err := w.svc.CheckUse(bg, assist.DraftUse{SetID: set.ID, Index: 3}, conv); parley.ErrorCode(err) != parley.EINVALID {
			t.Fatalf("a draft index the set lacks: %v", err)
		}
		if err := w.svc.CheckUse(bg, assist.DraftUse{SetID: set.ID + 100, Index: 0}, conv); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("an unknown draft set: %v", err)
		}
		// "Hello Ana, your parcel left today." edited by five characters.
		sent := w.reply(t, conv, "Hello Ana, your parcel left this morning.")
		if err := w.svc.RecordUse(bg, use, conv, sent); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.RecordUse(bg, use, conv, sent); err != nil {
			t.Fatal(err)
		}
		stats, err := w.svc.DraftReport(bg, w.now.Add(-time.Hour), w.now.Add(time.Hour), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		wantDist, wantRatio := assist.EditDistance("Hello Ana, your parcel left today.", "Hello Ana, your parcel left this morning.")
		if len(stats) != 1 || stats[0].Sets != 1 || stats[0].Shown != 1 || stats[0].Used != 1 ||
			stats[0].AgentID == nil || *stats[0].AgentID != w.agent.ID ||
			stats[0].MeanEdit != float64(wantDist) || stats[0].MeanRatio != wantRatio {
			t.Fatalf("draft stats = %+v (want distance %d ratio %v)", stats, wantDist, wantRatio)
		}
		if other, _ := w.svc.DraftReport(bg, w.now.Add(-time.Hour), w.now.Add(time.Hour), []int64{w.in.ID + 1}, 0); len(other) != 0 {
			t.Fatalf("another inbox's report shows %+v", other)
		}
	})
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b  string
		d     int
		ratio float64
	}{
		{"", "", 0, 0},
		{"same", "same", 0, 0},
		{"kitten", "sitting", 3, 3.0 / 7},
		{"", "abc", 3, 1},
		{"café", "cafe", 1, 0.25},
	} {
		d, r := assist.EditDistance(c.a, c.b)
		if d != c.d || r != c.ratio {
			t.Errorf("EditDistance(%q, %q) = %d, %v; want %d, %v", c.a, c.b, d, r, c.d, c.ratio)
		}
	}
}

func TestSettingsRefuseUnknownChecks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		err := w.svc.SetSettings(bg, w.in.ID, assist.InboxSettings{Blocking: []string{"tone.curt", "tone.rude"}})
		if parley.ErrorCode(err) != parley.EINVALID || !strings.Contains(parley.ErrorMessage(err), "tone.rude") {
			t.Fatalf("unknown check: %v", err)
		}
		set, err := w.svc.Settings(bg, w.in.ID)
		if err != nil || len(set.Blocking) != 0 {
			t.Fatalf("a refused change was stored: %+v %v", set, err)
		}
		if err := w.svc.SetSettings(bg, w.in.ID, assist.InboxSettings{Blocking: []string{"tone.curt", "tone.curt"}}); err != nil {
			t.Fatal(err)
		}
		if set, _ := w.svc.Settings(bg, w.in.ID); len(set.Blocking) != 1 {
			t.Fatalf("blocking = %v", set.Blocking)
		}
	})
}
