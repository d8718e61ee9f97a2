package hours_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/hours"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // the whole error, or its start when it ends in "…"
	}{
		{"not JSON", `{`, "hours: unexpected EOF"},
		{"not an object", `[]`, "hours: the schedule: a JSON array does not belong here…"},
		{"null", `null`, `hours: time_zone is required, e.g. "Europe/Paris"`},
		{"trailing data", `{"time_zone":"UTC"} {}`, "hours: unexpected data after the schedule"},
		{"unknown field", `{"time_zone":"UTC","timezone":"Europe/Paris"}`, `hours: json: unknown field "timezone"`},
		{"no time zone", `{"week":{"mon":["09:00-17:00"]}}`, `hours: time_zone is required, e.g. "Europe/Paris"`},
		{"server's zone", `{"time_zone":"Local"}`, `hours: time_zone "Local" depends on the server; name a zone such as "Europe/Paris"`},
		{"unknown zone", `{"time_zone":"Mars/Olympus_Mons"}`, `hours: time_zone "Mars/Olympus_Mons": unknown time zone Mars/Olympus_Mons`},
		{"unknown day", `{"time_zone":"UTC","week":{"monday":["09:00-17:00"]}}`, "hours: week.monday: unknown day (want mon, tue, wed, thu, fri, sat or sun)"},
		{"week not an object", `{"time_zone":"UTC","week":["09:00-17:00"]}`, "hours: week: a JSON array does not belong here…"},
		{"interval not a string", `{"time_zone":"UTC","week":{"mon":[540]}}`, "hours: week: a JSON number does not belong here…"},
		{"no dash", `{"time_zone":"UTC","week":{"mon":["09:00"]}}`, `hours: week.mon[0] "09:00": want "HH:MM-HH:MM"`},
		{"hours only", `{"time_zone":"UTC","week":{"tue":["9-17"]}}`, `hours: week.tue[0] "9-17": start: "9" is not a time of day (want HH:MM)`},
		{"bad minutes", `{"time_zone":"UTC","week":{"wed":["09:60-17:00"]}}`, `hours: week.wed[0] "09:60-17:00": start: "09:60" is not a time of day (want HH:MM)`},
		{"bad end", `{"time_zone":"UTC","week":{"thu":["09:00-25:00"]}}`, `hours: week.thu[0] "09:00-25:00": end: "25:00" is not a time of day (want HH:MM)`},
		{"24:00 as a start", `{"time_zone":"UTC","week":{"fri":["24:00-24:00"]}}`, `hours: week.fri[0] "24:00-24:00": start: "24:00": 24:00 is only allowed as an end`},
		{"24:30", `{"time_zone":"UTC","week":{"fri":["22:00-24:30"]}}`, `hours: week.fri[0] "22:00-24:30": end: "24:30": 24:00 is only allowed as an end`},
		{"signed", `{"time_zone":"UTC","week":{"sat":["+9:00-17:00"]}}`, `hours: week.sat[0] "+9:00-17:00": start: "+9:00" is not a time of day (want HH:MM)`},
		{"backwards", `{"time_zone":"UTC","week":{"sun":["17:00-09:00"]}}`, `hours: week.sun[0] "17:00-09:00": start must be before end`},
		{"empty", `{"time_zone":"UTC","week":{"sun":["10:00-10:00"]}}`, `hours: week.sun[0] "10:00-10:00": start must be before end`},
		{"overlap", `{"time_zone":"UTC","week":{"mon":["09:00-12:00","11:00-13:00"]}}`, `hours: week.mon[1] "11:00-13:00": overlaps week.mon[0] "09:00-12:00"`},
		{"overlap listed backwards", `{"time_zone":"UTC","week":{"mon":["11:00-13:00","9:00-12:00"]}}`, `hours: week.mon[0] "11:00-13:00": overlaps week.mon[1] "9:00-12:00"`},
		{"same start", `{"time_zone":"UTC","week":{"mon":["09:00-10:00","09:00-12:00"]}}`, `hours: week.mon[1] "09:00-12:00": overlaps week.mon[0] "09:00-10:00"`},
		{"bad holiday", `{"time_zone":"UTC","holidays":{"2026-02-30":"Nope"}}`, `hours: holidays["2026-02-30"]: not a date (want YYYY-MM-DD)`},
		{"holiday not a string", `{"time_zone":"UTC","holidays":{"2026-12-25":true}}`, "hours: holidays: a JSON bool does not belong here…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := hours.Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse(%s) succeeded, want %s", tt.in, tt.want)
			}
			if prefix, ok := strings.CutSuffix(tt.want, "…"); ok {
				if !strings.HasPrefix(err.Error(), prefix) {
					t.Errorf("Parse(%s) = %v, want %s", tt.in, err, tt.want)
				}
			} else if err.Error() != tt.want {
				t.Errorf("Parse(%s) = %v, want %s", tt.in, err, tt.want)
			}
			var s hours.Schedule
			if err2 := json.Unmarshal([]byte(tt.in), &s); err2 == nil {
				t.Errorf("json.Unmarshal succeeded")
			}
		})
	}
}

func TestParseLenient(t *testing.T) {
	s := MustParse(t, `{"time_zone":"Asia/Kolkata","week":{
		"mon":[" 13:30 – 18:00 ","9:30-12:30"], "tue":["00:00-24:00"], "sun":null}}`)
	want := [7][]hours.Interval{
		time.Monday:  {HM(9, 30, 12, 30), HM(13, 30, 18, 0)}, // sorted
		time.Tuesday: {HM(0, 0, 24, 0)},
	}
	for d := range want {
		if !slices.Equal(s.Week[d], want[d]) {
			t.Errorf("%s: %v, want %v", time.Weekday(d), s.Week[d], want[d])
		}
	}
	if s.Location.String() != "Asia/Kolkata" || s.Holidays != nil {
		t.Errorf("Location %v, Holidays %v", s.Location, s.Holidays)
	}
}

