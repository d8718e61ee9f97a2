package report_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/report"
)

// FuzzParseQuery: any query string gives either EINVALID or a period
// that starts before it ends and lasts at most MaxSpan, a time zone, and
// a filter of positive ids, known channels and priorities, and a label
// that is clean one-line text (it goes to the database as it is).
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "days=30", "from=2026-01-01&to=2026-02-01&tz=Asia/Kolkata", "tz=Local", "tz=../../etc/passwd",
		"from=2026-02-01&to=2026-01-01", "days=0", "days=367", "inbox_id=1&inbox_id=2&channel=sms", "inbox_id=-1", "channel=fax",
		"team_id=9223372036854775807", "agent_id=0", "label=%20VIP%20", "label=a%00b", "priority=urgent", "priority=meh",
		"to=2026-03-29&tz=Europe/Paris&days=1", "from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z", "to=2026-13-45"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		from, to, loc, flt, err := report.ParseQuery(q, now)
		if err != nil {
			if parley.ErrorCode(err) != parley.EINVALID {
				t.Fatalf("ParseQuery(%q) = %v, want EINVALID", raw, err)
			}
			return
		}
		if loc == nil || !from.Before(to) || to.Sub(from) > report.MaxSpan {
			t.Fatalf("ParseQuery(%q) = %v … %v in %v", raw, from, to, loc)
		}
		for _, id := range append(append([]int64{}, flt.InboxIDs...), flt.TeamID, flt.AgentID) {
			if id < 0 {
				t.Fatalf("ParseQuery(%q) took id %d", raw, id)
			}
		}
		for _, c := range flt.Channels {
			if !c.Valid() {
				t.Fatalf("ParseQuery(%q) took channel %q", raw, c)
			}
		}
		if flt.Priority != "" && !flt.Priority.Valid() {
			t.Fatalf("ParseQuery(%q) took priority %q", raw, flt.Priority)
		}
		if parley.CheckID("label", flt.Label) != nil && parley.CleanLine(flt.Label) != flt.Label {
			t.Fatalf("ParseQuery(%q) took label %q, not clean text", raw, flt.Label)
		}
	})
}
