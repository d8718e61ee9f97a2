package report_test

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/report"
)

// TestSLAAttainmentAndPromises: met and breached targets are counted when
// they happen; a promise is kept by an agent reply in time, and broken
// when its time passes unanswered.
func TestSLAAttainmentAndPromises(t *testing.T) {
	from, to := day(mon, 0, 0), day(wed, 0, 0)
	var l events
	at := func(h, m int) time.Time { return day(mon, h, m) }
	// 1: first response met, promise kept (reply at 9:40, promised 10:00).
	l.created(1, at(9, 0))
	l.customer(1, at(9, 0))
	l.add(1, parley.EventPromise, at(9, 1), 0, `{"reply_by":"`+at(10, 0).Format(time.RFC3339)+`"}`)
	l.reply(1, at(9, 40), 7)
	l.add(1, parley.EventSLAMet, at(9, 40), 0, `{"target":"first_response"}`)
	// 2: first response breached, promise broken (promised 11:00, reply 12:30).
	l.created(2, at(10, 0))
	l.customer(2, at(10, 0))
	l.add(2, parley.EventPromise, at(10, 1), 0, `{"reply_by":"`+at(11, 0).Format(time.RFC3339)+`"}`)
	l.add(2, parley.EventSLABreached, at(11, 0), 0, `{"target":"first_response"}`)
	l.reply(2, at(12, 30), 7)
	// 3: resolution met; a promise still open at the end of the period
	// (promised after to) counts neither way.
	l.created(3, at(13, 0))
	l.customer(3, at(13, 0))
	l.add(3, parley.EventPromise, at(13, 1), 0, `{"reply_by":"`+day(wed, 10, 0).Format(time.RFC3339)+`"}`)
	l.add(3, parley.EventSLAMet, at(15, 0), 0, `{"target":"resolution"}`)
	// Before the period: ignored.
	l.add(1, parley.EventSLABreached, from.Add(-time.Hour), 0, `{"target":"next_response"}`)

	in := report.Input{Events: l.list, Conversations: map[int64]report.ConvInfo{1: {InboxID: 1}, 2: {InboxID: 1}, 3: {InboxID: 1}}}
	r := report.Compute(in, from, to, report.Filter{})
	if got := r.SLA["first_response"]; got.Met != 1 || got.Breached != 1 || got.Rate != 0.5 {
		t.Errorf("first response attainment = %+v", got)
	}
	if got := r.SLA["resolution"]; got.Met != 1 || got.Breached != 0 || got.Rate != 1 {
		t.Errorf("resolution attainment = %+v", got)
	}
	if _, ok := r.SLA["next_response"]; ok {
		t.Errorf("a breach before the period was counted: %+v", r.SLA)
	}
	if r.Promises.Kept != 1 || r.Promises.Broken != 1 || r.Promises.Rate != 0.5 {
		t.Errorf("promises = %+v", r.Promises)
	}
}
