package flow

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/parleyhq/parley/internal/parley"
)

// checker collects problems, so a document's author sees them all at once.
type checker struct{ problems []Problem }

func (c *checker) add(line int, field, msg string) {
	c.problems = append(c.problems, Problem{Line: line, Field: field, Message: msg})
}

// keys reports the keys of mapping n that are not in allowed.
func (c *checker) keys(n *yaml.Node, prefix string, allowed []string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(allowed, k.Value) {
			c.add(k.Line, join(prefix, k.Value), fmt.Sprintf("unknown field (here: %s)", strings.Join(allowed, ", ")))
		}
	}
}

func (c *checker) trigger(d *Definition, doc *yaml.Node) {
	t := valueOf(doc, "trigger")
	if t == nil {
		c.add(doc.Line, "trigger", "is required (event: a kind from the log, inbound:<name>, or manual)")
		return
	}
	c.keys(t, "trigger", []string{"event", "when", "every"})
	ev := d.Trigger.Event
	switch {
	case ev == "manual", strings.HasPrefix(ev, "inbound:") && idPattern.MatchString(strings.ReplaceAll(strings.TrimPrefix(ev, "inbound:"), ".", "_")):
	case ev == "schedule":
		every, err := parseWait(d.Trigger.Every)
		if err != nil || every < time.Minute {
			c.add(lineOf(t, "every"), "trigger.every", "a schedule needs every: a period from 1m to 31d, such as 15m, 1h or 1d")
		}
		d.Trigger.every = every
	case slices.Contains(TriggerEvents, ev):
	default:
		c.add(lineOf(t, "event"), "trigger.event", fmt.Sprintf("%q is not a trigger (one of %s, inbound:<name>, schedule, manual)", ev, strings.Join(TriggerEvents, ", ")))
	}
	if ev != "schedule" && d.Trigger.Every != "" {
		c.add(lineOf(t, "every"), "trigger.every", "only a schedule has every")
	}
	if d.Trigger.When != "" {
		p, err := compileBool(d.Trigger.When)
		if err != nil {
			c.add(lineOf(t, "when"), "trigger.when", err.Error())
		}
		d.when = p
	}
}

