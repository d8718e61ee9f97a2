package parley

import (
	"testing"
	"time"
)

// TestTransition covers every (status, action) pair: the whole lifecycle.
func TestTransition(t *testing.T) {
	const invalid = Status("")
	want := map[Status]map[Action]Status{
		StatusOpen: {
			ActionOpen: invalid, ActionPend: StatusPending, ActionSnooze: StatusSnoozed, ActionResolve: StatusResolved,
			ActionCustomerMessage: StatusOpen, ActionWake: invalid,
		},
		StatusPending: {
			ActionOpen: StatusOpen, ActionPend: invalid, ActionSnooze: StatusSnoozed, ActionResolve: StatusResolved,
			ActionCustomerMessage: StatusOpen, ActionWake: invalid,
		},
		StatusSnoozed: {
			ActionOpen: StatusOpen, ActionPend: StatusPending, ActionSnooze: StatusSnoozed, ActionResolve: StatusResolved,
			ActionCustomerMessage: StatusOpen, ActionWake: StatusOpen,
		},
		StatusResolved: {
			ActionOpen: StatusOpen, ActionPend: invalid, ActionSnooze: invalid, ActionResolve: invalid,
			ActionCustomerMessage: StatusOpen, ActionWake: invalid,
		},
	}
	actions := []Action{ActionOpen, ActionPend, ActionSnooze, ActionResolve, ActionCustomerMessage, ActionWake}
	for _, from := range Statuses {
		for _, action := range actions {
			to, err := Transition(from, action)
			exp := want[from][action]
			if exp == invalid {
				if err == nil || ErrorCode(err) != EINVALID {
					t.Errorf("%s + %s = %q, %v; want an invalid-transition error", from, action, to, err)
				}
				continue
			}
			if err != nil || to != exp {
				t.Errorf("%s + %s = %q, %v; want %s", from, action, to, err, exp)
			}
		}
	}
	if _, err := Transition("archived", ActionOpen); ErrorCode(err) != EINVALID {
		t.Errorf("unknown status: err = %v, want invalid", err)
	}
}

func TestTransitionMessage(t *testing.T) {
	_, err := Transition(StatusResolved, ActionSnooze)
	if got := ErrorMessage(err); got != "cannot snooze a conversation that is resolved" {
		t.Errorf("message = %q", got)
	}
}

func TestActionFor(t *testing.T) {
	for _, s := range Statuses {
		a, err := ActionFor(s)
		if err != nil {
			t.Fatalf("ActionFor(%s): %v", s, err)
		}
		if s == StatusOpen {
			continue // open is reached from the others, never from itself
		}
		if to, err := Transition(StatusOpen, a); err != nil || to != s {
			t.Errorf("open + ActionFor(%s) = %s, %v", s, to, err)
		}
	}
	if _, err := ActionFor("closed"); ErrorCode(err) != EINVALID {
		t.Errorf("ActionFor(closed) err = %v", err)
	}
}

func TestReopensWithin(t *testing.T) {
	resolved := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		after time.Duration
		want  bool
	}{{time.Minute, true}, {DefaultReopenWindow, true}, {DefaultReopenWindow + time.Second, false}} {
		if got := ReopensWithin(resolved, resolved.Add(tc.after), DefaultReopenWindow); got != tc.want {
			t.Errorf("%v after resolution: reopens = %v, want %v", tc.after, got, tc.want)
		}
	}
}

func TestErrors(t *testing.T) {
	if ErrorCode(nil) != "" || ErrorMessage(nil) != "" {
		t.Error("nil error has a code or message")
	}
	wrapped := Errorf(ENOTFOUND, "conversation 3 not found")
	if ErrorCode(wrapped) != ENOTFOUND || ErrorMessage(wrapped) != "conversation 3 not found" {
		t.Errorf("code/message = %s/%s", ErrorCode(wrapped), ErrorMessage(wrapped))
	}
	plain := errString("pq: relation does not exist")
	if ErrorCode(plain) != EINTERNAL || ErrorMessage(plain) != "Internal error." {
		t.Errorf("internal error shows %q", ErrorMessage(plain))
	}
}

type errString string

func (e errString) Error() string { return string(e) }
