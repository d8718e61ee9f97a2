package report

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// MaxSpan bounds one report's period.
const MaxSpan = 366 * 24 * time.Hour

// ParseQuery reads a report's period, time zone and filter from a query
// string, as the REST API and the Reports page take them:
//
//   - tz: an IANA time zone name (default UTC) for hours of day, daily
//     samples and dates;
//   - to: an RFC 3339 time, or a date (2006-01-02) meaning the end of that
//     day in tz; default now;
//   - from: an RFC 3339 time, or a date meaning the start of that day in
//     tz; default to − days;
//   - days: the length of the period when from is not given (1 to 366;
//     default 7);
//   - filters inbox_id (repeatable), channel (repeatable), team_id,
//     agent_id, label, priority.
//
// The period must start before it ends and last at most MaxSpan. Errors
// are parley.EINVALID with a message fit for users.
func ParseQuery(q url.Values, now time.Time) (from, to time.Time, loc *time.Location, f Filter, err error) {
	loc = time.UTC
	if v := q.Get("tz"); v != "" {
		if loc, err = time.LoadLocation(v); err != nil || v == "Local" {
			return from, to, nil, f, parley.Errorf(parley.EINVALID, "tz %q is not a time zone name such as Europe/Paris", v)
		}
	}
	to = now
	if v := q.Get("to"); v != "" {
		if to, err = parseMoment(v, loc, 1); err != nil {
			return from, to, loc, f, parley.Errorf(parley.EINVALID, "to %q is not an RFC 3339 time or a date (2006-01-02)", v)
		}
	}
	days := 7
	if v := q.Get("days"); v != "" {
		if days, err = strconv.Atoi(v); err != nil || days < 1 || days > 366 {
			return from, to, loc, f, parley.Errorf(parley.EINVALID, "days %q is not a number of days from 1 to 366", v)
		}
	}
	from = to.Add(-time.Duration(days) * 24 * time.Hour)
	if v := q.Get("from"); v != "" {
		if from, err = parseMoment(v, loc, 0); err != nil {
			return from, to, loc, f, parley.Errorf(parley.EINVALID, "from %q is not an RFC 3339 time or a date (2006-01-02)", v)
		}
	}
	if !from.Before(to) || to.Sub(from) > MaxSpan {
		return from, to, loc, f, parley.Errorf(parley.EINVALID, "the period must start before it ends and last at most 366 days")
	}
	for _, v := range q["inbox_id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return from, to, loc, f, parley.Errorf(parley.EINVALID, "inbox_id %q is not an id", v)
		}
		f.InboxIDs = append(f.InboxIDs, id)
	}
	for _, v := range q["channel"] {
		if !parley.ChannelType(v).Valid() {
			return from, to, loc, f, parley.Errorf(parley.EINVALID, "channel %q is not a channel type", v)
		}
		f.Channels = append(f.Channels, parley.ChannelType(v))
	}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"team_id", &f.TeamID}, {"agent_id", &f.AgentID}} {
		if v := q.Get(p.name); v != "" {
			if *p.dst, err = strconv.ParseInt(v, 10, 64); err != nil || *p.dst <= 0 {
				return from, to, loc, f, parley.Errorf(parley.EINVALID, "%s %q is not an id", p.name, v)
			}
		}
	}
	f.Label = strings.ToLower(parley.CleanLine(q.Get("label"))) // as labels are stored
	if v := q.Get("priority"); v != "" {
		if f.Priority = parley.Priority(v); !f.Priority.Valid() {
			return from, to, loc, f, parley.Errorf(parley.EINVALID, "priority %q is not one of low, normal, high, urgent", v)
		}
	}
	return from, to, loc, f, nil
}

// parseMoment reads an RFC 3339 time, or a date in loc plus addDays days
// at midnight.
func parseMoment(v string, loc *time.Location, addDays int) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation("2006-01-02", v, loc)
	if err != nil {
		return d, err
	}
	return time.Date(d.Year(), d.Month(), d.Day()+addDays, 0, 0, 0, 0, loc), nil
}
