package mcp

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/api"
	"github.com/parleyhq/parley/internal/assist"
	"github.com/parleyhq/parley/internal/knowledge"
	"github.com/parleyhq/parley/internal/parley"
)

// SearchKnowledgeIn is search_knowledge's input.
type SearchKnowledgeIn struct {
	Query string   `json:"query" jsonschema:"the question, in the customer's words if you like"`
	Lang  string   `json:"lang,omitempty" jsonschema:"the language to prefer, such as en or fr (others count a little less)"`
	Limit int      `json:"limit,omitempty" jsonschema:"how many sources to return, 1 to 20 (5 by default)"`
	Kinds []string `json:"kinds,omitempty" jsonschema:"what to search: article, answer or both (both by default)"`
}

// SearchKnowledgeOut is its answer, best first.
type SearchKnowledgeOut struct {
	Sources []SourceInfo `json:"sources"`
}

// SourceInfo is an article or a learned answer.
type SourceInfo struct {
	Kind      string  `json:"kind" jsonschema:"article (a published help article) or answer (a reply the team gave in a resolved conversation, contact details masked)"`
	ID        int64   `json:"id"`
	Title     string  `json:"title"`
	URL       string  `json:"url,omitempty"`
	Text      string  `json:"text"`
	Truncated bool    `json:"truncated,omitempty" jsonschema:"the text was cut at 4000 bytes"`
	Lang      string  `json:"lang,omitempty"`
	Score     float64 `json:"score" jsonschema:"0 to 1: the share of the query's words the source holds, weighted by rank"`
}

// maxSourceText bounds a source's text in an answer, as the assistant
// bounds what it gives its model: enough to answer from, not a manual.
const maxSourceText = 4000

// DraftReplyIn is draft_reply's input.
type DraftReplyIn struct {
	ConversationID int64 `json:"conversation_id" jsonschema:"the conversation to draft a reply for"`
}

// DraftReplyOut is the assistant's drafts.
type DraftReplyOut struct {
	DraftSetID int64       `json:"draft_set_id"`
	Engine     string      `json:"engine" jsonschema:"offline, or model:<name> when a language model wrote them"`
	Drafts     []DraftInfo `json:"drafts"`
	NoAnswer   string      `json:"no_answer,omitempty" jsonschema:"why there is no draft: nothing relevant was found"`
	// Sources are the sources the drafts cite.
	Sources []SourceInfo `json:"sources"`
	Note    string       `json:"note,omitempty"`
	Masked  bool         `json:"masked" jsonschema:"contact details are masked; the customer's name is written {{contact.first_name}} or {{contact.name}}, which Parley fills"`
}

// DraftInfo is one draft.
type DraftInfo struct {
	Kind    string       `json:"kind" jsonschema:"answer (the full answer), ask (the answer and the one thing still missing) or action (a proposed action)"`
	Label   string       `json:"label"`
	Text    string       `json:"text"`
	Sources []assist.Ref `json:"sources"`
	Action  *ActionInfo  `json:"action,omitempty"`
}

// ActionInfo is what a draft proposes besides writing: for a person to
// decide, its amount from the order, never from a model's text.
type ActionInfo struct {
	Kind     string  `json:"kind" jsonschema:"refund, replacement, resend or escalate"`
	Amount   float64 `json:"amount,omitempty"`
	Currency string  `json:"currency,omitempty"`
	Reason   string  `json:"reason,omitempty"`
}

func (s *Server) searchKnowledge(ctx context.Context, _ api.Caller, in SearchKnowledgeIn) (SearchKnowledgeOut, error) {
	out := SearchKnowledgeOut{Sources: []SourceInfo{}}
	if strings.TrimSpace(in.Query) == "" {
		return out, parley.Errorf(parley.EINVALID, "query is required")
	}
	limit, err := between("limit", in.Limit, 5, 1, 20)
	if err != nil {
		return out, err
	}
	for _, k := range in.Kinds {
		if k != knowledge.KindArticle && k != knowledge.KindAnswer {
			return out, parley.Errorf(parley.EINVALID, "kinds may hold article and answer, not %q", k)
		}
	}
	res, err := s.Knowledge.Search(ctx, knowledge.Query{Text: in.Query, Lang: in.Lang, Kinds: in.Kinds, Limit: limit})
	if err != nil {
		return out, fmt.Errorf("mcp: search_knowledge: %w", err)
	}
	for _, src := range res {
		out.Sources = append(out.Sources, sourceInfo(src))
	}
	return out, nil
}

// sourceInfo is a source as a client sees it, bounded. It is not masked
// again: a search finds published articles, which are public help pages
// already, and learned answers, whose contact details were masked when
// they were learned (knowledge/learn.go). Masking 20 KB of public text a
// call would cost more than the search.
func sourceInfo(src assist.Source) SourceInfo {
	text, cut := clip(src.Text, maxSourceText)
	return SourceInfo{Kind: src.Kind, ID: src.ID, Title: src.Title, URL: src.URL, Text: text, Truncated: cut,
		Lang: src.Lang, Score: src.Score}
}

// clip cuts s to at most n bytes, on a character boundary.
func clip(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}

func (s *Server) draftReply(ctx context.Context, c api.Caller, in DraftReplyIn) (DraftReplyOut, error) {
	out := DraftReplyOut{Drafts: []DraftInfo{}, Sources: []SourceInfo{}}
	conv, err := s.conversation(ctx, in.ConversationID)
	if err != nil {
		return out, err
	}
	contact, err := s.DB.Contact(ctx, conv.ContactID)
	if err != nil {
		return out, fmt.Errorf("mcp: draft_reply: contact: %w", err)
	}
	// The same call as the API's POST .../drafts: the set is recorded as
	// shown to the token's agent, for the drafts report.
	set, err := s.Assist.MakeDrafts(ctx, c.AgentID, conv.ID)
	if err != nil {
		return out, fmt.Errorf("mcp: draft_reply: %w", err)
	}
	m := s.maskerFor(ctx)
	out.DraftSetID, out.Engine, out.Note, out.Masked = set.ID, set.Engine, set.Note, m.on
	out.NoAnswer = m.text(set.NoAnswer, contact.Name)
	for _, d := range set.Drafts.Drafts {
		di := DraftInfo{Kind: d.Kind, Label: d.Label, Text: m.draft(d.Text, contact.Name), Sources: d.Sources}
		if di.Sources == nil {
			di.Sources = []assist.Ref{}
		}
		if d.Action != nil {
			di.Action = &ActionInfo{Kind: d.Action.Kind, Amount: d.Action.Amount, Currency: d.Action.Currency, Reason: m.text(d.Action.Reason, contact.Name)}
		}
		out.Drafts = append(out.Drafts, di)
	}
	for _, src := range set.Sources {
		out.Sources = append(out.Sources, sourceInfo(src))
	}
	return out, nil
}
