package assist

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/fill"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Retriever finds the knowledge (articles, learned answers) relevant to a
// query, best first.
type Retriever interface {
	Retrieve(ctx context.Context, query, lang string, limit int) ([]Source, error)
}

// Engine is a model-backed engine. Any error makes the service fall back
// to the offline engine and say so.
type Engine interface {
	Name() string // "model:<model>"
	Summarize(ctx context.Context, inboxID int64, t Thread) (Summary, error)
	Drafts(ctx context.Context, inboxID int64, in DraftInput) (Drafts, error)
	Rewrite(ctx context.Context, inboxID int64, text, kind, lang string) (Rewritten, error)
}

// Service is the assistant's use cases: it loads conversations, caches
// summaries, finds sources, records draft use and gates replies on the
// checks an inbox made blocking.
type Service struct {
	DB        *store.DB
	Knowledge Retriever // nil: drafts have no sources to cite
	// Model returns the configured model engine, if any; nil or ok=false
	// means offline only.
	Model func(ctx context.Context) (Engine, bool)
	Log   *slog.Logger
}

// Limits of what is read: the whole history of a long conversation, but
// not a contact's every conversation of many years.
const (
	maxLinked    = 10  // conversations of the contact read besides the chain
	maxTurns     = 600 // newest turns kept
	sourcesAsked = 5
	// SummaryMinTurns is the number of turns from which the inbox shows a
	// summary: below it the conversation is short enough to read.
	SummaryMinTurns = 4
)

// InboxSettings are an inbox's assistant settings.
type InboxSettings struct {
	// Model lets the configured language model see this inbox's
	// conversations; off, the offline engine alone is used.
	Model bool `json:"model"`
	// Blocking lists the checks that stop a reply from being sent in this
	// inbox; the others are hints.
	Blocking []string `json:"blocking_checks"`
}

func inboxKey(id int64) string { return "assist.inbox." + strconv.FormatInt(id, 10) }

// Settings returns an inbox's assistant settings (the defaults when never set).
func (s *Service) Settings(ctx context.Context, inboxID int64) (InboxSettings, error) {
	set := InboxSettings{Blocking: []string{}}
	_, err := s.DB.Setting(ctx, inboxKey(inboxID), &set)
	if set.Blocking == nil {
		set.Blocking = []string{}
	}
	return set, err
}

// SetSettings stores an inbox's assistant settings; unknown checks are refused.
func (s *Service) SetSettings(ctx context.Context, inboxID int64, set InboxSettings) error {
	if _, _, err := s.DB.Inbox(ctx, inboxID); err != nil {
		return err
	}
	seen := map[string]bool{}
	clean := []string{}
	for _, c := range set.Blocking {
		if !knownCheck(c) {
			return parley.Errorf(parley.EINVALID, "%q is not a check; the checks are %s", c, strings.Join(Checks(), ", "))
		}
		if !seen[c] {
			seen[c] = true
			clean = append(clean, c)
		}
	}
	set.Blocking = clean
	return s.DB.Write(ctx, func(tx *store.Tx) error { return tx.SetSetting(inboxKey(inboxID), set) })
}

// Checks lists every check's name.
func Checks() []string {
	return []string{CheckUnanswered, CheckNextStep, CheckBarePromise, CheckOnlyQuestion,
		CheckCurt, CheckBlame, CheckCaps, CheckNoAcknowledge, CheckEmptyVariable}
}

func knownCheck(c string) bool {
	for _, k := range Checks() {
		if k == c {
			return true
		}
	}
	return false
}

// loaded is a conversation as the assistant reads it.
type loaded struct {
	conv    parley.Conversation
	contact parley.Contact
	thread  Thread
	lastID  int64
	ids     []int64
}