func TestMarshalJSON(t *testing.T) {
	s := MustParse(t, office)
	s.Holidays["2026-01-01"] = `New Year "Jour de l'an"`
	got, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time_zone":"Europe/Paris","week":{` +
		`"mon":["09:00-12:30","13:30-18:00"],"tue":["09:00-12:30","13:30-18:00"],"wed":["09:00-12:30","13:30-18:00"],` +
		`"thu":["09:00-12:30","13:30-18:00"],"fri":["09:00-12:30","13:30-18:00"],"sat":["10:00-14:00"],"sun":[]},` +
		`"holidays":{"2026-01-01":"New Year \"Jour de l'an\"","2026-12-25":"Christmas"}}`
	if string(got) != want {
		t.Errorf("MarshalJSON =\n%s\nwant\n%s", got, want)
	}
	if always, _ := json.Marshal(hours.AlwaysOpen()); !strings.HasPrefix(string(always), `{"time_zone":"UTC","week":{"mon":["00:00-24:00"],`) || strings.Contains(string(always), "holidays") {
		t.Errorf("AlwaysOpen = %s", always)
	}
	if _, err := json.Marshal(hours.Schedule{}); err == nil || !strings.Contains(err.Error(), "hours: no time zone") {
		t.Errorf("marshalling a schedule without a zone: %v", err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	paris := MustLoc(t, "Europe/Paris")
	overnight := Daily(MustLoc(t, "America/New_York"), HM(0, 0, 6, 0), HM(22, 0, 24, 0))
	overnight.Holidays = map[string]string{"2026-07-04": "Independence Day", "2026-11-26": ""}
	for name, s := range map[string]hours.Schedule{
		"office":      MustParse(t, office),
		"always open": hours.AlwaysOpen(),
		"closed":      {Location: paris},
		"overnight":   overnight,
		"odd minutes": Weekdays(MustLoc(t, "Asia/Kathmandu"), HM(8, 7, 11, 59), HM(11, 59, 23, 1)),
	} {
		t.Run(name, func(t *testing.T) {
			// Inside another document, as the inbox stores it.
			type inbox struct {
				Name  string         `json:"name"`
				Hours hours.Schedule `json:"hours"`
			}
			data, err := json.Marshal(inbox{"support", s})
			if err != nil {
				t.Fatal(err)
			}
			var back inbox
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatalf("%s: %v", data, err)
			}
			got := back.Hours
			if got.Location.String() != s.Location.String() {
				t.Errorf("Location = %v, want %v", got.Location, s.Location)
			}
			for d := range s.Week {
				if !slices.Equal(got.Week[d], s.Week[d]) {
					t.Errorf("%s = %v, want %v", time.Weekday(d), got.Week[d], s.Week[d])
				}
			}
			if len(got.Holidays) != len(s.Holidays) {
				t.Errorf("Holidays = %v, want %v", got.Holidays, s.Holidays)
			}
			for k, v := range s.Holidays {
				if got.Holidays[k] != v {
					t.Errorf("Holidays[%s] = %q, want %q", k, got.Holidays[k], v)
				}
			}
			again, _ := json.Marshal(inbox{"support", got})
			if string(again) != string(data) {
				t.Errorf("second marshal differs:\n%s\n%s", again, data)
			}
			at := UTC(t, "2026-03-06T16:00:00Z")
			if !same(got.Add(at, 10*time.Hour), s.Add(at, 10*time.Hour)) {
				t.Errorf("the parsed schedule computes differently")
			}
		})
	}
}

func TestString(t *testing.T) {
	paris := MustLoc(t, "Europe/Paris")
	varied := hours.Schedule{Location: paris, Holidays: map[string]string{"2026-05-01": "", "2026-12-25": ""}}
	varied.Week[time.Monday] = []hours.Interval{HM(9, 0, 17, 0)}
	varied.Week[time.Tuesday] = []hours.Interval{HM(10, 0, 12, 0)}
	varied.Week[time.Wednesday] = []hours.Interval{HM(9, 0, 17, 0)}
	weekdaysAndSunday := Weekdays(paris, HM(9, 0, 18, 0))
	weekdaysAndSunday.Week[time.Sunday] = []hours.Interval{HM(10, 0, 12, 0)}
	tests := []struct {
		s    hours.Schedule
		want string
	}{
		{MustParse(t, office), "Mon–Fri 09:00–12:30, 13:30–18:00; Sat 10:00–14:00 (Europe/Paris, 1 holiday)"},
		{Weekdays(paris, HM(9, 0, 18, 0)), "Mon–Fri 09:00–18:00 (Europe/Paris)"},
		{weekdaysAndSunday, "Mon–Fri 09:00–18:00; Sun 10:00–12:00 (Europe/Paris)"},
		{varied, "Mon 09:00–17:00; Tue 10:00–12:00; Wed 09:00–17:00 (Europe/Paris, 2 holidays)"},
		{Daily(paris, HM(0, 0, 6, 0), HM(22, 0, 24, 0)), "Mon–Sun 00:00–06:00, 22:00–24:00 (Europe/Paris)"},
		{hours.AlwaysOpen(), "24/7 (UTC)"},
		{hours.Schedule{Location: paris}, "closed (Europe/Paris)"},
		{hours.Schedule{}, "closed (UTC)"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}
