package web

import (
	"encoding/json"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// ActivityView is one line of the timeline that is not a message: an
// assignment, a team change, a snooze, a resolution or a reopening, with
// who did it and when.
type ActivityView struct {
	Kind  string // assigned, team, snoozed, resolved, reopened, pending, approval, workflow
	Text  string // "Resolved by Ana Lima"
	Until *time.Time
	At    time.Time
}

// activity says what a conversation event did, in the words an agent
// reads on the timeline; ok is false for an event not worth a line (a
// status written again unchanged).
func activity(ev parley.Event, l lookups) (a ActivityView, ok bool) {
	a.At = ev.CreatedAt
	by := ""
	if ev.AgentID != nil {
		by = " by " + agentName(l, *ev.AgentID)
	}
	switch ev.Type {
	case parley.EventConversationStatus:
		var d struct {
			From, To, Reason string
			Until            *time.Time `json:"snoozed_until"`
		}
		if json.Unmarshal(ev.Data, &d) != nil || (d.From == d.To && d.To != string(parley.StatusSnoozed)) {
			return a, false
		}
		switch parley.Status(d.To) {
		case parley.StatusResolved:
			a.Kind, a.Text = "resolved", "Resolved"+by
			if d.Reason == "auto_resolve" {
				a.Text = "Resolved automatically after no reply from the customer"
			}
		case parley.StatusSnoozed:
			a.Kind, a.Text, a.Until = "snoozed", "Snoozed"+by, d.Until
			if d.Until == nil {
				a.Text += " until the customer replies"
			}
		case parley.StatusPending:
			a.Kind, a.Text = "pending", "Marked pending"+by
		case parley.StatusOpen:
			a.Kind = "reopened"
			switch {
			case d.Reason == "customer_message":
				a.Text = "Reopened: the customer wrote"
			case d.Reason == "snooze_expired":
				a.Text = "Snooze ended: back in the inbox"
			case d.From == string(parley.StatusSnoozed):
				a.Text = "Unsnoozed" + by
			default:
				a.Text = "Reopened" + by
			}
		default:
			return a, false
		}
	case parley.EventConversationAssigned:
		var d struct {
			From, To *int64
			Reason   string
		}
		if json.Unmarshal(ev.Data, &d) != nil {
			return a, false
		}
		a.Kind = "assigned"
		switch {
		case d.To == nil && d.Reason == "requeued":
			a.Text = "Returned to the queue: " + agentName(l, deref(d.From)) + " went away"
		case d.To == nil:
			a.Text = "Unassigned" + by
		case d.Reason == "auto":
			a.Text = "Assigned to " + agentName(l, *d.To) + " automatically"
		case ev.AgentID != nil && *ev.AgentID == *d.To:
			a.Text = agentName(l, *d.To) + " took it"
		default:
			a.Text = "Assigned to " + agentName(l, *d.To) + by
		}
	case parley.EventConversationTeam:
		var d struct{ To *int64 }
		if json.Unmarshal(ev.Data, &d) != nil {
			return a, false
		}
		a.Kind = "team"
		if d.To == nil {
			a.Text = "Removed from its team" + by
		} else {
			a.Text = "Moved to team " + teamName(l, *d.To) + by
		}
	case parley.EventApprovalApproved, parley.EventApprovalRejected:
		var d struct{ Reason, Note string }
		if json.Unmarshal(ev.Data, &d) != nil {
			return a, false
		}
		a.Kind = "approval"
		if ev.Type == parley.EventApprovalApproved {
			a.Text = "Reply approved" + by + " (" + d.Reason + ")"
		} else {
			a.Text = "Reply sent back" + by + ": " + d.Note
		}
	case parley.EventFlowStep:
		var d struct{ Workflow, Summary, State string }
		if json.Unmarshal(ev.Data, &d) != nil || d.Summary == "" {
			return a, false
		}
		a.Kind, a.Text = "workflow", "Workflow “"+d.Workflow+"”: "+d.Summary
	default:
		return a, false
	}
	return a, true
}

// agentName names an agent, even one since removed.
func agentName(l lookups, id int64) string {
	if a, ok := l.agents[id]; ok && a.Name != "" {
		return a.Name
	}
	if id == 0 {
		return "an agent"
	}
	return "a former agent"
}

func teamName(l lookups, id int64) string {
	if t, ok := l.teams[id]; ok && t.Name != "" {
		return t.Name
	}
	return "a former team"
}