// scope returns the conversations a summary reads (the chain the
// conversation continues and the contact's latest others) and the newest
// message among them.
func (s *Service) scope(ctx context.Context, conv parley.Conversation) ([]int64, int64, error) {
	ids, err := s.DB.ConversationChain(ctx, conv.ID)
	if err != nil {
		return nil, 0, err
	}
	others, err := s.DB.ContactConversationIDs(ctx, conv.ContactID, maxLinked)
	if err != nil {
		return nil, 0, err
	}
	seen := map[int64]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	for _, id := range others {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	last, err := s.DB.LastMessageID(ctx, ids)
	return ids, last, err
}

func (s *Service) load(ctx context.Context, conversationID int64, agentID *int64) (loaded, error) {
	conv, err := s.DB.Conversation(ctx, conversationID)
	if err != nil {
		return loaded{}, err
	}
	ids, last, err := s.scope(ctx, conv)
	if err != nil {
		return loaded{}, err
	}
	return s.loadScoped(ctx, conv, ids, last, agentID)
}

// loadScoped is load for a conversation whose scope is already known.
func (s *Service) loadScoped(ctx context.Context, conv parley.Conversation, ids []int64, last int64, agentID *int64) (l loaded, err error) {
	l.conv, l.ids, l.lastID = conv, ids, last
	if l.contact, err = s.DB.Contact(ctx, l.conv.ContactID); err != nil {
		return l, err
	}
	msgs, err := s.DB.Messages(ctx, l.ids)
	if err != nil {
		return l, err
	}
	channels := map[int64]string{}
	names := map[int64]string{}
	l.thread = Thread{ContactName: l.contact.Name, Now: s.DB.Now().UTC(), Lang: baseLang(l.contact.Language)}
	if agentID != nil {
		if a, err := s.DB.Agent(ctx, *agentID); err == nil {
			l.thread.AgentName = a.Name
		}
	}
	if len(msgs) > maxTurns {
		msgs = msgs[len(msgs)-maxTurns:]
	}
	for _, m := range msgs {
		if strings.TrimSpace(m.Text) == "" {
			continue
		}
		ch, ok := channels[m.InboxID]
		if !ok {
			if in, _, err := s.DB.Inbox(ctx, m.InboxID); err == nil {
				ch = string(in.ChannelType)
			}
			channels[m.InboxID] = ch
		}
		t := Turn{ID: m.ID, ConversationID: m.ConversationID, Channel: ch, Text: m.Text, At: m.CreatedAt}
		switch {
		case m.Direction == parley.Incoming:
			t.Author, t.Name = Customer, l.contact.Name
		case m.Direction == parley.Note:
			t.Author = Note
		case m.Automated:
			t.Author = System
		default:
			t.Author = Agent
		}
		if m.AuthorAgentID != nil && t.Author != Customer {
			n, ok := names[*m.AuthorAgentID]
			if !ok {
				if a, err := s.DB.Agent(ctx, *m.AuthorAgentID); err == nil {
					n = a.Name
				}
				names[*m.AuthorAgentID] = n
			}
			t.Name = n
		}
		l.thread.Turns = append(l.thread.Turns, t)
	}
	return l, nil
}

// baseLang is the language of a BCP 47 tag ("fr-FR" → "fr").
func baseLang(tag string) string {
	tag = strings.ToLower(tag)
	if i := strings.IndexAny(tag, "-_"); i > 0 {
		tag = tag[:i]
	}
	return tag
}

// model returns the model engine when one is configured and the inbox
// lets it see its conversations.
func (s *Service) model(ctx context.Context, inboxID int64) Engine {
	if s.Model == nil {
		return nil
	}
	e, ok := s.Model(ctx)
	if !ok || e == nil {
		return nil
	}
	set, err := s.Settings(ctx, inboxID)
	if err != nil || !set.Model {
		return nil
	}
	return e
}

func (s *Service) logf(msg string, args ...any) {
	if s.Log != nil {
		s.Log.Warn(msg, args...)
	}
}

// Summary returns the conversation's summary: the cached one while no
// message arrived since, else a fresh one, stored for the next view.
func (s *Service) Summary(ctx context.Context, conversationID int64) (Summary, error) {
	conv, err := s.DB.Conversation(ctx, conversationID)
	if err != nil {
		return Summary{}, err
	}
	ids, last, err := s.scope(ctx, conv)
	if err != nil {
		return Summary{}, err
	}
	if sum, ok, err := s.cached(ctx, conversationID, last); err != nil || ok {
		return sum, err
	}
	l, err := s.loadScoped(ctx, conv, ids, last, nil)
	if err != nil {
		return Summary{}, err
	}
	return s.fresh(ctx, l)
}

// cachedOrFresh is the summary of a loaded conversation: the cached one
// when it read the same last message, else a fresh one.
func (s *Service) cachedOrFresh(ctx context.Context, l loaded) (Summary, error) {
	if sum, ok, err := s.cached(ctx, l.conv.ID, l.lastID); err != nil || ok {
		return sum, err
	}
	return s.fresh(ctx, l)
}

// cached is the stored summary of a conversation if it read last.
func (s *Service) cached(ctx context.Context, conversationID, last int64) (Summary, bool, error) {
	c, ok, err := s.DB.AssistSummary(ctx, conversationID)
	if err != nil || !ok || c.LastMessageID != last {
		return Summary{}, false, err
	}
	var sum Summary
	if err := json.Unmarshal([]byte(c.Body), &sum); err != nil {
		return Summary{}, false, nil // an unreadable cache is recomputed
	}
	return sum, true, nil
}

// fresh summarises a loaded conversation and stores the summary for the
// next view.
func (s *Service) fresh(ctx context.Context, l loaded) (Summary, error) {
	sum := s.summarize(ctx, l)
	sum.Turns = len(l.thread.Turns)
	body, err := json.Marshal(sum)
	if err != nil {
		return sum, err
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		return tx.PutAssistSummary(store.AssistSummary{ConversationID: l.conv.ID, LastMessageID: l.lastID,
			Engine: sum.Engine, Body: string(body)})
	})
	return sum, err
}

