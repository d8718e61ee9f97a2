package parley

import (
	"encoding/json"
	"testing"
	"time"
)

func TestSurveySettingsJSON(t *testing.T) {
	var r Routing
	if err := json.Unmarshal([]byte(`{"auto_assign":true}`), &r); err != nil {
		t.Fatal(err)
	}
	if !r.Survey.Enabled() || !r.Survey.AsksCSAT() || r.Survey.Cooldown() != 14*24*time.Hour || r.Survey.Delay() != 5*time.Minute {
		t.Errorf("defaults = %+v", r.Survey)
	}
	if err := json.Unmarshal([]byte(`{"survey":{"enabled":false,"cooldown_days":0}}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.Survey.Enabled() || !r.Survey.AsksCSAT() || r.Survey.Cooldown() != 0 || r.Survey.Delay() != 5*time.Minute {
		t.Errorf("partial = %+v", r.Survey)
	}
	b, _ := json.Marshal(r.Survey)
	if string(b) != `{"enabled":false,"csat":true,"cooldown_days":0,"delay_minutes":5}` {
		t.Errorf("marshal = %s", b)
	}
	for _, bad := range []string{`{"cooldown_days":-1}`, `{"cooldown_days":366}`, `{"delay_minutes":-5}`, `{"delay_minutes":20000}`} {
		var s SurveySettings
		if err := json.Unmarshal([]byte(bad), &s); err != nil {
			t.Fatal(err)
		}
		if s.Validate() == nil {
			t.Errorf("%s validated", bad)
		}
	}
}

func TestSurveyAnswerValidate(t *testing.T) {
	n := func(v int) *int { return &v }
	for _, a := range []SurveyAnswer{{}, {CES: n(0)}, {CSAT: n(6)}, {Comment: string(make([]byte, MaxSurveyComment+1))}} {
		if a.Validate() == nil {
			t.Errorf("%+v validated", a)
		}
	}
	if err := (SurveyAnswer{CES: n(1), CSAT: n(5), Comment: "ok"}).Validate(); err != nil {
		t.Error(err)
	}
}
