package assist_test

import (
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/assist"
)

// A customer who explains a problem and asks "What can you do?" needs the
// problem solved: the summary says so, rather than quoting the question.
func TestSummaryWantsIsTheProblemNotTheActionQuestion(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var turns []assist.Turn
	for i, text := range []string{"Hi, I ordered a blender last week.", "It arrived broken: the jar is cracked and it leaks.",
		"My order number is #10234.", "What can you do?"} {
		turns = append(turns, assist.Turn{ID: int64(i + 1), Author: assist.Customer, Channel: "widget", Text: text, At: at.Add(time.Duration(i) * time.Minute)})
	}
	s := assist.Summarize(assist.Thread{Turns: turns, Now: at.Add(time.Hour)})
	if !strings.Contains(s.Wants, "broken") || strings.Contains(s.Wants, "What can you do") {
		t.Errorf("wants = %q, want the problem (the broken blender)", s.Wants)
	}
	if !strings.Contains(s.NextStep, "broken") {
		t.Errorf("next step = %q, want it to name the problem to act on", s.NextStep)
	}
}

// An agent who promised, then did it: nothing is left promised or open,
// and the next step is the customer's.
func TestSummaryPromiseKeptAndGenericQuestionAnswered(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	turns := []assist.Turn{
		{ID: 1, Author: assist.Customer, Text: "Hi! I was charged twice for order #4821. Can you help?"},
		{ID: 2, Author: assist.Agent, Name: "Lan", Text: "Hi Hoa, sorry about that! Let me check the payment records for order #4821."},
		{ID: 3, Author: assist.Note, Name: "Lan", Text: "Stripe shows two captures 40 seconds apart."},
		{ID: 4, Author: assist.Customer, Text: "Here is the bank statement."},
		{ID: 5, Author: assist.Agent, Name: "Lan", Text: "Done — the duplicate charge has been refunded. You will see it in 3–5 business days."},
	}
	for i := range turns {
		turns[i].At = at.Add(time.Duration(i) * time.Minute)
	}
	s := assist.Summarize(assist.Thread{Turns: turns, Now: at.Add(time.Hour)})
	for _, d := range s.Done {
		if d.Promise {
			t.Errorf("a kept promise is still open: %+v", d)
		}
	}
	if len(s.OpenQuestions) != 0 {
		t.Errorf("open questions = %q, want none: the agent answered", s.OpenQuestions)
	}
	if !strings.Contains(strings.ToLower(s.NextStep), "wait") {
		t.Errorf("next step = %q, want to wait for the customer", s.NextStep)
	}
}

func TestSummaryReadsDong(t *testing.T) {
	s := assist.Summarize(assist.Thread{Turns: []assist.Turn{{ID: 1, Author: assist.Agent, Name: "Lan",
		Text: "Done — the duplicate charge of 1,250,000₫ has been refunded, and 300 000 VND for the delivery."}}})
	var amounts []string
	for _, f := range s.Facts {
		if f.Kind == "amount" {
			amounts = append(amounts, f.Value)
		}
	}
	if len(amounts) != 2 || amounts[0] != "1,250,000₫" || !strings.Contains(amounts[1], "300 000") {
		t.Errorf("amounts = %q, want 1,250,000₫ and 300 000 VND", amounts)
	}
}
