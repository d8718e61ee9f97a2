package flow

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// stepEvent appends what a run did to its conversation's log, in tx, so
// the timeline shows it as it happens (the step, its outcome, a failure's
// reason, a wait for approval). A run without a conversation writes none.
func (e *Engine) stepEvent(tx *store.Tx, run store.FlowRun, s *Step, state, summary string) error {
	if run.ConversationID == nil {
		return nil
	}
	name := ""
	if d, ok := e.defs.Load(defKey(run.WorkflowID, run.Version)); ok {
		name = d.(*Definition).Name
	}
	data := map[string]any{"run_id": run.ID, "workflow_id": run.WorkflowID, "workflow": name, "state": state, "summary": clip(summary)}
	if s != nil {
		data["step"], data["kind"] = s.ID, s.Kind
	}
	conv, err := tx.Conversation(*run.ConversationID)
	if err != nil {
		return err
	}
	return tx.AppendEvent(&parley.Event{Type: parley.EventFlowStep, ConversationID: run.ConversationID, ContactID: &conv.ContactID}, data)
}

// summarize says in a few words what a finished step did.
func summarize(s *Step, input string, output any) string {
	out, _ := output.(map[string]any)
	switch s.Kind {
	case "http":
		var req request
		json.Unmarshal([]byte(input), &req)
		path := req.URL
		if u, err := url.Parse(req.URL); err == nil {
			path = u.Host + u.Path
		}
		return fmt.Sprintf("%s: %s %s answered %v", s.ID, req.Method, path, out["status"])
	case "if":
		return fmt.Sprintf("%s: the condition was %v", s.ID, out["result"])
	case "note":
		return s.ID + ": added a note"
	case "reply":
		return s.ID + ": replied to the customer"
	case "email":
		return s.ID + ": emailed the customer"
	case "draft":
		return fmt.Sprintf("%s: drafted a reply for a person to send (approval request %v)", s.ID, out["approval_id"])
	case "mcp":
		return fmt.Sprintf("%s: called the tool %s", s.ID, s.Tool)
	case "agent":
		var parts []string
		if len(s.Asks) == 0 {
			parts = append(parts, fmt.Sprintf("%v %v", out["agent"], out["state"]))
		}
		for _, a := range s.Asks {
			o, _ := out[a.Name].(map[string]any)
			parts = append(parts, fmt.Sprintf("%s %v", a.Agent, o["state"]))
		}
		return s.ID + ": asked " + strings.Join(parts, ", ")
	case "extract":
		var found []string
		for _, f := range s.Fields {
			if v, _ := out[f.Name].(string); v != "" {
				found = append(found, f.Name)
			}
		}
		if len(found) == 0 {
			return fmt.Sprintf("%s: found nothing (by %v)", s.ID, out["by"])
		}
		return fmt.Sprintf("%s: found %s (by %v)", s.ID, strings.Join(found, ", "), out["by"])
	case "wait":
		return s.ID + ": waited"
	case "classify":
		return fmt.Sprintf("%s: classified as %v (by %v)", s.ID, out["class"], out["by"])
	case "update":
		var parts []string
		if len(s.AddLabels) > 0 {
			parts = append(parts, "labelled "+strings.Join(s.AddLabels, ", "))
		}
		if len(s.RemoveLabels) > 0 {
			parts = append(parts, "removed the labels "+strings.Join(s.RemoveLabels, ", "))
		}
		if s.Priority != "" {
			parts = append(parts, "set the priority to "+s.Priority)
		}
		if s.Status != "" {
			parts = append(parts, "marked it "+s.Status)
		}
		if s.Team != "" {
			parts = append(parts, "moved it to team "+s.Team)
		}
		if s.Assignee != "" {
			parts = append(parts, "assigned it to "+s.Assignee)
		}
		return s.ID + ": " + strings.Join(parts, "; ")
	case "set":
		var names []string
		for k := range out {
			names = append(names, k)
		}
		sort.Strings(names)
		return s.ID + ": set " + strings.Join(names, ", ")
	}
	return s.ID + ": done"
}
