package hours

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// dayKeys are the JSON names of the weekdays, indexed by time.Weekday.
var dayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// dayNames are the display names of the weekdays, indexed by time.Weekday.
var dayNames = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// displayOrder lists the weekdays as a week is read: Monday first.
var displayOrder = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// stored is the JSON form of a Schedule.
type stored struct {
	TimeZone string              `json:"time_zone"`
	Week     map[string][]string `json:"week"`
	Holidays map[string]string   `json:"holidays,omitempty"`
}

// Parse reads a schedule from its JSON form:
//
//	{"time_zone": "Europe/Paris",
//	 "week": {"mon": ["09:00-12:30", "13:30-18:00"], …, "sun": []},
//	 "holidays": {"2026-12-25": "Christmas"}}
//
// The time zone is an IANA name ("Local" is refused: it depends on the
// server). Week keys are mon…sun; a missing day is closed. An interval is
// "HH:MM-HH:MM" (an en dash also works), end "24:00" meaning midnight; a
// day's intervals may be listed in any order and are sorted, but must not
// overlap. Unknown fields are refused. Errors name the bad field, day and
// interval.
func Parse(data []byte) (Schedule, error) {
	var in stored
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			// Say where, in the document's terms, not Go's.
			where := strings.TrimPrefix(strings.TrimPrefix(te.Field, "stored"), ".")
			if where == "" {
				where = "the schedule"
			}
			return Schedule{}, fmt.Errorf("hours: %s: a JSON %s does not belong here (intervals are text like \"09:00-17:00\", holidays map dates to names)", where, te.Value)
		}
		return Schedule{}, fmt.Errorf("hours: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Schedule{}, errors.New("hours: unexpected data after the schedule")
	}
	var s Schedule
	switch in.TimeZone {
	case "":
		return Schedule{}, errors.New("hours: time_zone is required, e.g. \"Europe/Paris\"")
	case "Local":
		return Schedule{}, errors.New("hours: time_zone \"Local\" depends on the server; name a zone such as \"Europe/Paris\"")
	}
	loc, err := time.LoadLocation(in.TimeZone)
	if err != nil {
		return Schedule{}, fmt.Errorf("hours: time_zone %q: %w", in.TimeZone, err)
	}
	s.Location = loc
	for key, list := range in.Week {
		d := slices.Index(dayKeys[:], key)
		if d < 0 {
			return Schedule{}, fmt.Errorf("hours: week.%s: unknown day (want mon, tue, wed, thu, fri, sat or sun)", key)
		}
		ivs := make([]Interval, 0, len(list))
		for i, v := range list {
			iv, err := parseInterval(v)
			if err != nil {
				return Schedule{}, fmt.Errorf("hours: week.%s[%d] %q: %w", key, i, v, err)
			}
			ivs = append(ivs, iv)
		}
		// Sort, but name overlaps by the indexes and text the admin wrote.
		order := make([]int, len(ivs))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return ivs[a].Start - ivs[b].Start })
		for k := 1; k < len(order); k++ {
			prev, cur := order[k-1], order[k]
			if ivs[cur].Start < ivs[prev].End {
				return Schedule{}, fmt.Errorf("hours: week.%s[%d] %q: overlaps week.%s[%d] %q", key, cur, list[cur], key, prev, list[prev])
			}
		}
		slices.SortFunc(ivs, func(a, b Interval) int { return a.Start - b.Start })
		s.Week[d] = ivs
	}
	if len(in.Holidays) > 0 {
		s.Holidays = in.Holidays
	}
	if err := s.Validate(); err != nil {
		return Schedule{}, err
	}
	return s, nil
}

// parseInterval reads "HH:MM-HH:MM".
func parseInterval(v string) (Interval, error) {
	a, b, ok := strings.Cut(v, "-")
	if !ok {
		a, b, ok = strings.Cut(v, "–")
	}
	if !ok {
		return Interval{}, errors.New(`want "HH:MM-HH:MM"`)
	}
	start, err := parseClock(a, false)
	if err != nil {
		return Interval{}, fmt.Errorf("start: %w", err)
	}
	end, err := parseClock(b, true)
	if err != nil {
		return Interval{}, fmt.Errorf("end: %w", err)
	}
	if start >= end {
		return Interval{}, errors.New("start must be before end")
	}
	return Interval{start, end}, nil
}

