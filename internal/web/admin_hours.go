package web

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/hours"
	"github.com/parleyhq/parley/internal/parley"
)

// Business hours as a form: a time zone, each weekday open or closed with
// its hours ("09:00-12:30, 13:30-18:00"), and holidays one per line. The
// form is turned into the same JSON the API takes (hours.Parse), so both
// are checked by one validation and its errors name the day and interval.

type hoursForm struct {
	Always   bool
	TimeZone string
	Days     []hoursDay // Monday first
	Holidays string     // "2026-12-25 Christmas" lines
}

type hoursDay struct {
	Key, Name string
	Open      bool
	Intervals string
}

var weekKeys = []struct{ key, name string }{{"mon", "Monday"}, {"tue", "Tuesday"}, {"wed", "Wednesday"}, {"thu", "Thursday"},
	{"fri", "Friday"}, {"sat", "Saturday"}, {"sun", "Sunday"}}

// storedHours is the JSON form of business hours (internal/hours).
type storedHours struct {
	TimeZone string              `json:"time_zone"`
	Week     map[string][]string `json:"week"`
	Holidays map[string]string   `json:"holidays,omitempty"`
}

// hoursFormOf fills the form from stored hours; with none, it is always
// open, with a working week ready to switch on.
func hoursFormOf(raw json.RawMessage) hoursForm {
	f := hoursForm{}
	var st storedHours
	if len(raw) == 0 || string(raw) == "null" || json.Unmarshal(raw, &st) != nil {
		f.Always, f.TimeZone = true, ""
		for i, d := range weekKeys {
			f.Days = append(f.Days, hoursDay{Key: d.key, Name: d.name, Open: i < 5, Intervals: "09:00-17:00"})
		}
		return f
	}
	f.TimeZone = st.TimeZone
	for _, d := range weekKeys {
		iv := st.Week[d.key]
		f.Days = append(f.Days, hoursDay{Key: d.key, Name: d.name, Open: len(iv) > 0, Intervals: strings.Join(iv, ", ")})
	}
	var lines []string
	for date, name := range st.Holidays {
		lines = append(lines, strings.TrimSpace(date+" "+name))
	}
	slices.Sort(lines)
	f.Holidays = strings.Join(lines, "\n")
	return f
}

// hoursFormPosted reads the form as posted, to show it again as typed.
func hoursFormPosted(r *http.Request) hoursForm {
	f := hoursForm{Always: r.PostFormValue("hours_mode") != "set", TimeZone: trimmed(r, "hours_tz"), Holidays: r.PostFormValue("hours_holidays")}
	for _, d := range weekKeys {
		f.Days = append(f.Days, hoursDay{Key: d.key, Name: d.name, Open: r.PostFormValue("hours_"+d.key+"_open") != "",
			Intervals: trimmed(r, "hours_"+d.key)})
	}
	return f
}

var holidayLine = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})\s*(.*)$`)

// json turns the form into stored hours: nil when always open. A
// holiday line that is not "YYYY-MM-DD name" is refused here; the rest is
// checked by hours.Parse (through the inbox's validation).
func (f hoursForm) json() (json.RawMessage, error) {
	if f.Always {
		return nil, nil
	}
	st := storedHours{TimeZone: f.TimeZone, Week: map[string][]string{}}
	if st.TimeZone == "" {
		return nil, parley.Errorf(parley.EINVALID, "business hours: pick a time zone, such as Europe/Paris")
	}
	for _, d := range f.Days {
		if !d.Open {
			st.Week[d.Key] = []string{}
			continue
		}
		var iv []string
		for _, p := range strings.Split(d.Intervals, ",") {
			if p = strings.TrimSpace(p); p != "" {
				iv = append(iv, p)
			}
		}
		if len(iv) == 0 {
			return nil, parley.Errorf(parley.EINVALID, "business hours: %s is open but has no hours: write them like 09:00-17:00", d.Name)
		}
		st.Week[d.Key] = iv
	}
	for i, line := range strings.Split(f.Holidays, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		m := holidayLine.FindStringSubmatch(line)
		if m == nil {
			return nil, parley.Errorf(parley.EINVALID, "business hours: holiday line %d (%q) is not a date and a name, like 2026-12-25 Christmas", i+1, clipText(line, 40))
		}
		if st.Holidays == nil {
			st.Holidays = map[string]string{}
		}
		name := strings.TrimSpace(m[2])
		if name == "" {
			name = "Holiday"
		}
		st.Holidays[m[1]] = name
	}
	b, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	if _, err := hours.Parse(b); err != nil {
		return nil, parley.Errorf(parley.EINVALID, "business hours: %s", strings.TrimPrefix(err.Error(), "hours: "))
	}
	return b, nil
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// commonTimeZones are offered as the time zone field's suggestions; any
// IANA name is accepted.
var commonTimeZones = []string{"UTC", "Europe/London", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
	"Europe/Rome", "Europe/Amsterdam", "Europe/Warsaw", "Europe/Istanbul", "Africa/Lagos", "Africa/Nairobi", "Asia/Dubai",
	"Asia/Kolkata", "Asia/Bangkok", "Asia/Ho_Chi_Minh", "Asia/Jakarta", "Asia/Singapore", "Asia/Shanghai", "Asia/Tokyo",
	"Asia/Seoul", "Australia/Sydney", "Pacific/Auckland", "America/Sao_Paulo", "America/Mexico_City", "America/New_York",
	"America/Chicago", "America/Denver", "America/Los_Angeles", "America/Toronto"}

// localTime is now on a contact's clock ("14:05 Mon"), or "" for a zone
// that does not load.
func localTime(now time.Time, tz string) string {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return ""
	}
	return now.In(loc).Format("15:04 Mon")
}
