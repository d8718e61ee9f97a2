// Package fill puts values into the texts Parley and its agents send
// (acknowledgements, canned responses, closing messages): {{name}}
// variables, filled so that no customer ever reads a gap where a value
// was missing ("Thanks for your patience, !").
package fill

import (
	"regexp"
	"sort"
	"strings"
)

// variable matches {{name}}, with optional spaces inside the braces;
// names are dotted lower-case words (contact.first_name, reply_by).
var variable = regexp.MustCompile(`\{\{\s*([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*)\s*\}\}`)

// Vars are a text's values by variable name. A name that is present with
// an empty (or blank) value is known but missing for this customer.
type Vars map[string]string

// Fill replaces the variables of text that vars names. A variable with no
// value is taken out together with the separator that only existed for
// it, so the sentence still reads: "Thanks for your patience, {{x}}!"
// becomes "Thanks for your patience!", "Hi {{x}}, welcome" becomes "Hi,
// welcome". Variables vars does not name stay as written (Missing finds
// them).
func Fill(text string, vars Vars) string {
	var b strings.Builder
	last := 0
	skipLead := false
	for _, m := range variable.FindAllStringSubmatchIndex(text, -1) {
		name := text[m[2]:m[3]]
		val, known := vars[name]
		before := text[last:m[0]]
		if skipLead {
			before = strings.TrimLeft(before, " \t,")
			skipLead = false
		}
		b.WriteString(before)
		last = m[1]
		switch {
		case !known:
			b.WriteString(text[m[0]:m[1]])
		case strings.TrimSpace(val) != "":
			b.WriteString(val)
		default:
			out := strings.TrimRight(b.String(), " \t")
			out = strings.TrimSuffix(out, ",")
			out = strings.TrimRight(out, " \t")
			b.Reset()
			b.WriteString(out)
			// At the start of a line nothing before it can carry the
			// separator: drop the one after it instead ("{{x}}, hello").
			if out == "" || strings.HasSuffix(out, "\n") {
				skipLead = true
			} else if next := text[last:]; next != "" && !strings.ContainsAny(next[:1], " \t\n,.!?;:)") {
				b.WriteByte(' ') // a word follows directly: keep them apart
			}
		}
	}
	rest := text[last:]
	if skipLead {
		rest = strings.TrimLeft(rest, " \t,")
	}
	b.WriteString(rest)
	return b.String()
}

// Missing lists, once each and sorted, the variables text still has: the
// ones Fill was not given, or that an agent typed. A text about to reach
// a customer with any of them is refused rather than sent with braces.
func Missing(text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range variable.FindAllStringSubmatch(text, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	sort.Strings(out)
	return out
}

// FirstName is the first word of a full name ("" for none).
func FirstName(full string) string {
	first := strings.TrimSpace(full)
	if i := strings.IndexAny(first, " \t"); i > 0 {
		first = first[:i]
	}
	return first
}
