// Package report computes support metrics made for async work — resolution
// and response times in calendar and business time, reopen rate, first
// contact resolution, agent concurrency, volume and backlog — from the
// event log.
//
// There are two engines with one meaning. Compute replays events: it is a
// pure function of its input, so any figure can be recomputed and audited.
// Build sums pre-aggregated facts (facts.go, project.go): each
// conversation's replay is stored as fact rows whenever it changes, and
// summed per UTC day, so a report over a million conversations reads
// daily sums instead of replaying every conversation. Tests check that
// both give the same report.
//
// A report describes its period [from, to) as Parley knows it now (see
// Input.Now). Metrics that end at a moment (a resolution, a reply) are
// counted in the period in which that moment falls; they may start before
// it.
//
// Filters match a conversation by its attributes now: inbox, channel,
// team, labels, priority. The agent filter matches conversations the agent
// was assigned to or replied in; response times are further restricted to
// the agent's own replies, and concurrency to the agent.
package report

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/parleyhq/parley/internal/hours"
	"github.com/parleyhq/parley/internal/parley"
)

// ConvInfo is what the report knows of a conversation besides its events:
// the attributes it is filtered and grouped by.
type ConvInfo struct {
	InboxID  int64
	Channel  parley.ChannelType
	TeamID   int64 // 0: none
	Labels   []string
	Priority parley.Priority
}

// Input is everything Compute reads.
type Input struct {
	// Events are the log rows of the conversations concerned, including
	// their history before the period (store.DB.ReportEvents gives them).
	// Order does not matter: they are replayed by seq. Events without a
	// conversation are ignored.
	Events []parley.Event
	// Conversations holds each conversation's attributes, by id. A
	// conversation missing here has zero attributes: it is counted when no
	// attribute filter is set.
	Conversations map[int64]ConvInfo
	// Schedules gives a conversation's business hours (its team's, else its
	// inbox's, else always open); nil: always open.
	Schedules func(conv ConvInfo) hours.Schedule
	// ReopenWindow is each inbox's reopen window, by inbox id;
	// parley.DefaultReopenWindow (7 days) when missing.
	ReopenWindow map[int64]time.Duration
	// Capacity is how many open conversations each agent carries, by agent
	// id; parley.DefaultCapacity when missing or not positive.
	Capacity map[int64]int
	// Location is the time zone of hours of day and daily backlog samples;
	// nil: UTC.
	Location *time.Location
	// Now is what the report knows: events up to now are replayed (zero:
	// the period's end). A report describes its period as Parley knows it
	// now: a conversation resolved in the period and reopened since is no
	// longer counted as resolved there, and a promise due later than now
	// is not broken yet.
	Now time.Time
}

// Filter narrows a report; zero fields do not filter. Lists match any of
// their values.
type Filter struct {
	InboxIDs []int64              `json:"inbox_ids,omitempty"`
	Channels []parley.ChannelType `json:"channels,omitempty"`
	TeamID   int64                `json:"team_id,omitempty"`
	AgentID  int64                `json:"agent_id,omitempty"`
	Label    string               `json:"label,omitempty"`
	Priority parley.Priority      `json:"priority,omitempty"`
}

// FCRWindow is how long a resolution must stay unreopened to count as a
// first contact resolution.
const FCRWindow = 7 * 24 * time.Hour

