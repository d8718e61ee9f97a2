package specialist

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/a2aproject/a2a-go/v2/a2a"
	"github.com/a2aproject/a2a-go/v2/a2asrv"
)

// executor runs one skill for the SDK's request handler: it turns a
// message into the task's events (submitted, working, the artifact,
// completed; or a status that says why not).
type executor struct {
	skill  *skill
	shop   *shopAPI
	ledger *ledger
}

var (
	_ a2asrv.AgentExecutor         = (*executor)(nil)
	_ a2asrv.AgentExecutionCleaner = (*executor)(nil)
)

func (e *executor) Execute(ctx context.Context, ec *a2asrv.ExecutorContext) iter.Seq2[a2a.Event, error] {
	return func(yield func(a2a.Event, error) bool) {
		// The task id is known from here on: a retry of this message
		// waits for this task instead of starting another.
		e.ledger.begin(ec.Message, ec.TaskID)
		if ec.StoredTask == nil {
			if !yield(a2a.NewSubmittedTask(ec, ec.Message), nil) {
				return
			}
		}
		order, state, why := orderIn(ec.Message)
		if order == "" {
			data := map[string]any{"needs": "order_id"}
			if state == a2a.TaskStateRejected {
				data = map[string]any{"error": "invalid_order_id", "reason": why, "retryable": false}
			}
			yield(a2a.NewStatusUpdateEvent(ec, state, say(ec, why, data)), nil)
			return
		}
		if !yield(a2a.NewStatusUpdateEvent(ec, a2a.TaskStateWorking, nil), nil) {
			return
		}
		findings, summary, err := e.skill.check(ctx, e.shop, order)
		if err != nil {
			yield(failed(ec, order, err), nil)
			return
		}
		art := a2a.NewArtifactEvent(ec, a2a.NewDataPart(findings), a2a.NewTextPart(summary))
		art.Artifact.Name = e.skill.artifact
		art.Artifact.Description = e.skill.card.Name + ": the findings as data, and one sentence for a person"
		if !yield(art, nil) {
			return
		}
		yield(a2a.NewStatusUpdateEvent(ec, a2a.TaskStateCompleted, say(ec, summary, nil)), nil)
	}
}

// failed is the status a check that gave no findings ends with. An order
// the shop does not know is rejected: asking again will not help, and a
// workflow can tell that from a shop that is down (failed, retryable).
func failed(ec *a2asrv.ExecutorContext, order string, err error) a2a.Event {
	var se *shopError
	if !errors.As(err, &se) {
		se = &shopError{code: errBadAnswer, reason: "the check failed: " + err.Error()}
	}
	state := a2a.TaskStateFailed
	if se.code == errUnknownOrder {
		state = a2a.TaskStateRejected
	}
	reason := strings.ToUpper(se.reason[:1]) + se.reason[1:] + "."
	return a2a.NewStatusUpdateEvent(ec, state, say(ec, reason, map[string]any{
		"error": se.code, "reason": se.reason, "retryable": se.retryable, "order_id": order}))
}

// Cancel stops a task: the checks are short reads, so there is nothing
// to undo.
func (e *executor) Cancel(ctx context.Context, ec *a2asrv.ExecutorContext) iter.Seq2[a2a.Event, error] {
	return func(yield func(a2a.Event, error) bool) {
		if ec.StoredTask == nil {
			yield(nil, a2a.ErrTaskNotFound)
			return
		}
		yield(a2a.NewStatusUpdateEvent(ec, a2a.TaskStateCanceled, say(ec, "Canceled at the caller's request.", nil)), nil)
	}
}

// Cleanup runs once the task's last event of this execution is stored:
// a retry waiting for this message may now read the task.
func (e *executor) Cleanup(_ context.Context, ec *a2asrv.ExecutorContext, _ a2a.SendMessageResult, _ error) {
	if ec.Message != nil {
		e.ledger.end(ec.Message.ID)
	}
}

// say is the agent's status message: a sentence, and data for programs.
func say(ec *a2asrv.ExecutorContext, text string, data map[string]any) *a2a.Message {
	parts := []*a2a.Part{a2a.NewTextPart(text)}
	if data != nil {
		parts = append(parts, a2a.NewDataPart(data))
	}
	return a2a.NewMessageForTask(a2a.MessageRoleAgent, ec, parts...)
}

// orderInText finds order numbers as the shop writes them: a letter and
// four digits (A1001), as a word of their own.
var orderInText = regexp.MustCompile(`(?i)\b[a-z][0-9]{4}\b`)

// validOrder is what an order id given as data may be. It goes into the
// shop's URL path, so nothing that could climb out of it (/, ..) passes.
var validOrder = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

const askOrder = `Send the order's id as a data part {"order_id": "A1001"} or in the text (a letter and four digits, such as A1001).`

// orderIn finds the order a message is about: a data part's "order_id"
// (what a workflow sends) first, else the order numbers in its text.
// Without exactly one, it returns the state to wait in and why: input
// required when none or several are named (the caller can answer in the
// same task), rejected when the id given cannot be an order id.
func orderIn(m *a2a.Message) (order string, state a2a.TaskState, why string) {
	if m == nil {
		return "", a2a.TaskStateInputRequired, "Which order? " + askOrder
	}
	var text []string
	for _, p := range m.Parts {
		if d, ok := p.Data().(map[string]any); ok {
			if v, ok := d["order_id"]; ok && v != nil && v != "" {
				id := idString(v)
				if !validOrder.MatchString(id) {
					return "", a2a.TaskStateRejected, fmt.Sprintf("%q is not an order id: letters, digits, - and _ only, at most 64.", oneLine(fmt.Sprint(v)))
				}
				return id, "", ""
			}
		}
		if t := p.Text(); t != "" {
			text = append(text, t)
		}
	}
	var found []string
	for _, id := range orderInText.FindAllString(strings.Join(text, "\n"), -1) {
		id = strings.ToUpper(id)
		if !slices.Contains(found, id) {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 1:
		return found[0], "", ""
	case 0:
		return "", a2a.TaskStateInputRequired, "Which order? The message names none. " + askOrder
	}
	if len(found) > 5 {
		found = append(found[:5], "…")
	}
	return "", a2a.TaskStateInputRequired, fmt.Sprintf("Which order? The message names several (%s); this agent checks one at a time. %s", strings.Join(found, ", "), askOrder)
}

// idString reads an order id given as a JSON string, or as a whole
// number (a shop that numbers its orders).
func idString(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case float64:
		if v == math.Trunc(v) && v >= 0 && v < 1e15 {
			return strconv.FormatInt(int64(v), 10)
		}
	}
	return ""
}
