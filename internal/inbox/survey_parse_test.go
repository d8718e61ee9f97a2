package inbox

import "testing"

func TestSurveyDigit(t *testing.T) {
	for in, want := range map[string]int{"3": 3, " 4. ": 4, "5!": 5, "(1)": 1, "\n2\n": 2,
		"6": 0, "0": 0, "12": 0, "3 stars": 0, "": 0, "three": 0, "3.5": 0, "-": 0} {
		got, ok := surveyDigit(in)
		if ok != (want != 0) || got != want {
			t.Errorf("surveyDigit(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
}

func TestChoiceID(t *testing.T) {
	id := ChoiceID("AbC_-9", "csat", 4)
	token, a, ok := ParseChoiceID(id)
	if !ok || token != "AbC_-9" || a.CSAT == nil || *a.CSAT != 4 || a.CES != nil {
		t.Fatalf("ParseChoiceID(%q) = %q %+v %v", id, token, a, ok)
	}
	for _, bad := range []string{"", "survey::ces:1", "survey:t:ces:6", "survey:t:nps:3", "survey:t:ces:12", "other:t:ces:1", "survey:t:ces"} {
		if _, _, ok := ParseChoiceID(bad); ok {
			t.Errorf("ParseChoiceID(%q) accepted", bad)
		}
	}
}