// Report is the metrics of one period, ready to serve as JSON. Durations
// are in seconds.
type Report struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Filter Filter    `json:"filter"`

	// ResolutionTime is, per conversation resolved at to whose latest
	// resolution falls in the period, the total of its open spells: first
	// customer message to resolution, plus each reopening to the next
	// resolution. Pending and snoozed time inside a spell counts.
	ResolutionTime Times `json:"resolution_time"`
	// FirstResponseTime runs from a conversation's first customer message
	// to its first response (parley.IsResponse: an agent's reply, or one
	// made through an API token, even one tied to no agent;
	// acknowledgements and other messages Parley sends by itself do not
	// count). Every figure below that speaks of a reply means a response.
	// A response through a token tied to no agent counts in every total,
	// under no agent.
	FirstResponseTime Times `json:"first_response_time"`
	// NextResponseTime runs from each customer message that follows a
	// response (the first of a run) to the next response. Resolving
	// the conversation ends the wait without a sample: a closing "thanks"
	// needs no answer, and a reopening starts a new wait.
	NextResponseTime Times `json:"next_response_time"`

	Reopens                Reopens     `json:"reopens"`
	FirstContactResolution FCR         `json:"first_contact_resolution"`
	Agents                 []AgentLoad `json:"agents"`
	Volume                 Volume      `json:"volume"`
	// SLA is, by target (first_response, next_response, resolution), how
	// many conversations met and breached it, and the share met. Each
	// conversation counts once per target, at its latest outcome (its
	// latest sla.met or sla.breached event), in the period that outcome
	// falls in: a resolution met, then reopened and breached, counts as
	// breached, never as both. The drill-down ("sla") and the
	// conversations CSV show the same outcome per conversation.
	SLA map[string]Attainment `json:"sla"`
	// SLAByPolicy is the same by SLA policy and target (policy 0: none
	// recorded).
	SLAByPolicy []PolicyAttainment `json:"sla_by_policy"`
	// Promises are the acknowledgements' "we'll reply by": kept when a
	// response came by then (counted when it came), broken when the time
	// passed without one (counted at that time).
	Promises Promises `json:"promises"`
	// Daily is the period day by day (UTC days, the edge ones partial):
	// conversations created and resolved, and the mean resolution and first
	// response times of the day, for the trend charts.
	Daily []DayPoint `json:"daily"`
	// Surveys are the effort and satisfaction answers of the period.
	Surveys Surveys `json:"surveys"`
	// Unprojected counts the newest events not in these figures yet: the
	// pre-aggregated engine answered before its projection caught up (a
	// backfill after an upgrade, say). Zero almost always.
	Unprojected int64 `json:"unprojected_events,omitempty"`
	// Backlog is the open, pending and snoozed counts just before from,
	// each local midnight inside the period, and to.
	Backlog []BacklogSample `json:"backlog"`
}

// Times is a duration metric in calendar and business time.
type Times struct {
	Calendar Stats `json:"calendar"`
	Business Stats `json:"business"`
}

// Stats summarises durations. Median is the mean of the two middle values
// of an even count; P90 is the nearest-rank 90th percentile (the smallest
// value with at least 90% of the values at or below it). All are zero
// when Count is.
type Stats struct {
	Count  int      `json:"count"`
	Median Duration `json:"median"`
	P90    Duration `json:"p90"`
	Mean   Duration `json:"mean"`
}

// Duration is a time.Duration that is JSON seconds.
type Duration time.Duration

// MarshalJSON writes d as seconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, time.Duration(d).Seconds(), 'f', -1, 64), nil
}

// UnmarshalJSON reads seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s float64
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*d = Duration(s * float64(time.Second))
	return nil
}

// Reopens is the reopen rate: of the resolutions in the period, how many
// the customer reopened (a message within the inbox's reopen window) before
// to. WindowOpen counts resolutions whose window had not closed by to: they
// may still be reopened, and a later report of the same period will not
// see it (it reads nothing after to).
type Reopens struct {
	Resolutions int     `json:"resolutions"`
	Reopened    int     `json:"reopened"`
	Rate        float64 `json:"rate"`
	WindowOpen  int     `json:"window_open"`
}

// FCR is first contact resolution, judged at a conversation's first
// resolution, in the period of that resolution. It is resolved on first
// contact if exactly one response (parley.IsResponse) preceded that
// resolution and the customer did not reopen it within FCRWindow.
// Pending counts the conversations that may still count: one response,
// still resolved, window not passed (as of the report's now). The others
// are decided and Eligible: those that can never count (not exactly one
// response, or reopened by the customer within the window) at once, and
// those reopened otherwise (by an agent) or whose window has passed.
type FCR struct {
	Eligible int     `json:"eligible"`
	Resolved int     `json:"resolved"`
	Rate     float64 `json:"rate"`
	Pending  int     `json:"pending"`
}

