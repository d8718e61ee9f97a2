package parley

import "time"

// Status is where a conversation is in its lifecycle.
type Status string

const (
	StatusOpen     Status = "open"     // waiting on the team
	StatusPending  Status = "pending"  // waiting on the customer
	StatusSnoozed  Status = "snoozed"  // set aside until a time, or until the customer writes
	StatusResolved Status = "resolved" // done; a customer message inside the reopen window reopens it
)

// Statuses lists every status, in lifecycle order.
var Statuses = []Status{StatusOpen, StatusPending, StatusSnoozed, StatusResolved}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusOpen, StatusPending, StatusSnoozed, StatusResolved:
		return true
	}
	return false
}

// Action is something that can happen to a conversation's status.
type Action string

const (
	ActionOpen            Action = "open"             // an agent opens or reopens it
	ActionPend            Action = "pend"             // an agent marks it waiting on the customer
	ActionSnooze          Action = "snooze"           // an agent snoozes it
	ActionResolve         Action = "resolve"          // an agent resolves it
	ActionCustomerMessage Action = "customer_message" // the customer writes
	ActionWake            Action = "wake"             // a snooze timer fires
)

// transitions is the whole lifecycle: for each status, what each action
// leads to. A missing entry is an invalid transition. ActionCustomerMessage
// on a resolved conversation reopens it here; whether the reopen window has
// passed (and a new conversation starts instead) is decided by the caller,
// which knows the inbox's window.
var transitions = map[Status]map[Action]Status{
	StatusOpen: {
		ActionPend:            StatusPending,
		ActionSnooze:          StatusSnoozed,
		ActionResolve:         StatusResolved,
		ActionCustomerMessage: StatusOpen,
	},
	StatusPending: {
		ActionOpen:            StatusOpen,
		ActionSnooze:          StatusSnoozed,
		ActionResolve:         StatusResolved,
		ActionCustomerMessage: StatusOpen,
	},
	StatusSnoozed: {
		ActionOpen:            StatusOpen,
		ActionPend:            StatusPending,
		ActionSnooze:          StatusSnoozed, // change the wake-up time
		ActionResolve:         StatusResolved,
		ActionCustomerMessage: StatusOpen,
		ActionWake:            StatusOpen,
	},
	StatusResolved: {
		ActionOpen:            StatusOpen,
		ActionCustomerMessage: StatusOpen,
	},
}

// Transition returns the status that action leads to from status from, or
// an EINVALID error naming both when the lifecycle does not allow it.
func Transition(from Status, action Action) (Status, error) {
	if !from.Valid() {
		return "", Errorf(EINVALID, "unknown status %q", from)
	}
	to, ok := transitions[from][action]
	if !ok {
		return "", Errorf(EINVALID, "cannot %s a conversation that is %s", action.verb(), from)
	}
	return to, nil
}

func (a Action) verb() string {
	switch a {
	case ActionPend:
		return "mark as pending"
	case ActionCustomerMessage:
		return "receive a customer message on"
	case ActionWake:
		return "wake"
	}
	return string(a)
}

// ActionFor returns the agent action that moves a conversation to status to,
// for requests that name a target status rather than an action.
func ActionFor(to Status) (Action, error) {
	switch to {
	case StatusOpen:
		return ActionOpen, nil
	case StatusPending:
		return ActionPend, nil
	case StatusSnoozed:
		return ActionSnooze, nil
	case StatusResolved:
		return ActionResolve, nil
	}
	return "", Errorf(EINVALID, "unknown status %q (want open, pending, snoozed or resolved)", to)
}

// DefaultReopenWindow is how long after resolution a customer message
// reopens the conversation rather than starting a new one linked to it.
const DefaultReopenWindow = 7 * 24 * time.Hour

// ReopensWithin reports whether a customer message at now reopens a
// conversation resolved at resolvedAt, given the inbox's reopen window.
func ReopensWithin(resolvedAt, now time.Time, window time.Duration) bool {
	return now.Sub(resolvedAt) <= window
}
