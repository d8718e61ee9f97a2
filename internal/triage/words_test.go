package triage_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/triage"
)

func TestWordsAndStems(t *testing.T) {
	if got := strings.Join(triage.Words("Remboursé ? ¡Reembolsó! REFUNDS"), " "); got != "rembourse reembolso refunds" {
		t.Fatalf("Words: %q", got)
	}
	st := triage.NewStemmer()
	forms := func(w string) []string { return append([]string{w}, st.Stems(nil, w)...) }
	meet := func(a, b string) bool {
		for _, f := range forms(a) {
			if slices.Contains(forms(b), f) {
				return true
			}
		}
		return false
	}
	for _, p := range [][2]string{{"refunds", "refund"}, {"rembourse", "remboursement"}, {"reembolso", "reembolsos"}, {"delayed", "delay"}} {
		if !meet(p[0], p[1]) {
			t.Errorf("%q and %q share no form: %v / %v", p[0], p[1], forms(p[0]), forms(p[1]))
		}
	}
	if meet("card", "care") {
		t.Error("card and care should not meet")
	}
	if got := st.Stems(nil, "pay"); len(got) != 0 {
		t.Errorf("short words are not stemmed: %v", got)
	}
}