func (c *checker) step(s *Step, n *yaml.Node, field string) {
	s.texts = map[string]*text{}
	tmpl := func(name, text string) {
		t, err := parseTemplate(text)
		if err != nil {
			c.add(lineOf(n, strings.SplitN(name, ".", 2)[0]), join(field, name), err.Error())
			return
		}
		s.texts[name] = t
	}
	switch s.Kind {
	case "http":
		s.Method = strings.ToUpper(s.Method)
		if !slices.Contains(httpMethod, s.Method) {
			c.add(lineOf(n, "method"), field+".method", "one of "+strings.Join(httpMethod, ", "))
		}
		if s.URL == "" {
			c.add(lineOf(n, "url"), field+".url", "is required")
		} else if !strings.HasPrefix(s.URL, "http://") && !strings.HasPrefix(s.URL, "https://") && !strings.HasPrefix(s.URL, "{{") {
			c.add(lineOf(n, "url"), field+".url", "must start with http:// or https:// (or a {{ }} that gives one)")
		}
		tmpl("url", s.URL)
		c.checkHeaders(s, func(key string) int { return lineOf(n, key) }, field)
		walkStrings(s.Body, "body", tmpl)
		if a := s.Approve; a != nil {
			if strings.TrimSpace(a.Text) == "" {
				c.add(lineOf(n, "approve"), field+".approve.text", "is required: what the approver is asked to allow")
			}
			tmpl("approve.text", a.Text)
			if a.Amount != "" {
				tmpl("approve.amount", a.Amount)
			}
			if a.Currency != "" {
				tmpl("approve.currency", a.Currency)
			}
			a.timeout = 3 * 24 * time.Hour
			if a.Timeout != "" {
				d, err := parseWait(a.Timeout)
				if err != nil {
					c.add(lineOf(n, "approve"), field+".approve.timeout", err.Error())
				}
				a.timeout = d
			}
			an := valueOf(n, "approve")
			if an != nil && an.Kind == yaml.MappingNode {
				c.keys(an, field+".approve", []string{"amount", "currency", "text", "timeout", "escalate"})
			}
			if an == nil {
				an = n
			}
			if esc := a.Escalate; esc != nil {
				line, f := lineOf(an, "escalate"), field+".approve.escalate"
				if en := valueOf(an, "escalate"); en != nil && en.Kind == yaml.MappingNode {
					c.keys(en, f, []string{"after", "to"})
				}
				d, err := parseWait(esc.After)
				switch {
				case err != nil:
					c.add(line, f+".after", err.Error())
				case d >= a.timeout:
					c.add(line, f+".after", fmt.Sprintf("must be shorter than the timeout (%s): escalation comes before the request ends", a.timeout))
				}
				esc.after = d
				if !strings.Contains(esc.To, "@") {
					c.add(line, f+".to", "is required: the email of the agent who may then decide too")
				}
			}
		}
		for k, path := range s.Keep {
			if !idPattern.MatchString(k) || path == "" {
				c.add(lineOf(n, "keep"), join(field, "keep."+k), "output names are lower-case words; each needs a path in the response")
			}
		}
	case "if":
		if s.When == "" {
			c.add(lineOf(n, "when"), field+".when", "is required")
		} else if p, err := compileBool(s.When); err != nil {
			c.add(lineOf(n, "when"), field+".when", err.Error())
		} else {
			s.when = p
		}
		if s.Then == "" && s.Else == "" {
			c.add(n.Line, field, "an if step needs then, else or both")
		}
	case "note", "reply", "email", "draft":
		if strings.TrimSpace(s.Text) == "" {
			c.add(lineOf(n, "text"), field+".text", "is required")
		}
		tmpl("text", s.Text)
		if s.Subject != "" {
			tmpl("subject", s.Subject)
		}
	case "agent":
		c.checkAgent(s, func(key string) int { return lineOf(n, key) }, field, tmpl)
	case "mcp":
		c.checkMCP(s, func(key string) int { return lineOf(n, key) }, field, tmpl)
	case "extract":
		if strings.TrimSpace(s.Text) == "" {
			c.add(lineOf(n, "text"), field+".text", "is required: where to look, such as {{ input.message.text }}")
		}
		tmpl("text", s.Text)
		if err := checkFields(s); err != nil {
			c.add(lineOf(n, "fields"), field+".fields", err.Error())
		}
	case "classify":
		if strings.TrimSpace(s.Text) == "" {
			c.add(lineOf(n, "text"), field+".text", "is required: what to classify, such as {{ input.message.text }}")
		}
		tmpl("text", s.Text)
		if err := checkClasses(s); err != nil {
			c.add(lineOf(n, "classes"), field+".classes", err.Error())
		}
	case "update":
		if len(s.AddLabels)+len(s.RemoveLabels) == 0 && s.Priority == "" && s.Status == "" && s.Team == "" && s.Assignee == "" {
			c.add(n.Line, field, "an update changes at least one of add_labels, remove_labels, priority, status, team, assignee")
		}
		if s.Priority != "" && !parley.Priority(s.Priority).Valid() {
			c.add(lineOf(n, "priority"), field+".priority", "one of low, normal, high, urgent")
		}
		if s.Status != "" && !slices.Contains([]string{"open", "pending", "resolved"}, s.Status) {
			c.add(lineOf(n, "status"), field+".status", "one of open, pending, resolved")
		}
		if _, err := parley.NormalizeLabels(append(slices.Clone(s.AddLabels), s.RemoveLabels...)); err != nil {
			c.add(lineOf(n, "add_labels"), field+".add_labels", parley.ErrorMessage(err))
		}
	case "wait":
		d, err := parseWait(s.For)
		if err != nil {
			c.add(lineOf(n, "for"), field+".for", err.Error())
		}
		s.wait = d
		if s.Until != "" && s.Until != "reply" {
			c.add(lineOf(n, "until"), field+".until", `"reply" (wait for the customer's reply, at most for), or nothing`)
		}
	case "set":
		if len(s.Values) == 0 {
			c.add(lineOf(n, "values"), field+".values", "at least one value")
		}
		for k, v := range s.Values {
			if !idPattern.MatchString(k) {
				c.add(lineOf(n, "values"), join(field, "values."+k), "names are lower-case words")
			}
			tmpl("values."+k, v)
		}
	}
}

// checkHeaders checks a call's headers: templates, where a secret may
// be named; Idempotency-Key is Parley's own.
func (c *checker) checkHeaders(s *Step, line func(string) int, field string) {
	for k, v := range s.Headers {
		if strings.EqualFold(k, IdempotencyHeader) {
			c.add(line("headers"), field+".headers", "Idempotency-Key is set by Parley for every call")
		}
		t, err := parseHeaderTemplate(v)
		if err != nil {
			c.add(line("headers"), join(field, "headers."+k), err.Error())
			continue
		}
		s.texts["headers."+k] = t
	}
}

// references checks next, then and else: each names a later step or
// "end". Only forward jumps are allowed, so no run can loop; a wait for
// the customer or a timer, not a loop, is how a workflow comes back.
func (c *checker) references(d *Definition, steps *yaml.Node) {
	for i, s := range d.Steps {
		n := steps.Content[i]
		for _, ref := range []struct{ key, to string }{{"next", s.Next}, {"then", s.Then}, {"else", s.Else}} {
			if ref.to == "" || ref.to == "end" {
				continue
			}
			j, ok := d.byID[ref.to]
			switch {
			case !ok:
				c.add(lineOf(n, ref.key), fmt.Sprintf("steps[%d].%s", i, ref.key), fmt.Sprintf("no step %q", ref.to))
			case j <= i:
				c.add(lineOf(n, ref.key), fmt.Sprintf("steps[%d].%s", i, ref.key),
					fmt.Sprintf("goes back to %q, which would make a cycle: steps only go forward", ref.to))
			}
		}
	}
}
