package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/parleyhq/parley/internal/llm"
	"github.com/parleyhq/parley/internal/redact"
	"github.com/parleyhq/parley/internal/store"
)

// Class is one answer a classify step may give: Match is a regular
// expression (case-insensitive) that decides it with no model.
type Class struct {
	Name  string `yaml:"name" json:"name"`
	Match string `yaml:"match" json:"match"`
	re    *regexp.Regexp
}

// Model returns the language model client to classify with, or nil when
// none is configured and switched on (mask: contact details must be
// masked before anything is sent).
type Model func(ctx context.Context) (c *llm.Client, mask bool, err error)

const classifyTask = `You sort one customer message into exactly one of the classes listed in the data message "classes", or "other" when none fits. Answer with the JSON the schema asks for: the class's name, nothing else.`

// classify picks text's class: the model's choice when one is configured
// and answers within the classes, else the first class whose pattern
// matches, else "other". Customer words reach the model only as data.
func (e *Engine) classify(ctx context.Context, s *Step, text string) (class, by string) {
	names := []string{"other"}
	for _, cl := range s.Classes {
		names = append(names, cl.Name)
	}
	schema := map[string]any{"type": "object", "additionalProperties": false, "required": []string{"class"},
		"properties": map[string]any{"class": map[string]any{"type": "string", "enum": names}}}
	var out struct {
		Class string `json:"class"`
	}
	asked, err := e.askModel(ctx, "flow.classify", classifyTask, text, schema, &out, llm.Data("classes", names))
	if asked && err == nil {
		return out.Class, "model"
	}
	by = byRules(err)
	for _, cl := range s.Classes {
		if cl.re.MatchString(text) {
			return cl.Name, by
		}
	}
	return "other", by
}

// askModel asks the configured model for an answer in schema's shape
// about a customer's text, which goes only as data (masked when the
// settings say so), after the task and the step's own data. asked is
// false when no model is configured and switched on.
func (e *Engine) askModel(ctx context.Context, feature, task, text string, schema, out any, data ...llm.Message) (asked bool, err error) {
	if e.Model == nil {
		return false, nil
	}
	c, mask, err := e.Model(ctx)
	if err != nil || c == nil {
		return false, nil
	}
	if mask {
		text = redact.Text(text)
	}
	raw, err := json.Marshal(schema)
	if err != nil {
		return true, err
	}
	msgs := append(append([]llm.Message{llm.System(task)}, data...), llm.Data("customer_message", text))
	_, err = c.JSON(ctx, llm.Request{Feature: feature, Messages: msgs}, raw, out)
	return true, err
}

// byRules says rules decided, and why when the model was asked and failed.
func byRules(modelErr error) string {
	if modelErr != nil {
		return "rules (the model failed: " + clip(modelErr.Error()) + ")"
	}
	return "rules"
}

func (e *Engine) runClassify(ctx context.Context, run store.FlowRun, d *Definition, s *Step, env map[string]any) error {
	text, err := s.texts["text"].render(env, nil)
	if err != nil {
		return e.fail(ctx, run, s, err.Error())
	}
	class, by := e.classify(ctx, s, text)
	return e.DB.Write(ctx, func(tx *store.Tx) error {
		return e.record(tx, run.ID, s, nil, map[string]any{"class": class, "by": by}, d.after(s))
	})
}

// checkClasses compiles a classify step's classes.
func checkClasses(s *Step) error {
	if len(s.Classes) == 0 {
		return fmt.Errorf("at least one class, each with a name and a match")
	}
	seen := map[string]bool{"other": true}
	for i := range s.Classes {
		cl := &s.Classes[i]
		if !idPattern.MatchString(cl.Name) || seen[cl.Name] {
			return fmt.Errorf("class %q: names are lower-case words, each once (other is the answer when none fits)", cl.Name)
		}
		seen[cl.Name] = true
		re, err := regexp.Compile("(?i)" + strings.TrimSpace(cl.Match))
		if err != nil || strings.TrimSpace(cl.Match) == "" {
			return fmt.Errorf("class %s: match must be a regular expression", cl.Name)
		}
		cl.re = re
	}
	return nil
}