func (s *Service) summarize(ctx context.Context, l loaded) Summary {
	if e := s.model(ctx, l.conv.InboxID); e != nil {
		sum, err := e.Summarize(ctx, l.conv.InboxID, l.thread)
		if err == nil {
			return sum
		}
		s.logf("assist: model summary failed, using the offline engine", "conversation", l.conv.ID, "err", err)
		off := Summarize(l.thread)
		off.Note = fallbackNote(err)
		return off
	}
	return Summarize(l.thread)
}

// fallbackNote tells the agent why they see the offline engine's work.
func fallbackNote(err error) string {
	return "The language model did not answer usably (" + err.Error() + "); this is the offline engine's work."
}

// DraftSet is drafts as shown to an agent: ID identifies them when the
// agent sends one, so Parley can record which was used.
type DraftSet struct {
	ID int64 `json:"id"`
	Drafts
}

// MakeDrafts drafts three replies for the conversation, citing what
// retrieval found, and records that they were shown.
func (s *Service) MakeDrafts(ctx context.Context, agentID *int64, conversationID int64) (DraftSet, error) {
	l, err := s.load(ctx, conversationID, agentID)
	if err != nil {
		return DraftSet{}, err
	}
	sum, err := s.cachedOrFresh(ctx, l)
	if err != nil {
		return DraftSet{}, err
	}
	lang := l.thread.Lang
	if lang == "" {
		lang = sum.Lang
	}
	var sources []Source
	if s.Knowledge != nil {
		if sources, err = s.Knowledge.Retrieve(ctx, Query(l.thread, sum), lang, sourcesAsked); err != nil {
			return DraftSet{}, err
		}
	}
	in := DraftInput{Thread: l.thread, Summary: sum, Sources: sources, Vars: threadVars(l, sum)}
	var d Drafts
	if e := s.model(ctx, l.conv.InboxID); e != nil {
		if d, err = e.Drafts(ctx, l.conv.InboxID, in); err != nil {
			s.logf("assist: model drafts failed, using the offline engine", "conversation", conversationID, "err", err)
			d = MakeDrafts(in)
			d.Note = fallbackNote(err)
		}
	} else {
		d = MakeDrafts(in)
	}
	body, err := json.Marshal(d)
	if err != nil {
		return DraftSet{}, err
	}
	set := store.DraftSet{ConversationID: conversationID, InboxID: l.conv.InboxID, AgentID: agentID,
		LastMessageID: l.lastID, Engine: d.Engine, Body: string(body), Shown: len(d.Drafts)}
	if err := s.DB.Write(ctx, func(tx *store.Tx) error { return tx.CreateDraftSet(&set) }); err != nil {
		return DraftSet{}, err
	}
	return DraftSet{ID: set.ID, Drafts: d}, nil
}

// threadVars are the values drafts are filled with: the contact's and the
// agent's names, and the order the conversation is about.
func threadVars(l loaded, sum Summary) map[string]string {
	v := map[string]string{
		"contact.name":       l.contact.Name,
		"contact.first_name": fill.FirstName(l.contact.Name),
		"agent.name":         l.thread.AgentName,
	}
	for _, f := range sum.Facts {
		if f.Kind == "order" && v["order.number"] == "" {
			v["order.number"] = f.Value
		}
		if f.Kind == "tracking" && v["order.tracking"] == "" {
			v["order.tracking"] = f.Value
		}
	}
	return v
}

// DraftUse is which draft of a set an agent sent.
type DraftUse struct {
	SetID int64 `json:"set_id"`
	Index int   `json:"index"`
}

// CheckUse refuses a draft reference that is not one of this
// conversation's drafts, before anything is sent.
func (s *Service) CheckUse(ctx context.Context, use DraftUse, conversationID int64) error {
	_, err := s.usedDraft(ctx, use, conversationID)
	return err
}

