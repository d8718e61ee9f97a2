package flow

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// text is a template: literal text with {{ expression }} holes, in the
// same expression language as conditions, evaluated against a run's
// variables (input, steps, vars, conversation_id). Only the document's
// author writes templates; a customer's words reach one only as a value,
// never as template text, so they cannot become an expression.
type text struct {
	parts  []part
	src    string
	secret bool // names a secret: rendered only when the call is made
}

type part struct {
	lit  string
	prog *vm.Program // nil for a literal
	src  string
}

const maxHoles = 50

func parseTemplate(src string) (*text, error) { return parseTemplateIn(src, exprEnv()) }

// parseHeaderTemplate is parseTemplate for an http step's header, which
// may also name secrets (secrets.<name>): an API token, kept sealed and
// never stored with a run.
func parseHeaderTemplate(src string) (*text, error) { return parseTemplateIn(src, secretEnv()) }

func parseTemplateIn(src string, opts []expr.Option) (*text, error) {
	t := &text{src: src, secret: strings.Contains(src, "secrets.")}
	rest := src
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if strings.Contains(rest, "}}") {
				return nil, fmt.Errorf("a }} with no {{ before it")
			}
			if rest != "" {
				t.parts = append(t.parts, part{lit: rest})
			}
			return t, nil
		}
		if i > 0 {
			t.parts = append(t.parts, part{lit: rest[:i]})
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("a {{ with no }} after it")
		}
		e := strings.TrimSpace(rest[i+2 : i+j])
		if e == "" {
			return nil, fmt.Errorf("an empty {{ }}")
		}
		p, err := expr.Compile(e, opts...)
		if err != nil {
			return nil, fmt.Errorf("{{ %s }} is not a valid expression: %s", e, firstLine(err.Error()))
		}
		t.parts = append(t.parts, part{prog: p, src: e})
		if len(t.parts) > 2*maxHoles {
			return nil, fmt.Errorf("at most %d {{ }} in one text", maxHoles)
		}
		rest = rest[i+j+2:]
	}
}

// value evaluates t. A template that is exactly one hole gives that
// value with its type (a number stays a number in a JSON body); any other
// gives a string.
func (t *text) value(env map[string]any, escape func(string) string) (any, error) {
	if len(t.parts) == 1 && t.parts[0].prog != nil && escape == nil {
		return expr.Run(t.parts[0].prog, env)
	}
	return t.render(env, escape)
}

// render evaluates t to a string, passing each hole's text through escape
// (nil: as it is).
func (t *text) render(env map[string]any, escape func(string) string) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.prog == nil {
			b.WriteString(p.lit)
			continue
		}
		v, err := expr.Run(p.prog, env)
		if err != nil {
			return "", fmt.Errorf("{{ %s }}: %s", p.src, firstLine(err.Error()))
		}
		s := stringify(v)
		if escape != nil {
			s = escape(s)
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// renderURL fills a URL template: a value in the path is path-escaped and
// one in the query query-escaped, so an order id with a slash or a
// question mark cannot change where the request goes. A hole that starts
// the URL is its base ({{ input.shop }}/orders/…) and goes in as it is.
func (t *text) renderURL(env map[string]any) (string, error) {
	var b strings.Builder
	inQuery := false
	for i, p := range t.parts {
		if i == 0 && p.prog != nil {
			v, err := expr.Run(p.prog, env)
			if err != nil {
				return "", fmt.Errorf("{{ %s }}: %s", p.src, firstLine(err.Error()))
			}
			base := stringify(v)
			b.WriteString(base)
			inQuery = strings.Contains(base, "?")
			continue
		}
		if p.prog == nil {
			b.WriteString(p.lit)
			inQuery = inQuery || strings.Contains(p.lit, "?")
			continue
		}
		v, err := expr.Run(p.prog, env)
		if err != nil {
			return "", fmt.Errorf("{{ %s }}: %s", p.src, firstLine(err.Error()))
		}
		if inQuery {
			b.WriteString(url.QueryEscape(stringify(v)))
		} else {
			b.WriteString(url.PathEscape(stringify(v)))
		}
	}
	u, err := url.Parse(b.String())
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("the URL %q is not an http(s) URL", b.String())
	}
	return u.String(), nil
}

func stringify(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case int:
		return strconv.Itoa(t)
	case bool:
		return strconv.FormatBool(t)
	default:
		b, err := json.Marshal(t)
		if err != nil {
			return fmt.Sprint(t)
		}
		return string(b)
	}
}
