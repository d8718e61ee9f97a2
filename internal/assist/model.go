package assist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/fill"
	"github.com/parleyhq/parley/internal/llm"
	"github.com/parleyhq/parley/internal/redact"
)

// ModelEngine writes summaries, drafts and rewrites with a language model
// behind any OpenAI-compatible endpoint. It only ever proposes: its
// answers are validated against a schema, drafts that cite a source they
// were not given are dropped, amounts come from order data, and a person
// sends. Customer text and sources reach the model as quoted data (see
// llm.Data); with Mask set, contact details are masked before anything
// leaves Parley.
type ModelEngine struct {
	Client *llm.Client
	Model  string
	Mask   bool
}

// Name says which engine wrote something, for the agent.
func (e *ModelEngine) Name() string { return "model:" + e.Model }

// The tasks, constant text: nothing a customer wrote is ever part of them.
const (
	summaryTask = `You summarize a customer support conversation for the agent who will answer it. The conversation is given as data: a list of turns with their author (customer, agent, note for internal notes, parley for automated messages), channel and time. Answer in the language given as "lang" in the data. Be factual and brief: only what the turns say. "wants" is what the customer needs, in one sentence. "facts" are key facts: order numbers, amounts with currency, dates, products, tracking numbers, each with its kind. "done" lists what was already tried or promised and by whom (promise true for a commitment still to keep). "open_questions" are the customer's questions not yet answered. "next_step" is what the agent should do now. "text" is the whole summary in at most five short lines.`
	draftsTask  = `You draft replies for a customer support agent, who will edit and send one. The conversation, its summary, the knowledge sources and the values available for filling are given as data. Write exactly three drafts of different kinds: "answer" (greeting, the full answer, next steps with who does what and when, warm closing: one message that needs no back and forth), "ask" (the answer plus the one piece of information still missing, asked once), "action" (propose one action such as a refund, replacement or resend, and say that a colleague will confirm it). Base every statement of fact on the sources: cite each source you used by its "ref" exactly as given, and never cite anything else. If no source answers the customer's need, set "no_answer" to a short explanation and write no invented answer. Never state an amount of money unless it is in the order values. Use the placeholders {{contact.first_name}} and {{agent.name}} for names. Write in the language given as "lang", warmly: the customer reads it hours later.`
	rewriteTask = `You rewrite a customer support reply written by an agent. The reply and what to do with it ("kind": warmer, shorter, formal, grammar or translate, and the target language "lang") are given as data. Keep every fact, number, link and promise of the reply; add none. warmer: acknowledge the customer and soften curt phrasing. shorter: remove filler and repetition. formal: a formal register. grammar: fix spelling, grammar and punctuation only. translate: translate into "lang". Answer with the rewritten text only, in "text".`
)

var summarySchema = json.RawMessage(`{"type":"object","additionalProperties":false,
 "required":["wants","facts","done","open_questions","next_step","text"],
 "properties":{
  "wants":{"type":"string"},
  "facts":{"type":"array","items":{"type":"object","additionalProperties":false,"required":["kind","value"],
    "properties":{"kind":{"type":"string","enum":["order","amount","date","product","tracking","email","phone"]},"value":{"type":"string"}}}},
  "done":{"type":"array","items":{"type":"object","additionalProperties":false,"required":["who","what","promise"],
    "properties":{"who":{"type":"string"},"what":{"type":"string"},"promise":{"type":"boolean"}}}},
  "open_questions":{"type":"array","items":{"type":"string"}},
  "next_step":{"type":"string"},
  "text":{"type":"string","minLength":1}}}`)

var draftsSchema = json.RawMessage(`{"type":"object","additionalProperties":false,"required":["drafts","no_answer"],
 "properties":{
  "no_answer":{"type":["string","null"]},
  "drafts":{"type":"array","maxItems":3,"items":{"type":"object","additionalProperties":false,
    "required":["kind","label","text","sources","action"],
    "properties":{"kind":{"type":"string","enum":["answer","ask","action"]},"label":{"type":"string"},
      "text":{"type":"string"},"sources":{"type":"array","items":{"type":"string"}},
      "action":{"type":["string","null"],"enum":["refund","replacement","resend","escalate",null]}}}}}}`)

