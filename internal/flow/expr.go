package flow

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// exprEnv is the shape of a run's variables, for checking expressions on
// save: a name other than these (a typo: "step.x") is refused then. What
// is inside input, steps and vars is known only at run time; a field a
// run does not have is nil.
func exprEnv() []expr.Option {
	return []expr.Option{
		expr.Env(map[string]any{"input": map[string]any{}, "steps": map[string]any{}, "vars": map[string]any{},
			"run_id": int64(0), "conversation_id": int64(0), "expected_reply": ""}),
		// extract(text, pattern) finds what a regular expression matches
		// in text (its first group, if it has one): an order number in a
		// customer's words, with no model needed. "" when nothing does.
		expr.Function("extract", extract, new(func(string, string) string)),
	}
}

func extract(params ...any) (any, error) {
	text, _ := params[0].(string)
	pattern, _ := params[1].(string)
	re, err := cachedRegexp(pattern)
	if err != nil {
		return nil, err
	}
	return firstMatch(re, text), nil
}

var regexps sync.Map // pattern → *regexp.Regexp

func cachedRegexp(pattern string) (*regexp.Regexp, error) {
	if re, ok := regexps.Load(pattern); ok {
		return re.(*regexp.Regexp), nil
	}
	if len(pattern) > 500 {
		return nil, fmt.Errorf("extract: a pattern is at most 500 characters")
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("extract: %v", err)
	}
	regexps.Store(pattern, re)
	return re, nil
}

// secretEnv is exprEnv with secrets, for headers only: a secret may
// authenticate a call, never be written into a message, a body or a URL
// (which are stored with the run and shown on its page).
func secretEnv() []expr.Option {
	return append(exprEnv()[1:], expr.Env(map[string]any{"input": map[string]any{}, "steps": map[string]any{}, "vars": map[string]any{},
		"run_id": int64(0), "conversation_id": int64(0), "expected_reply": "", "secrets": map[string]any{}}))
}

// compileBool compiles a condition.
func compileBool(src string) (*vm.Program, error) {
	p, err := expr.Compile(src, append(exprEnv(), expr.AsBool())...)
	if err != nil {
		return nil, fmt.Errorf("not a valid condition: %s", firstLine(err.Error()))
	}
	return p, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// maxWait bounds a wait step: a workflow that must come back later than a
// month is better started again by what happens then.
const maxWait = 31 * 24 * time.Hour

// parseWait reads a wait's length: a Go duration ("90s", "30m", "1h30m")
// or whole days ("3d").
func parseWait(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if n, ok := strings.CutSuffix(strings.TrimSpace(s), "d"); ok {
		var days int
		days, err = strconv.Atoi(n)
		d = time.Duration(days) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(strings.TrimSpace(s))
	}
	if err != nil || d < time.Second || d > maxWait {
		return 0, fmt.Errorf("a length from 1s to 31d, such as 30m, 2h or 3d")
	}
	return d, nil
}