func (s *Service) usedDraft(ctx context.Context, use DraftUse, conversationID int64) (Draft, error) {
	set, err := s.DB.DraftSet(ctx, use.SetID)
	if err != nil {
		return Draft{}, err
	}
	if set.ConversationID != conversationID {
		return Draft{}, parley.Errorf(parley.EINVALID, "draft set %d belongs to another conversation", use.SetID)
	}
	var d Drafts
	if err := json.Unmarshal([]byte(set.Body), &d); err != nil {
		return Draft{}, err
	}
	if use.Index < 0 || use.Index >= len(d.Drafts) {
		return Draft{}, parley.Errorf(parley.EINVALID, "draft set %d has no draft %d", use.SetID, use.Index)
	}
	return d.Drafts[use.Index], nil
}

// RecordUse records that the agent sent draft use.Index of a set as
// message, and how much they edited it first. Recording twice changes
// nothing.
func (s *Service) RecordUse(ctx context.Context, use DraftUse, conversationID int64, message parley.Message) error {
	d, err := s.usedDraft(ctx, use, conversationID)
	if err != nil {
		return err
	}
	dist, ratio := EditDistance(d.Text, message.Text)
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.UseDraft(use.SetID, use.Index, message.ID, dist, ratio)
		return err
	})
}

// CheckReply coaches a reply: the findings, and an error naming the
// findings the inbox made blocking (then nothing may be sent). With no
// conversation, only the checks that need none run.
func (s *Service) CheckReply(ctx context.Context, conversationID int64, text string) ([]Finding, error) {
	if conversationID == 0 {
		return nonNil(Check(text, nil)), nil
	}
	l, err := s.load(ctx, conversationID, nil)
	if err != nil {
		return nil, err
	}
	found := nonNil(Check(text, &l.thread))
	set, err := s.Settings(ctx, l.conv.InboxID)
	if err != nil {
		return found, err
	}
	var blocked []string
	for _, f := range found {
		for _, b := range set.Blocking {
			if f.Check == b {
				blocked = append(blocked, f.Message)
			}
		}
	}
	if len(blocked) > 0 {
		return found, parley.Errorf(parley.EINVALID, "this inbox does not send replies that fail its checks: %s", strings.Join(blocked, " "))
	}
	return found, nil
}

func nonNil(f []Finding) []Finding {
	if f == nil {
		return []Finding{}
	}
	return f
}

// Rewrite rewrites text in the way kind says, with the model when one is
// on for the inbox (inboxID 0: the workspace's model, if any).
func (s *Service) Rewrite(ctx context.Context, inboxID int64, text, kind, lang string) (Rewritten, error) {
	if !knownRewrite(kind) {
		return Rewritten{}, parley.Errorf(parley.EINVALID, "%q is not a rewrite; use one of %s", kind, strings.Join(RewriteKinds(), ", "))
	}
	if strings.TrimSpace(text) == "" {
		return Rewritten{}, parley.Errorf(parley.EINVALID, "there is no text to rewrite")
	}
	if lang == "" {
		lang = DetectLang(text)
	}
	var e Engine
	if inboxID != 0 {
		e = s.model(ctx, inboxID)
	} else if s.Model != nil {
		e, _ = s.Model(ctx)
	}
	if e != nil {
		r, err := e.Rewrite(ctx, inboxID, text, kind, lang)
		if err == nil {
			return r, nil
		}
		s.logf("assist: model rewrite failed, using the offline engine", "err", err)
		off := Rewrite(text, kind, lang)
		off.Note = strings.TrimSpace(fallbackNote(err) + " " + off.Note)
		return off, nil
	}
	return Rewrite(text, kind, lang), nil
}

func knownRewrite(kind string) bool {
	for _, k := range RewriteKinds() {
		if k == kind {
			return true
		}
	}
	return false
}

// DraftReport is draft use per agent and inbox over [from, to), in the
// given inboxes (all when none) and for one agent (all when 0).
func (s *Service) DraftReport(ctx context.Context, from, to time.Time, inboxIDs []int64, agentID int64) ([]store.DraftStat, error) {
	all, err := s.DB.DraftStats(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := []store.DraftStat{}
	for _, st := range all {
		if len(inboxIDs) > 0 && !slices.Contains(inboxIDs, st.InboxID) {
			continue
		}
		if agentID != 0 && (st.AgentID == nil || *st.AgentID != agentID) {
			continue
		}
		out = append(out, st)
	}
	return out, nil
}