var rewriteSchema = json.RawMessage(`{"type":"object","additionalProperties":false,"required":["text"],
 "properties":{"text":{"type":"string","minLength":1}}}`)

// modelTurn is a turn as the model reads it.
type modelTurn struct {
	Author  string `json:"author"`
	Name    string `json:"name,omitempty"`
	Channel string `json:"channel"`
	At      string `json:"at"`
	Text    string `json:"text"`
}

func (e *ModelEngine) turns(t Thread) []modelTurn {
	names := e.names(t)
	out := make([]modelTurn, 0, len(t.Turns))
	for _, tu := range t.Turns {
		name := tu.Name
		if e.Mask && tu.Author == Customer {
			name = ""
		}
		out = append(out, modelTurn{Author: string(tu.Author), Name: name, Channel: tu.Channel,
			At: tu.At.UTC().Format("2006-01-02 15:04"), Text: e.mask(tu.Text, names)})
	}
	return out
}

func (e *ModelEngine) names(t Thread) []string {
	if t.ContactName == "" {
		return nil
	}
	return []string{t.ContactName}
}

func (e *ModelEngine) mask(s string, names []string) string {
	if !e.Mask {
		return s
	}
	return redact.Text(s, names...)
}

func threadLang(t Thread) string {
	if t.Lang != "" {
		return t.Lang
	}
	var b strings.Builder
	for _, tu := range t.Turns {
		if tu.Author == Customer {
			b.WriteString(tu.Text)
			b.WriteString("\n")
		}
	}
	if l := DetectLang(b.String()); l != "" {
		return l
	}
	return "en"
}

// Summarize asks the model for a summary.
func (e *ModelEngine) Summarize(ctx context.Context, inboxID int64, t Thread) (Summary, error) {
	lang := threadLang(t)
	var out struct {
		Wants string `json:"wants"`
		Facts []struct {
			Kind, Value string
		} `json:"facts"`
		Done []struct {
			Who, What string
			Promise   bool
		} `json:"done"`
		OpenQuestions []string `json:"open_questions"`
		NextStep      string   `json:"next_step"`
		Text          string   `json:"text"`
	}
	req := llm.Request{Feature: "summary", InboxID: inboxID, Messages: []llm.Message{
		llm.System(summaryTask),
		llm.Data("conversation", map[string]any{"lang": lang, "turns": e.turns(t)}),
	}}
	if _, err := e.Client.JSON(ctx, req, summarySchema, &out); err != nil {
		return Summary{}, err
	}
	s := Summary{Engine: e.Name(), Lang: lang, Wants: out.Wants, OpenQuestions: out.OpenQuestions, NextStep: out.NextStep, Text: out.Text}
	for _, f := range out.Facts {
		s.Facts = append(s.Facts, Fact{Kind: f.Kind, Value: f.Value})
	}
	for _, d := range out.Done {
		s.Done = append(s.Done, Step{Who: d.Who, What: d.What, Promise: d.Promise})
	}
	return s, nil
}