// parseClock reads "HH:MM" (or "H:MM") as minutes since midnight; "24:00"
// only when end is set.
func parseClock(v string, end bool) (int, error) {
	v = strings.TrimSpace(v)
	h, m, ok := strings.Cut(v, ":")
	bad := fmt.Errorf("%q is not a time of day (want HH:MM)", v)
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, bad
	}
	hh, err1 := strconv.ParseUint(h, 10, 8)
	mm, err2 := strconv.ParseUint(m, 10, 8)
	if err1 != nil || err2 != nil || mm > 59 || hh > 24 {
		return 0, bad
	}
	if hh == 24 {
		if !end || mm != 0 {
			return 0, fmt.Errorf("%q: 24:00 is only allowed as an end", v)
		}
	}
	return int(hh*60 + mm), nil
}

// MarshalJSON writes the schedule in the form Parse reads, days in order
// mon…sun (closed days as []). The time zone is Location's name, so a
// Location from time.LoadLocation (or time.UTC) round-trips; a
// time.FixedZone does not. It returns Validate's error for an invalid schedule.
func (s Schedule) MarshalJSON() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	tz, _ := json.Marshal(s.Location.String())
	b.WriteString(`{"time_zone":`)
	b.Write(tz)
	b.WriteString(`,"week":{`)
	for i, d := range displayOrder {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:[", dayKeys[d])
		for j, iv := range s.Week[d] {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q", formatInterval(iv, "-"))
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	if len(s.Holidays) > 0 {
		h, err := json.Marshal(s.Holidays) // keys sorted: dates in order
		if err != nil {
			return nil, fmt.Errorf("hours: holidays: %w", err)
		}
		b.WriteString(`,"holidays":`)
		b.Write(h)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads the form MarshalJSON writes, with Parse's rules and errors.
func (s *Schedule) UnmarshalJSON(data []byte) error {
	v, err := Parse(data)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// String describes the schedule for people, Monday first, grouping
// consecutive days with the same hours: "Mon–Fri 09:00–12:30, 13:30–18:00;
// Sat 10:00–14:00 (Europe/Paris, 2 holidays)". A schedule open around the
// clock every day is "24/7 (UTC)"; one with no hours, "closed (UTC)".
func (s Schedule) String() string {
	var parts []string
	allDay := true
	for i := 0; i < len(displayOrder); {
		d := displayOrder[i]
		j := i + 1
		for j < len(displayOrder) && slices.Equal(s.Week[displayOrder[j]], s.Week[d]) {
			j++
		}
		if !slices.Equal(s.Week[d], []Interval{{0, 1440}}) {
			allDay = false
		}
		if len(s.Week[d]) > 0 {
			days := dayNames[d]
			if j-i > 1 {
				days += "–" + dayNames[displayOrder[j-1]]
			}
			ivs := make([]string, len(s.Week[d]))
			for k, iv := range s.Week[d] {
				ivs[k] = formatInterval(iv, "–")
			}
			parts = append(parts, days+" "+strings.Join(ivs, ", "))
		}
		i = j
	}
	text := strings.Join(parts, "; ")
	switch {
	case len(parts) == 0:
		text = "closed"
	case allDay:
		text = "24/7"
	}
	zone := s.location().String()
	switch n := len(s.Holidays); n {
	case 0:
	case 1:
		zone += ", 1 holiday"
	default:
		zone += ", " + strconv.Itoa(n) + " holidays"
	}
	return text + " (" + zone + ")"
}

// formatInterval writes iv as "HH:MM" sep "HH:MM".
func formatInterval(iv Interval, sep string) string {
	return formatClock(iv.Start) + sep + formatClock(iv.End)
}

// formatClock writes minutes since midnight as "HH:MM".
func formatClock(m int) string {
	if m < 0 || m > 1440 {
		return strconv.Itoa(m) + "min"
	}
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}
