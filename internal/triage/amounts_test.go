package triage

import "testing"

// TestExportedAmounts: the exported reader finds the same amounts as the money
// rules, with where each number is written.
func TestExportedAmounts(t *testing.T) {
	text := "Order #4521 (ref 2026-11-24) cost $1,299.00; we refund 250,00 € and 45 EUR."
	got := Amounts(text)
	want := []struct {
		v    float64
		cur  string
		text string
	}{{1299, "USD", "1,299.00"}, {250, "EUR", "250,00"}, {45, "EUR", "45"}}
	if len(got) != len(want) {
		t.Fatalf("Amounts = %+v", got)
	}
	for i, w := range want {
		if got[i].Value != w.v || got[i].Currency != w.cur || text[got[i].Start:got[i].End] != w.text {
			t.Errorf("amount %d = %+v (%q), want %v %s %q", i, got[i], text[got[i].Start:got[i].End], w.v, w.cur, w.text)
		}
	}
	if got := Amounts("call 090-123-4567 about order 88"); len(got) != 0 {
		t.Errorf("no money: %+v", got)
	}
	if got := Fold("Remboursé À 100 %"); got != "rembourse a 100" {
		t.Errorf("Fold = %q", got)
	}
}