// AgentLoad is an agent's concurrency over the period: the time-weighted
// average and the peak number of open conversations assigned to them, and
// occupancy = average / capacity.
type AgentLoad struct {
	AgentID   int64   `json:"agent_id"`
	Average   float64 `json:"average"`
	Peak      int     `json:"peak"`
	Capacity  int     `json:"capacity"`
	Occupancy float64 `json:"occupancy"`
}

// Volume counts conversations created in the period. A conversation counts
// once per label it has; ByTeam's key 0 is "no team"; ByHour is the hour
// of day of creation in Input.Location.
type Volume struct {
	Total     int                        `json:"total"`
	ByChannel map[parley.ChannelType]int `json:"by_channel"`
	ByInbox   map[int64]int              `json:"by_inbox"`
	ByTeam    map[int64]int              `json:"by_team"`
	ByLabel   map[string]int             `json:"by_label"`
	ByHour    [24]int                    `json:"by_hour"`
}

// BacklogSample is how many conversations were in each unresolved status
// just before At.
type BacklogSample struct {
	At      time.Time `json:"at"`
	Open    int       `json:"open"`
	Pending int       `json:"pending"`
	Snoozed int       `json:"snoozed"`
}

// matches reports whether a conversation's attributes pass f's attribute
// filters (not the agent filter).
func (f Filter) matches(c ConvInfo) bool {
	if len(f.InboxIDs) > 0 && !contains(f.InboxIDs, c.InboxID) {
		return false
	}
	if len(f.Channels) > 0 && !contains(f.Channels, c.Channel) {
		return false
	}
	if f.TeamID != 0 && c.TeamID != f.TeamID {
		return false
	}
	if f.Priority != "" && c.Priority != f.Priority {
		return false
	}
	if f.Label != "" && !contains(c.Labels, f.Label) {
		return false
	}
	return true
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Attainment is how often an SLA target was met.
type Attainment struct {
	Met      int     `json:"met"`
	Breached int     `json:"breached"`
	Rate     float64 `json:"rate"`
}

// Promises is how often reply-time promises were kept.
type Promises struct {
	Kept   int     `json:"kept"`
	Broken int     `json:"broken"`
	Rate   float64 `json:"rate"`
}

// PolicyAttainment is how often one policy's target was met.
type PolicyAttainment struct {
	PolicyID int64  `json:"policy_id"`
	Target   string `json:"target"`
	Attainment
}

// horizon returns the moment a report knows things as of, and the bound
// of the events it reads: before to when Now is not set, at or before
// Now when it is.
func (in Input) horizon(to time.Time) (now, limit time.Time) {
	if in.Now.IsZero() {
		return to, to
	}
	return in.Now, in.Now.Add(time.Nanosecond)
}

// DayPoint is one UTC day of a report.
type DayPoint struct {
	Day               time.Time `json:"day"` // midnight UTC
	Created           int       `json:"created"`
	Resolved          int       `json:"resolved"`
	ResolutionMean    Duration  `json:"resolution_mean"`
	FirstResponseMean Duration  `json:"first_response_mean"`
}

// dailyAcc sums a report's days.
type dailyAcc struct {
	created, resolved, responded map[int64]int
	resSum, respSum              map[int64]time.Duration
}

func newDaily() *dailyAcc {
	return &dailyAcc{created: map[int64]int{}, resolved: map[int64]int{}, responded: map[int64]int{},
		resSum: map[int64]time.Duration{}, respSum: map[int64]time.Duration{}}
}

func utcDay(t time.Time) int64 { return t.Unix() / 86400 }

// points returns one point per UTC day overlapping [from, to).
func (d *dailyAcc) points(from, to time.Time) []DayPoint {
	out := []DayPoint{}
	if !from.Before(to) {
		return out
	}
	mean := func(sum time.Duration, n int) Duration {
		if n == 0 {
			return 0
		}
		return Duration(sum / time.Duration(n))
	}
	for day := utcDay(from); day <= utcDay(to.Add(-time.Nanosecond)); day++ {
		out = append(out, DayPoint{Day: time.Unix(day*86400, 0).UTC(), Created: d.created[day], Resolved: d.resolved[day],
			ResolutionMean: mean(d.resSum[day], d.resolved[day]), FirstResponseMean: mean(d.respSum[day], d.responded[day])})
	}
	return out
}
