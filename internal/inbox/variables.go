package inbox

import (
	"strings"

	"github.com/parleyhq/parley/internal/fill"
	"github.com/parleyhq/parley/internal/parley"
)

// Variables of the texts Parley sends: canned responses, closing
// messages and acknowledgements ({{reply_by}} too, see promise.go).
var textVariables = []string{"contact.name", "contact.first_name", "contact.email", "agent.name"}

// contactVars are the values of a contact's (and, when one writes, an
// agent's) variables; a value they do not have is empty, so fill drops it
// with its separator instead of leaving a gap.
func contactVars(contact parley.Contact, agent parley.Agent) fill.Vars {
	return fill.Vars{
		"contact.name":       contact.Name,
		"contact.first_name": fill.FirstName(contact.Name),
		"contact.email":      contact.Email,
		"agent.name":         agent.Name,
	}
}

// checkVariables refuses a text that uses a variable Parley does not know
// (a typo in a canned response, caught when it is saved).
func checkVariables(text string, extra ...string) error {
	known := append(append([]string{}, textVariables...), extra...)
	for _, v := range fill.Missing(text) {
		ok := false
		for _, k := range known {
			ok = ok || v == k
		}
		if !ok {
			return parley.Errorf(parley.EINVALID, "{{%s}} is not a variable Parley fills; use %s", v, "{{"+strings.Join(known, "}}, {{")+"}}")
		}
	}
	return nil
}

// checkUnfilled refuses a reply that would reach the customer with one of
// Parley's variables still in braces: an agent typed it, or an API caller
// sent a canned body unfilled. What to write instead is theirs to decide.
func checkUnfilled(text string) error {
	for _, v := range fill.Missing(text) {
		if v == "reply_by" || strings.HasPrefix(v, "contact.") || strings.HasPrefix(v, "agent.") {
			return parley.Errorf(parley.EINVALID, "the reply still has the variable {{%s}}: write the words in its place (or remove it) before sending", v)
		}
	}
	return nil
}
