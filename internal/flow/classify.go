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
	if e.Model != nil {
		if c, mask, err := e.Model(ctx); err == nil && c != nil {
			if mask {
				text = redact.Text(text)
			}
			names := []string{"other"}
			for _, cl := range s.Classes {
				names = append(names, cl.Name)
			}
			schema, _ := json.Marshal(map[string]any{"type": "object", "additionalProperties": false, "required": []string{"class"},
				"properties": map[string]any{"class": map[string]any{"type": "string", "enum": names}}})
			var out struct {
				Class string `json:"class"`
			}
			req := llm.Request{Feature: "flow.classify", Messages: []llm.Message{
				llm.System(classifyTask),
				llm.Data("classes", names),
				llm.Data("customer_message", text),
			}}
			if _, err := c.JSON(ctx, req, schema, &out); err == nil {
				return out.Class, "model"
			} else {
				by = "rules (the model failed: " + clip(err.Error()) + ")"
			}
		}
	}
	if by == "" {
		by = "rules"
	}
	for _, cl := range s.Classes {
		if cl.re.MatchString(text) {
			return cl.Name, by
		}
	}
	return "other", by
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
