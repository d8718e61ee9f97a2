// Package triage raises a conversation's priority from what the customer
// writes: rules, which admins can edit and Parley ships defaults for
// (Defaults), mark a conversation urgent when a message reads like an
// emergency (a failed payment, a double charge, fraud, a hacked account, a
// security problem) and high when it shows buying intent (a price or stock
// question, an order, a large amount of money).
//
// Rules match words, not substrings: text and phrases are compared after
// case folding, removing Latin diacritics (Vietnamese included) and turning
// punctuation into spaces, so "tru tien" matches "Trừ tiền!" and "hack"
// does not match "hackathon". A word also matches another form of itself
// (they share a Snowball stem in English, French, Spanish, German or
// Portuguese: "échoué" and "échouée", "falló" and "fallido"), and function
// words may stand between a phrase's words ("mon paiement a échoué"
// matches "paiement échoué"); see stem.go. Negation is not understood
// beyond that: a negation between the words stops a phrase ("payment has
// not failed"), but "this is not fraud" matches "fraud". A missed
// emergency costs more than an urgent flag an agent clears.
//
// Compile a rule set once and share the Matcher: it is safe for concurrent
// use and matches a typical message in tens of microseconds (docs/PERFORMANCE.md).
package triage

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/parley"
)

// Limits on a rule set, so that matching stays cheap whatever admins write.
const (
	MaxRules          = 200     // rules in a set
	MaxPhrases        = 200     // phrases in one rule
	MaxPhraseLength   = 100     // characters in one phrase
	MaxNameLength     = 80      // characters in a rule's name
	MaxRulesJSONBytes = 1 << 20 // the JSON Parse accepts
)

// Rule raises a conversation's priority when a customer message matches it:
// when any of its phrases occurs in the message, or when the message
// mentions an amount of money of at least MinAmount.
type Rule struct {
	// Name is shown to agents as the reason for the priority ("Payment
	// failed"); unique in a rule set, ignoring case.
	Name string `json:"name"`
	// Priority is what the rule raises a conversation to: high or urgent.
	Priority parley.Priority `json:"priority"`
	// Phrases are words or word sequences; any one occurring makes the rule
	// match. They match whole words only ("fraud" matches "FRAUD!" but not
	// "defraudation"), in any form that shares the word's stem ("frauds"),
	// and ignore case, accents and punctuation ("tru tien" matches "trừ
	// tiền", "didn't" matches "didn t" but not "didnt"). Every word of a
	// phrase is needed, in order; a message may put up to two function
	// words between them ("payment failed" matches "payment has failed").
	Phrases []string `json:"phrases,omitempty"`
	// MinAmount, when above 0, makes the rule match a message that mentions
	// an amount of money at or above it ("$250", "250 USD", "€1.299,00",
	// "2.500.000 ₫", "500k VND"), in one of Currencies. A number is money
	// only with a currency written next to it, never as part of an order
	// number, phone number or date.
	MinAmount float64 `json:"min_amount,omitempty"`
	// Currencies are ISO 4217 codes ("USD", "VND") that MinAmount counts;
	// none means any currency, compared by number alone.
	Currencies []string `json:"currencies,omitempty"`
	// Enabled rules match; disabled ones are kept for later.
	Enabled bool `json:"enabled"`
}

// Rules are a rule set, in the order admins arranged them; matches are
// reported in this order.
type Rules []Rule

// Validate checks the rule set and returns a parley.EINVALID error naming
// the first rule (by position, from 1, and name) that breaks a limit: a
// name empty, over MaxNameLength, holding control characters or used twice;
// a priority other than high or urgent (rules only raise priorities); no
// phrase and no MinAmount; an empty, over-long or wordless phrase, or more
// than MaxPhrases; a negative MinAmount; an unknown currency, or currencies
// without a MinAmount; or more than MaxRules rules. Disabled rules are
// checked too, so that they can be enabled later.
func (r Rules) Validate() error {
	if len(r) > MaxRules {
		return parley.Errorf(parley.EINVALID, "at most %d rules, not %d", MaxRules, len(r))
	}
	names := make(map[string]int, len(r))
	for i, rule := range r {
		if err := rule.validate(); err != nil {
			name := strings.TrimSpace(rule.Name)
			if name == "" {
				return parley.Errorf(parley.EINVALID, "rule %d: %s", i+1, err)
			}
			return parley.Errorf(parley.EINVALID, "rule %d (%q): %s", i+1, name, err)
		}
		key := strings.ToLower(strings.TrimSpace(rule.Name))
		if j, dup := names[key]; dup {
			return parley.Errorf(parley.EINVALID, "rule %d: the name %q is already used by rule %d", i+1, strings.TrimSpace(rule.Name), j+1)
		}
		names[key] = i
	}
	return nil
}

