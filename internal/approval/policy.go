package approval

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/parleyhq/parley/internal/parley"
)

// Env is what a policy's condition can read: the action waiting to run
// and where it happens. Its field names are the condition's variables
// (`action == "reply" && amount > 100`); a condition that names anything
// else, or compares values of the wrong types, is refused when it is
// saved, never when an agent sends.
type Env struct {
	// Action is the kind of action: "reply" (later "refund", "flow.step"...).
	Action string `expr:"action"`
	// Amount is the largest sum of money the action commits (for a reply:
	// as a refund, credit, compensation or reimbursement), in Currency; 0
	// when none. Amounts in different currencies are not converted.
	Amount   float64 `expr:"amount"`
	Currency string  `expr:"currency"`
	// Text is what the customer would read.
	Text      string   `expr:"text"`
	InboxID   int64    `expr:"inbox_id"`
	Channel   string   `expr:"channel"`  // "whatsapp", "email", "widget", "api"...
	Priority  string   `expr:"priority"` // "urgent", "high", "normal", "low"
	Labels    []string `expr:"labels"`
	AgentID   int64    `expr:"agent_id"`   // 0: an API token without an agent
	AgentRole string   `expr:"agent_role"` // "owner", "admin", "agent"
}

// Variable is one name a condition can use.
type Variable struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	About string `json:"about"`
}

// Variables documents Env for the settings page and the API.
var Variables = []Variable{
	{"action", "string", `the kind of action: "reply"`},
	{"amount", "float", "the largest amount the reply commits as a refund, credit, compensation or reimbursement (0 if none)"},
	{"currency", "string", `that amount's ISO code: "EUR", "USD"...`},
	{"text", "string", "the text the customer would read"},
	{"inbox_id", "int", "the conversation's inbox"},
	{"channel", "string", `"whatsapp", "email", "widget", "sms", "api"...`},
	{"priority", "string", `"urgent", "high", "normal" or "low"`},
	{"labels", "[]string", `the conversation's labels: "vip" in labels`},
	{"agent_id", "int", "the agent asking (0 for an API token without an agent)"},
	{"agent_role", "string", `"owner", "admin" or "agent"`},
}

// Condition is a compiled, type-checked policy condition.
type Condition struct {
	source  string
	program *vm.Program
	tree    ast.Node // as written, for explaining a match
}

// maxNodes bounds a condition's size, so no policy costs much to run.
const maxNodes = 500

// Compile compiles and type-checks a condition against Env. It returns
// EINVALID with expr's own message (line, column and a caret) for
// anything that is not a boolean expression over Env's variables.
func Compile(source string) (*Condition, error) {
	source = strings.TrimSpace(source)
	if source == "" {
		return nil, parley.Errorf(parley.EINVALID, "condition is required")
	}
	if len(source) > parley.MaxConditionLength {
		return nil, parley.Errorf(parley.EINVALID, "condition is longer than %d characters", parley.MaxConditionLength)
	}
	program, err := expr.Compile(source, expr.Env(Env{}), expr.AsBool(), expr.MaxNodes(maxNodes))
	if err != nil {
		return nil, parley.Errorf(parley.EINVALID, "condition: %s", err.Error())
	}
	tree, err := parser.Parse(source)
	if err != nil { // compiled above, so it parses; kept for safety
		return nil, parley.Errorf(parley.EINVALID, "condition: %s", err.Error())
	}
	return &Condition{source: source, program: program, tree: tree.Node}, nil
}

// Match runs the condition on env. An error at run time (none is expected
// after type checking) counts as a match, so a broken policy holds an
// action back rather than letting it through.
func (c *Condition) Match(env Env) (bool, error) {
	out, err := expr.Run(c.program, env)
	if err != nil {
		return true, fmt.Errorf("approval: run condition %q: %w", c.source, err)
	}
	b, _ := out.(bool)
	return b, nil
}

// Explain says what made the condition true for env, for the request's
// reason: each comparison of amount with a number that holds ("refund of
// 250.00 EUR > 100"), or else the condition itself.
func (c *Condition) Explain(env Env) string {
	var parts []string
	ast.Walk(&c.tree, visitor(func(n ast.Node) {
		b, ok := n.(*ast.BinaryNode)
		if !ok {
			return
		}
		op, limit, ok := amountComparison(b)
		if !ok || !holds(env.Amount, op, limit) {
			return
		}
		parts = append(parts, fmt.Sprintf("refund of %s %s %s", formatAmount(env.Amount, env.Currency), op, trimFloat(limit)))
	}))
	if len(parts) == 0 {
		return "matched " + c.source
	}
	return strings.Join(parts, ", ")
}

type visitor func(ast.Node)

func (v visitor) Visit(n *ast.Node) { v(*n) }

// amountComparison reads `amount OP number` or `number OP amount` (turned
// around), with OP one of > >= < <= == !=.
func amountComparison(b *ast.BinaryNode) (op string, limit float64, ok bool) {
	flip := map[string]string{">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}
	if _, known := flip[b.Operator]; !known {
		return "", 0, false
	}
	if isAmount(b.Left) {
		if v, ok := number(b.Right); ok {
			return b.Operator, v, true
		}
	}
	if isAmount(b.Right) {
		if v, ok := number(b.Left); ok {
			return flip[b.Operator], v, true
		}
	}
	return "", 0, false
}

func isAmount(n ast.Node) bool {
	id, ok := n.(*ast.IdentifierNode)
	return ok && id.Value == "amount"
}

func number(n ast.Node) (float64, bool) {
	switch v := n.(type) {
	case *ast.IntegerNode:
		return float64(v.Value), true
	case *ast.FloatNode:
		return v.Value, true
	}
	return 0, false
}

func holds(x float64, op string, y float64) bool {
	switch op {
	case ">":
		return x > y
	case ">=":
		return x >= y
	case "<":
		return x < y
	case "<=":
		return x <= y
	case "==":
		return x == y
	case "!=":
		return x != y
	}
	return false
}

func formatAmount(v float64, currency string) string {
	s := fmt.Sprintf("%.2f", v)
	if currency != "" {
		s += " " + currency
	}
	return s
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