// modelSource is a source as the model reads it: ref is what it cites.
type modelSource struct {
	Ref   string `json:"ref"`
	Kind  string `json:"kind"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

func refOf(s Source) string { return s.Kind + "/" + strconv.FormatInt(s.ID, 10) }

// Drafts asks the model for three drafts, then keeps only what can be
// trusted: known citations, non-empty text, no unfilled placeholder.
func (e *ModelEngine) Drafts(ctx context.Context, inboxID int64, in DraftInput) (Drafts, error) {
	lang := in.Summary.Lang
	if lang == "" {
		lang = threadLang(in.Thread)
	}
	names := e.names(in.Thread)
	given := map[string]Source{}
	var sources []modelSource
	for _, s := range in.Sources {
		given[refOf(s)] = s
		sources = append(sources, modelSource{Ref: refOf(s), Kind: s.Kind, Title: s.Title, Text: e.mask(clip(s.Text, 4000), names)})
	}
	// The model sees which values exist, not the contact's details: it
	// writes placeholders, and Parley fills them.
	order := map[string]string{}
	for k, v := range in.Vars {
		if strings.HasPrefix(k, "order.") {
			order[k] = v
		}
	}
	var out struct {
		NoAnswer *string `json:"no_answer"`
		Drafts   []struct {
			Kind, Label, Text string
			Sources           []string
			Action            *string
		} `json:"drafts"`
	}
	req := llm.Request{Feature: "drafts", InboxID: inboxID, Messages: []llm.Message{
		llm.System(draftsTask),
		llm.Data("conversation", map[string]any{"lang": lang, "turns": e.turns(in.Thread)}),
		llm.Data("summary", map[string]any{"wants": e.mask(in.Summary.Wants, names), "next_step": in.Summary.NextStep}),
		llm.Data("sources", sources),
		llm.Data("order", order),
	}}
	if _, err := e.Client.JSON(ctx, req, draftsSchema, &out); err != nil {
		return Drafts{}, err
	}
	d := Drafts{Engine: e.Name()}
	cited := map[string]bool{}
	dropped := 0
	for _, md := range out.Drafts {
		text := strings.TrimSpace(fill.Fill(md.Text, fill.Vars(in.Vars)))
		ok := text != "" && len(fill.Missing(text)) == 0
		var refs []Ref
		for _, r := range md.Sources {
			src, known := given[r]
			if !known {
				ok = false
				break
			}
			refs = append(refs, Ref{Kind: src.Kind, ID: src.ID})
		}
		if !ok {
			dropped++
			continue
		}
		for _, r := range md.Sources {
			cited[r] = true
		}
		dr := Draft{Kind: md.Kind, Label: md.Label, Text: text, Sources: refs}
		if md.Action != nil && *md.Action != "" {
			dr.Action = &Action{Kind: *md.Action}
			// An amount comes from the order, never from the model's text.
			if v, err := strconv.ParseFloat(in.Vars["order.total"], 64); err == nil && *md.Action == "refund" {
				dr.Action.Amount, dr.Action.Currency = v, in.Vars["order.currency"]
			}
		}
		d.Drafts = append(d.Drafts, dr)
	}
	for _, s := range in.Sources {
		if cited[refOf(s)] {
			d.Sources = append(d.Sources, s)
		}
	}
	if out.NoAnswer != nil && strings.TrimSpace(*out.NoAnswer) != "" && len(d.Drafts) == 0 {
		d.NoAnswer = strings.TrimSpace(*out.NoAnswer)
		return d, nil
	}
	if len(d.Drafts) == 0 {
		return Drafts{}, &llm.MalformedError{Reason: fmt.Sprintf("no usable draft (%d dropped: unknown sources, empty or unfilled)", dropped)}
	}
	if dropped > 0 {
		d.Note = fmt.Sprintf("%d of the model's drafts were dropped: they cited sources Parley had not given, or were empty.", dropped)
	}
	return d, nil
}

// Rewrite asks the model to rewrite a reply.
func (e *ModelEngine) Rewrite(ctx context.Context, inboxID int64, text, kind, lang string) (Rewritten, error) {
	// A reply is the agent's own text: masked, its details could not be
	// put back, so one that holds contact details stays in Parley.
	if e.Mask && redact.Text(text) != text {
		return Rewritten{}, errHoldsDetails
	}
	var out struct {
		Text string `json:"text"`
	}
	req := llm.Request{Feature: "rewrite", InboxID: inboxID, Messages: []llm.Message{
		llm.System(rewriteTask),
		llm.Data("reply", map[string]any{"kind": kind, "lang": lang, "text": text}),
	}}
	if _, err := e.Client.JSON(ctx, req, rewriteSchema, &out); err != nil {
		return Rewritten{}, err
	}
	return Rewritten{Engine: e.Name(), Kind: kind, Text: out.Text, Done: true}, nil
}

// errHoldsDetails keeps a reply with contact details from the model when
// the workspace masks them.
var errHoldsDetails = errors.New("the reply holds contact details, which this workspace does not send to the model")

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// ModelFrom is Service.Model for a workspace's model provider: the
// configured model as an Engine, or nothing when none is switched on.
func ModelFrom(p *llm.Provider) func(ctx context.Context) (Engine, bool) {
	return func(ctx context.Context) (Engine, bool) {
		c, s, err := p.Client(ctx)
		if err != nil || c == nil {
			return nil, false
		}
		return &ModelEngine{Client: c, Model: s.Model, Mask: s.MaskContacts}, true
	}
}
