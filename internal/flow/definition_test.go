package flow

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// TestParseRefuses: every kind of mistake is refused on save, with the
// line and the field, and all of a document's mistakes at once.
func TestParseRefuses(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string // "line N, field: part of the message"
	}{
		{"unknown step kind", `
name: x
trigger: {event: manual}
steps:
  - id: a
    kind: teleport
`, []string{"line 6, steps[0].kind: unknown step kind \"teleport\""}},
		{"agent: no agent", `
name: x
trigger: {event: manual}
steps:
  - id: a
    kind: agent
`, []string{"line 5, steps[0].agent: an agent step names the agent"}},
		{"agent: asks without names, and both forms", `
name: x
trigger: {event: manual}
steps:
  - id: a
    kind: agent
    ask:
      - {agent: payment, text: "check"}
  - id: b
    kind: agent
    agent: payment
    text: "check"
    ask: [{name: p, agent: payment, text: "check"}]
    timeout: forever
`, []string{"line 7, steps[0].ask[0].name: each ask has a name", "line 13, steps[1].ask: ask several agents with ask, or one"}},
		{"extract: a field found only by a model", `
name: x
trigger: {event: manual}
steps:
  - id: a
    kind: extract
    text: "{{ input.text }}"
    fields:
      - {name: order, describe: "the order number"}
`, []string{"line 8, steps[0].fields: field order: a match (a regular expression) or a like"}},
		{"extract: an unknown like, and both", `
name: x
trigger: {event: manual}
steps:
  - id: a
    kind: extract
    text: "{{ input.text }}"
    fields: [{name: iban, like: bank}]
  - id: b
    kind: extract
    text: "{{ input.text }}"
    fields: [{name: n, like: number, match: '\d+'}]
`, []string{"line 8, steps[0].fields: field iban: like is one of", "line 12, steps[1].fields: field n: match or like, not both"}},
		{"email: no text, a bad subject", `
name: x
trigger: {event: manual}
steps:
  - id: a
    kind: email
    subject: "{{ input. }}"
`, []string{"steps[0].text: is required", "line 7, steps[0].subject:"}},
		{"approve: an escalation after the timeout, to no one", `
name: x
trigger: {event: manual}
steps:
  - id: a
    kind: http
    method: POST
    url: "https://shop.example/refunds"
    approve:
      text: "Refund"
      timeout: 2h
      escalate: {after: 3h}
`, []string{"line 12, steps[0].approve.escalate.after: must be shorter than the timeout", "line 12, steps[0].approve.escalate.to: is required"}},
		{"missing field", `
name: x
trigger: {event: manual}
steps:
  - id: a
    kind: note
`, []string{"steps[0].text: is required"}},
		{"a jump back is a cycle", `
name: x
trigger: {event: manual}
steps:
  - id: a
    kind: set
    values: {n: "1"}
  - id: b
    kind: if
    when: vars.n == "1"
    then: a
`, []string{"line 11, steps[1].then: goes back to \"a\", which would make a cycle"}},
		{"a bad expression", `
name: x
trigger: {event: manual}
steps:
  - id: a
    kind: if
    when: "steps.x >"
    then: end
`, []string{"line 7, steps[0].when: not a valid condition"}},
		{"a misspelt variable", `
name: x
trigger: {event: manual}
steps:
  - id: a
    kind: note
    text: "{{ step.order.id }}"
`, []string{"line 7, steps[0].text: {{ step.order.id }} is not a valid expression"}},
		{"unknown field, duplicate id, no such step, bad trigger", `
name: x
trigger: {event: message.teleported}
steps:
  - id: a
    kind: note
    text: hi
    colour: blue
  - id: a
    kind: note
    text: hi
    next: zzz
`, []string{
			"line 3, trigger.event: \"message.teleported\" is not a trigger",
			"line 8, steps[0].colour: unknown field",
			"line 9, steps[1].id: \"a\" is used by an earlier step",
			"line 12, steps[1].next: no step \"zzz\"",
		}},
		{"an http step", `
name: x
trigger: {event: manual}
steps:
  - id: a
    kind: http
    method: FETCH
    url: ftp://example.com
    headers: {Idempotency-Key: mine}
`, []string{"steps[0].method: one of GET", "steps[0].url: must start with http", "steps[0].headers: Idempotency-Key is set by Parley"}},
		{"not YAML", "name: [", []string{"document:"}},
		{"no steps", "name: x\ntrigger: {event: manual}\n", []string{"steps: at least one step"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.src)
			var inv *InvalidError
			if !errors.As(err, &inv) || parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("err = %v, want an EINVALID *InvalidError", err)
			}
			var got []string
			for _, p := range inv.Problems {
				got = append(got, p.String())
			}
			all := strings.Join(got, "\n")
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("missing %q in:\n%s", w, all)
				}
			}
			if len(got) < len(c.want) {
				t.Errorf("%d problems, want at least %d:\n%s", len(got), len(c.want), all)
			}
		})
	}
}

// TestTemplateKeepsURLShape: a value put in a URL's path cannot change
// where the request goes.
func TestTemplateKeepsURLShape(t *testing.T) {
	tm, err := parseTemplate("{{ input.base }}/orders/{{ input.id }}?q={{ input.q }}")
	if err != nil {
		t.Fatal(err)
	}
	u, err := tm.renderURL(map[string]any{"input": map[string]any{"base": "https://shop.example", "id": "../admin?x=1", "q": "a&b=c"}})
	if err != nil {
		t.Fatal(err)
	}
	if u != "https://shop.example/orders/..%2Fadmin%3Fx=1?q=a%26b%3Dc" {
		t.Fatalf("url %s", u)
	}
	if _, err := parseTemplate("{{ input.x "); err == nil {
		t.Fatal("an unclosed {{ was accepted")
	}
}

func TestParseWait(t *testing.T) {
	for in, want := range map[string]time.Duration{"30m": 30 * time.Minute, "1h30m": 90 * time.Minute, "3d": 72 * time.Hour} {
		if got, err := parseWait(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "0s", "soon", "40d", "-1h", "1.5d"} {
		if _, err := parseWait(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
