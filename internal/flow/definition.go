// Package flow runs workflows: versioned documents of steps that start
// from a trigger and run in the background, durably. Each step is a job
// (internal/jobs); a run records every step's input, output and state
// (store: flow_runs, flow_steps), so a process killed mid-run resumes on
// restart, or on another node, without repeating a finished step. A step
// that acts outside Parley is recorded as started with the exact request
// before it is sent, and sent with an idempotency key derived from the
// run and the step, so a retry after a crash is the same request and the
// business's system sees it once.
package flow

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"
	"go.yaml.in/yaml/v3"

	"github.com/parleyhq/parley/internal/parley"
)

// Definition is a workflow document, parsed and checked.
type Definition struct {
	Name        string  `yaml:"name"`
	Description string  `yaml:"description"`
	Trigger     Trigger `yaml:"trigger"`
	Steps       []*Step `yaml:"steps"`

	byID map[string]int
	when *vm.Program
}

// Trigger says what starts a run. Event is an event kind from the log
// (parley.Event…), "inbound:<name>" for an event the business's systems
// post to /api/v1/events/inbound, or "manual" (started through the API
// only). When, if set, is an expression over the trigger's input that
// must be true.
type Trigger struct {
	Event string `yaml:"event"`
	When  string `yaml:"when"`
	// Every, with event schedule, starts a run once per period ("15m",
	// "1h", "1d"), at most once per period across restarts and nodes.
	Every string `yaml:"every"`
	every time.Duration
}

// Step is one step. Kind says which fields apply (see stepFields).
type Step struct {
	ID   string `yaml:"id"`
	Kind string `yaml:"kind"`
	// Next is the step to go to after this one: a later step's id, or
	// "end". Empty means the step below.
	Next string `yaml:"next"`

	// http: call an HTTP JSON API of the business's.
	Method  string            `yaml:"method"`
	URL     string            `yaml:"url"`
	Headers map[string]string `yaml:"headers"`
	Body    any               `yaml:"body"`
	// Keep names the response fields to keep as the step's output:
	// output name → dotted path in the response body.
	Keep map[string]string `yaml:"keep"`
	// Approve makes the call risky: the approval policies decide whether
	// a person must approve it first (docs/WORKFLOWS.md, Approval).
	Approve *Approve `yaml:"approve"`

	// if: go to Then when When is true, to Else otherwise.
	When string `yaml:"when"`
	Then string `yaml:"then"`
	Else string `yaml:"else"`

	// note: an internal note on the run's conversation.
	Text string `yaml:"text"`

	// set: variables for later steps, each a template.
	Values map[string]string `yaml:"values"`

	// classify: the text to sort (a template) into Classes.
	Classes []Class `yaml:"classes"`

	// extract: the values to find in Text.
	Fields []Field `yaml:"fields"`

	// email: Text to the contact by email, under Subject (a template;
	// a thread's own subject wins), from the email inbox named Inbox
	// (the first when empty).
	Subject string `yaml:"subject"`
	Inbox   string `yaml:"inbox"`

	// mcp: call Tool of the MCP server at URL (with Headers) with
	// Arguments (templates).
	Tool      string         `yaml:"tool"`
	Arguments map[string]any `yaml:"arguments"`

	// agent: ask the remote agent Agent (Settings → Agents) Text, with
	// Data as a data part; or, with Asks, several agents at once. Timeout
	// bounds the wait for their final answers (default 10m).
	Agent   string         `yaml:"agent"`
	Data    map[string]any `yaml:"data"`
	Asks    []Ask          `yaml:"ask"`
	Timeout string         `yaml:"timeout"`
	timeout time.Duration

	// update: changes to the run's conversation.
	AddLabels    []string `yaml:"add_labels"`
	RemoveLabels []string `yaml:"remove_labels"`
	Priority     string   `yaml:"priority"`
	Status       string   `yaml:"status"`
	Team         string   `yaml:"team"`     // a team's name; "none" takes it off its team
	Assignee     string   `yaml:"assignee"` // an agent's email; "none" unassigns it

	// wait: how long to wait before the next step ("30m", "2h", "3d");
	// with Until "reply", at most that long for the customer's reply.
	For   string `yaml:"for"`
	Until string `yaml:"until"`
	wait  time.Duration

	line  int
	when  *vm.Program
	texts map[string]*text // parsed templates by field path
}

// Approve describes a risky call for the approval policies: the amount
// it commits, its currency, and what it does in words for the approver.
// Each is a template. Timeout bounds the wait for a decision (default 3d).
type Approve struct {
	Amount   string `yaml:"amount"`
	Currency string `yaml:"currency"`
	Text     string `yaml:"text"`
	Timeout  string `yaml:"timeout"`
	timeout  time.Duration
	// Escalate hands a request no one has decided after a while to one
	// more approver (a lead), before the timeout ends it.
	Escalate *Escalate `yaml:"escalate"`
}

// Escalate names who else may decide (an agent's email) and after how
// long ("4h").
type Escalate struct {
	After string `yaml:"after"`
	To    string `yaml:"to"`
	after time.Duration
}

// StepKinds lists the kinds a step may have, with the fields each takes
// beyond id, kind and next.
var stepFields = map[string][]string{
	"http":     {"method", "url", "headers", "body", "keep", "approve"},
	"if":       {"when", "then", "else"},
	"note":     {"text"},
	"reply":    {"text"},
	"email":    {"text", "subject", "inbox"},
	"draft":    {"text"},
	"extract":  {"text", "fields"},
	"agent":    {"agent", "text", "data", "ask", "timeout"},
	"mcp":      {"url", "headers", "tool", "arguments"},
	"set":      {"values"},
	"classify": {"text", "classes"},
	"update":   {"add_labels", "remove_labels", "priority", "status", "team", "assignee"},
	"wait":     {"for", "until"},
}

