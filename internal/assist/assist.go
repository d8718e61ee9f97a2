// Package assist is Parley's assistant: conversation summaries, reply
// drafts that cite their sources, coaching checks on every reply (the
// one-shot rule, warmth over speed, empty template variables) and rule
// based rewrites. The offline engine here needs no model and no network;
// a model engine (see model.go) may do better when one is configured, and
// falls back to this one whenever it fails.
//
// The engine works on plain values (a Thread of Turns, a list of Sources)
// and never touches the store: the service that loads conversations,
// caches summaries and records draft use sits beside it (service.go).
package assist

import "time"

// Author is who wrote a turn of a conversation.
type Author string

const (
	Customer Author = "customer" // an incoming message
	Agent    Author = "agent"    // an outgoing message written by a person or an API caller
	Note     Author = "note"     // an internal note: never shown to the customer
	System   Author = "parley"   // Parley's own automated message (acknowledgement, survey)
)

// Turn is one message of a conversation, as the engine sees it.
type Turn struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	Channel        string    `json:"channel"` // "whatsapp", "email", "widget", ...
	Author         Author    `json:"author"`
	Name           string    `json:"name,omitempty"` // the agent's or contact's display name
	Text           string    `json:"text"`
	At             time.Time `json:"at"`
}

// Thread is everything the engine knows of one customer's conversation:
// its turns and those of linked conversations, on every channel, oldest
// first.
type Thread struct {
	Turns       []Turn    `json:"turns"`
	ContactName string    `json:"contact_name,omitempty"`
	AgentName   string    `json:"agent_name,omitempty"` // who is replying now
	Lang        string    `json:"lang,omitempty"`       // "en", "fr", "es"...; empty: detect from the customer's turns
	Now         time.Time `json:"now"`
}

// Fact is one key fact a summary keeps: an order number, an amount, a
// date, a product, a tracking number. TurnID says where it was read.
type Fact struct {
	Kind   string `json:"kind"` // "order", "amount", "date", "product", "tracking", "email", "phone"
	Value  string `json:"value"`
	TurnID int64  `json:"turn_id"`
}

// Step is something already tried or promised, and by whom.
type Step struct {
	Who     string `json:"who"` // "customer", or the agent's name
	What    string `json:"what"`
	Promise bool   `json:"promise"` // a commitment still to keep ("I'll call the carrier")
	TurnID  int64  `json:"turn_id"`
}

// Summary says in a few lines what the customer needs and what has
// happened.
type Summary struct {
	Engine        string   `json:"engine"` // "offline", or "model:<model name>"
	Lang          string   `json:"lang"`
	Wants         string   `json:"wants"`
	Facts         []Fact   `json:"facts"`
	Done          []Step   `json:"done"`
	OpenQuestions []string `json:"open_questions"`
	NextStep      string   `json:"next_step"`
	Text          string   `json:"text"`           // the whole summary as a few plain lines
	Note          string   `json:"note,omitempty"` // e.g. why the model's answer was not used
	Turns         int      `json:"turns"`          // how many messages it read (set by the service)
}

// Source is a knowledge article or a past reply learned from the team
// that a draft may cite.
type Source struct {
	Kind  string  `json:"kind"` // "article" or "answer"
	ID    int64   `json:"id"`
	Title string  `json:"title"`
	URL   string  `json:"url"`
	Text  string  `json:"text"` // the article body or the masked past reply
	Lang  string  `json:"lang,omitempty"`
	Score float64 `json:"score"`
}

// Ref is how a draft cites a source.
type Ref struct {
	Kind string `json:"kind"`
	ID   int64  `json:"id"`
}

// Action is what a draft proposes to do besides writing, for a human to
// approve: amounts come from order data in Vars, never from free text.
type Action struct {
	Kind     string  `json:"kind"` // "refund", "replacement", "resend", "escalate"
	Amount   float64 `json:"amount,omitempty"`
	Currency string  `json:"currency,omitempty"`
	Reason   string  `json:"reason,omitempty"`
}

// Draft is one proposed reply. The three drafts differ in kind: the full
// answer, the answer plus the one thing still missing asked once, and a
// proposed action.
type Draft struct {
	Kind    string  `json:"kind"` // "answer", "ask", "action"
	Label   string  `json:"label"`
	Text    string  `json:"text"`
	Sources []Ref   `json:"sources"`
	Action  *Action `json:"action,omitempty"`
}

// DraftInput is what drafting needs: the thread, its summary, the sources
// retrieval found for it, and the values to fill in ("contact.name",
// "agent.name", "order.number", "order.total"...).
type DraftInput struct {
	Thread  Thread            `json:"thread"`
	Summary Summary           `json:"summary"`
	Sources []Source          `json:"sources"`
	Vars    map[string]string `json:"vars,omitempty"`
}

// Drafts is the answer to a request for drafts. When nothing relevant
// was found, Drafts holds no invented answer and NoAnswer says so.
type Drafts struct {
	Engine   string   `json:"engine"`
	Drafts   []Draft  `json:"drafts"`
	NoAnswer string   `json:"no_answer,omitempty"`
	Sources  []Source `json:"sources"` // every source cited by a draft
	Note     string   `json:"note,omitempty"`
}

// Finding is one coaching hint on a reply. Check names are stable:
// see the Check* constants.
type Finding struct {
	Check      string `json:"check"`
	Message    string `json:"message"`
	Suggestion string `json:"suggestion,omitempty"`
}

// The checks a reply is coached against. An admin may make any of them
// block sending in an inbox.
const (
	CheckUnanswered    = "one_shot.unanswered"     // a customer question since the last reply is not answered
	CheckNextStep      = "one_shot.next_step"      // no next step saying who does what and when
	CheckBarePromise   = "one_shot.bare_promise"   // "I'll check" with nothing else
	CheckOnlyQuestion  = "one_shot.only_question"  // the reply is only a question back
	CheckCurt          = "tone.curt"               // curt phrasing
	CheckBlame         = "tone.blame"              // blaming the customer
	CheckCaps          = "tone.caps"               // shouting in capitals
	CheckNoAcknowledge = "tone.no_acknowledgement" // the customer is upset and the reply does not acknowledge it
	CheckEmptyVariable = "template.empty_variable" // "Thanks, !" or a {{variable}} left unfilled
)

// Rewrite kinds.
const (
	RewriteWarmer    = "warmer"
	RewriteShorter   = "shorter"
	RewriteFormal    = "formal"
	RewriteGrammar   = "grammar"
	RewriteTranslate = "translate"
)

// Rewritten is the answer to a rewrite request. Done is false when the
// engine cannot do this kind honestly (translation needs a model); Note
// says why.
type Rewritten struct {
	Engine string `json:"engine"`
	Kind   string `json:"kind"`
	Text   string `json:"text"`
	Done   bool   `json:"done"`
	Note   string `json:"note,omitempty"`
}