// validate returns what is wrong with one rule, worded for admins.
func (r Rule) validate() error {
	name := strings.TrimSpace(r.Name)
	switch {
	case name == "":
		return errors.New("a name is required")
	case utf8.RuneCountInString(name) > MaxNameLength:
		return fmt.Errorf("the name is longer than %d characters", MaxNameLength)
	case strings.ContainsFunc(name, unicode.IsControl):
		return errors.New("the name may not contain line breaks or control characters")
	}
	switch r.Priority {
	case parley.PriorityHigh, parley.PriorityUrgent:
	case parley.PriorityLow, parley.PriorityNormal:
		return fmt.Errorf("priority must be high or urgent, not %s: rules only raise a conversation's priority", r.Priority)
	default:
		return fmt.Errorf("priority %q is not one of high, urgent", r.Priority)
	}
	if len(r.Phrases) == 0 && r.MinAmount == 0 {
		return errors.New("a rule needs at least one phrase or a min_amount")
	}
	if len(r.Phrases) > MaxPhrases {
		return fmt.Errorf("at most %d phrases, not %d", MaxPhrases, len(r.Phrases))
	}
	for k, p := range r.Phrases {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
			return fmt.Errorf("phrase %d is empty", k+1)
		case utf8.RuneCountInString(p) > MaxPhraseLength:
			return fmt.Errorf("phrase %d is longer than %d characters", k+1, MaxPhraseLength)
		case !utf8.ValidString(p):
			return fmt.Errorf("phrase %d is not valid UTF-8", k+1)
		case normalize(p) == "":
			return fmt.Errorf("phrase %q has no letters or digits", p)
		}
	}
	if math.IsNaN(r.MinAmount) || math.IsInf(r.MinAmount, 0) || r.MinAmount < 0 {
		return errors.New("min_amount must be 0 (none) or a positive number")
	}
	if len(r.Currencies) > 0 && r.MinAmount == 0 {
		return errors.New("currencies need a min_amount")
	}
	for _, c := range r.Currencies {
		if !knownCurrency(strings.TrimSpace(c)) {
			return fmt.Errorf("currency %q is not an ISO 4217 code Parley recognises, such as USD, EUR or VND", c)
		}
	}
	return nil
}

// Parse reads a rule set from a JSON array of rules, as admins edit it, and
// validates it. It returns a parley.EINVALID error for malformed JSON,
// anything but one array, unknown fields, a rule without "enabled" (so that
// leaving it out cannot silently switch a rule off), or what Validate
// refuses; parley.ETOOLARGE for more than MaxRulesJSONBytes. Names and
// phrases come back trimmed and currencies in capitals.
func Parse(data []byte) (Rules, error) {
	if len(data) > MaxRulesJSONBytes {
		return nil, parley.Errorf(parley.ETOOLARGE, "rules are larger than %d bytes", MaxRulesJSONBytes)
	}
	var rules Rules
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rules); err != nil {
		return nil, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, parley.Errorf(parley.EINVALID, "rules must be one JSON array, with nothing after it")
	}
	if rules == nil {
		return nil, parley.Errorf(parley.EINVALID, "rules must be a JSON array, not null")
	}
	var present []struct {
		Enabled *bool `json:"enabled"`
	}
	if err := json.Unmarshal(data, &present); err != nil {
		return nil, jsonError(err) // not reached: the data decoded above
	}
	for i, rule := range rules {
		if present[i].Enabled == nil {
			return nil, parley.Errorf(parley.EINVALID, "rule %d: \"enabled\" is required (true or false)", i+1)
		}
		rules[i].Name = strings.TrimSpace(rule.Name)
		for k, p := range rule.Phrases {
			rule.Phrases[k] = strings.TrimSpace(p)
		}
		for k, c := range rule.Currencies {
			rule.Currencies[k] = strings.ToUpper(strings.TrimSpace(c))
		}
	}
	if err := rules.Validate(); err != nil {
		return nil, err
	}
	return rules, nil
}

// jsonError words a decoding error for admins.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return parley.Errorf(parley.EINVALID, "malformed JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typ) && typ.Field == "":
		return parley.Errorf(parley.EINVALID, "rules must be a JSON array, not a JSON %s", typ.Value)
	case errors.As(err, &typ):
		return parley.Errorf(parley.EINVALID, "field %q must not be a JSON %s", typ.Field, typ.Value)
	case errors.Is(err, io.EOF):
		return parley.Errorf(parley.EINVALID, "rules are empty; send a JSON array")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return parley.Errorf(parley.EINVALID, "malformed JSON: the rules end too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return parley.Errorf(parley.EINVALID, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return parley.Errorf(parley.EINVALID, "malformed JSON: %v", err)
}

// Match returns the highest priority that an enabled rule raises text to,
// and the names of the rules that matched at that priority, in rule order;
// ok is false, and p "", when no rule matched. It compiles the rules on
// every call: to match many messages, Compile once and use Matcher.Match.
func (r Rules) Match(text string) (p parley.Priority, names []string, ok bool) {
	return r.Compile().Match(text)
}
