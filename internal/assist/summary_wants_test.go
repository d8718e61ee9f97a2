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