var (
	idPattern  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	httpMethod = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
)

// Problem is one thing wrong with a document: where and why.
type Problem struct {
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d, %s: %s", p.Line, p.Field, p.Message)
	}
	return p.Field + ": " + p.Message
}

// InvalidError lists every problem found in a document. It is an
// EINVALID parley.Error whose message lists them all, so any caller shows
// something useful; the API also returns the list.
type InvalidError struct {
	err      *parley.Error
	Problems []Problem
}

func (e *InvalidError) Error() string { return e.err.Error() }
func (e *InvalidError) Unwrap() error { return e.err }

// ErrorDetails is what the API shows beside the message: the problems.
func (e *InvalidError) ErrorDetails() any { return map[string]any{"problems": e.Problems} }

// maxSource bounds a document's size: a workflow is a page, not a program.
const maxSource = 64 << 10

// Parse reads a workflow document (YAML, or JSON, which YAML includes) and
// checks it whole: unknown or missing fields, unknown step kinds, step
// references that go nowhere or back (a cycle), bad expressions and bad
// templates. The error is an *InvalidError (wrapped as EINVALID) naming
// the line and field of every problem.
func Parse(source string) (*Definition, error) {
	if len(source) > maxSource {
		return nil, parley.Errorf(parley.EINVALID, "a workflow document is at most %d KiB", maxSource>>10)
	}
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(source), &root); err != nil {
		return nil, invalid(Problem{Field: "document", Message: strings.TrimPrefix(err.Error(), "yaml: ")})
	}
	if len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return nil, invalid(Problem{Line: root.Line, Field: "document", Message: "must be a mapping with name, trigger and steps"})
	}
	var c checker
	d := &Definition{byID: map[string]int{}}
	doc := root.Content[0]
	c.keys(doc, "", []string{"name", "description", "trigger", "steps"})
	if err := doc.Decode(d); err != nil {
		c.add(doc.Line, "document", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil, invalid(c.problems...)
	}
	d.byID = map[string]int{}
	if strings.TrimSpace(d.Name) == "" || len(d.Name) > 100 {
		c.add(lineOf(doc, "name"), "name", "is required, at most 100 characters")
	}
	c.trigger(d, doc)
	steps := valueOf(doc, "steps")
	if steps == nil || steps.Kind != yaml.SequenceNode || len(steps.Content) == 0 {
		c.add(lineOf(doc, "steps"), "steps", "at least one step is required")
		return nil, invalid(c.problems...)
	}
	for i, n := range steps.Content {
		s := d.Steps[i]
		s.line = n.Line
		field := fmt.Sprintf("steps[%d]", i)
		if n.Kind != yaml.MappingNode {
			c.add(n.Line, field, "a step is a mapping with id and kind")
			continue
		}
		if !idPattern.MatchString(s.ID) {
			c.add(lineOf(n, "id"), field+".id", "is required: lower-case letters, digits and _, starting with a letter")
		} else if _, dup := d.byID[s.ID]; dup {
			c.add(lineOf(n, "id"), field+".id", fmt.Sprintf("%q is used by an earlier step", s.ID))
		} else {
			d.byID[s.ID] = i
		}
		fields, ok := stepFields[s.Kind]
		if !ok {
			c.add(lineOf(n, "kind"), field+".kind", fmt.Sprintf("unknown step kind %q (known: %s)", s.Kind, strings.Join(kindNames(), ", ")))
			continue
		}
		c.keys(n, field, append([]string{"id", "kind", "next"}, fields...))
		c.step(s, n, field)
	}
	c.references(d, steps)
	if len(c.problems) > 0 {
		return nil, invalid(c.problems...)
	}
	return d, nil
}

func invalid(ps ...Problem) error {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	var b strings.Builder
	b.WriteString("the workflow is not valid: ")
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return &InvalidError{err: parley.Errorf(parley.EINVALID, "%s", b.String()), Problems: ps}
}

// IdempotencyHeader carries the key Parley sends with every call a step
// makes: the same for every attempt of one step of one run.
const IdempotencyHeader = "Idempotency-Key"

// TriggerEvents are the event kinds from the log that can start a run.
// A customer's message is message.created with direction incoming.
var TriggerEvents = []string{
	parley.EventMessageCreated, parley.EventConversationLabels, parley.EventConversationPriority,
	parley.EventConversationStatus, parley.EventSLABreached, parley.EventSurveyAnswered,
}

func kindNames() []string {
	var ks []string
	for k := range stepFields {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Step returns the step with id, or nil.
func (d *Definition) Step(id string) *Step {
	i, ok := d.byID[id]
	if !ok {
		return nil
	}
	return d.Steps[i]
}

// after returns the id of the step that follows s when it does not jump:
// its next, the step below, or "" at the end.
func (d *Definition) after(s *Step) string {
	switch s.Next {
	case "end":
		return ""
	case "":
		i := d.byID[s.ID]
		if i+1 < len(d.Steps) {
			return d.Steps[i+1].ID
		}
		return ""
	default:
		return s.Next
	}
}

func valueOf(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func lineOf(n *yaml.Node, key string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i].Line
		}
	}
	return n.Line
}

func join(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

// walkStrings calls f on every string inside v (a decoded YAML value),
// named by its path.
func walkStrings(v any, path string, f func(path, s string)) {
	switch t := v.(type) {
	case string:
		f(path, t)
	case map[string]any:
		for k, x := range t {
			walkStrings(x, path+"."+k, f)
		}
	case []any:
		for i, x := range t {
			walkStrings(x, fmt.Sprintf("%s.%d", path, i), f)
		}
	}
}
