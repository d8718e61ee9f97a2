package flow

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/parleyhq/parley/internal/llm"
	"github.com/parleyhq/parley/internal/store"
)

// Field is one value an extract step looks for in a text. Match (a
// regular expression; its first group if it has one) or Like (a kind
// Parley knows) finds it with no model; Describe tells a model what it is.
type Field struct {
	Name     string `yaml:"name" json:"name"`
	Match    string `yaml:"match" json:"match,omitempty"`
	Like     string `yaml:"like" json:"like,omitempty"`
	Describe string `yaml:"describe" json:"describe,omitempty"`
	re       *regexp.Regexp
}

// likes are the kinds of value Parley finds by itself. Each pattern's
// first group that matched is the value (an amount is a number with a
// currency before or after it).
var likes = map[string]string{
	"email":  `([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)`,
	"phone":  `(\+?\d[\d ().-]{6,}\d)`,
	"amount": `[$€£]\s?(\d{1,9}(?:[.,]\d{1,2})?)|(\d{1,9}(?:[.,]\d{1,2})?)\s?(?:[$€£]|(?:eur|usd|gbp|dollars?|euros?|pounds?)\b)`,
	"url":    `(https?://[^\s<>"']+)`,
	"number": `(\d+)`,
}

const extractTask = `You read one customer message and fill in the fields of the JSON the schema asks for. The data message "fields" says what each field is. Copy each value exactly as it is written in the customer's message; give "" for a field the message does not contain. Never invent a value.`

// extractFields finds each field in text: the model's value when one is
// configured and the value is written in the text (a value the text does
// not contain is the model's invention, and is not used), else the
// field's pattern. by says which decided: "rules", "model", or the
// model's failure and rules.
func (e *Engine) extractFields(ctx context.Context, s *Step, text string) (map[string]any, string) {
	out := map[string]any{}
	fromModel := map[string]string{}
	props, required, described := map[string]any{}, []string{}, map[string]string{}
	for _, f := range s.Fields {
		props[f.Name] = map[string]any{"type": "string", "maxLength": 200}
		required = append(required, f.Name)
		described[f.Name] = f.describe()
	}
	schema := map[string]any{"type": "object", "additionalProperties": false, "required": required, "properties": props}
	_, err := e.askModel(ctx, "flow.extract", extractTask, text, schema, &fromModel, llm.Data("fields", described))
	if err != nil {
		fromModel = nil
	}
	by, usedModel := byRules(err), false
	for _, f := range s.Fields {
		if v, ok := written(text, fromModel[f.Name]); ok {
			if f.re != nil {
				// The field's own pattern keeps the value's shape: the
				// model may quote "order A1001" where the pattern wants A1001.
				if m := firstMatch(f.re, v); m != "" {
					v = m
				}
			}
			out[f.Name], usedModel = v, true
			continue
		}
		out[f.Name] = ""
		if f.re != nil {
			out[f.Name] = firstMatch(f.re, text)
		}
	}
	if usedModel {
		by = "model"
	}
	return out, by
}

// written finds a model's value in text, ignoring case, and returns it as
// the text writes it; ok is false for a value the text does not contain.
func written(text, v string) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 200 {
		return "", false
	}
	lt, lv := strings.ToLower(text), strings.ToLower(v)
	i := strings.Index(lt, lv)
	switch {
	case i < 0:
		return "", false
	case len(lt) == len(text) && len(lv) == len(v):
		return text[i : i+len(v)], true
	default:
		return v, true // case folding changed lengths: keep the model's spelling
	}
}

func (f Field) describe() string {
	if f.Describe != "" {
		return f.Describe
	}
	if f.Like != "" {
		return "the customer's " + f.Like
	}
	return strings.ReplaceAll(f.Name, "_", " ")
}

// firstMatch is what re finds in text: its first group that matched, or
// the whole match when it has no group; "" when nothing matches.
func firstMatch(re *regexp.Regexp, text string) string {
	m := re.FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	for _, g := range m[1:] {
		if g != "" {
			return g
		}
	}
	return m[0]
}

func (e *Engine) runExtract(ctx context.Context, run store.FlowRun, d *Definition, s *Step, env map[string]any) error {
	text, err := s.texts["text"].render(env, nil)
	if err != nil {
		return e.fail(ctx, run, s, err.Error())
	}
	out, by := e.extractFields(ctx, s, text)
	out["by"] = by
	return e.DB.Write(ctx, func(tx *store.Tx) error {
		return e.record(tx, run.ID, s, nil, out, d.after(s))
	})
}

// checkFields compiles an extract step's fields.
func checkFields(s *Step) error {
	if len(s.Fields) == 0 {
		return fmt.Errorf("at least one field, each with a name and a match or like")
	}
	seen := map[string]bool{"by": true}
	for i := range s.Fields {
		f := &s.Fields[i]
		if !idPattern.MatchString(f.Name) || seen[f.Name] {
			return fmt.Errorf("field %q: names are lower-case words, each once (by is the step's own)", f.Name)
		}
		seen[f.Name] = true
		pattern := strings.TrimSpace(f.Match)
		switch {
		case f.Like != "" && pattern != "":
			return fmt.Errorf("field %s: match or like, not both", f.Name)
		case f.Like != "":
			p, ok := likes[f.Like]
			if !ok {
				return fmt.Errorf("field %s: like is one of amount, email, number, phone, url", f.Name)
			}
			pattern = "(?i)" + p
		case pattern == "":
			return fmt.Errorf("field %s: a match (a regular expression) or a like (amount, email, number, phone, url), so it is found with no model too", f.Name)
		}
		if len(pattern) > 500 {
			return fmt.Errorf("field %s: a pattern is at most 500 characters", f.Name)
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			return fmt.Errorf("field %s: match must be a regular expression: %v", f.Name, err)
		}
		f.re = re
	}
	return nil
}
