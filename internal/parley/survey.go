package parley

import (
	"encoding/json"
	"time"
	"unicode/utf8"
)

// Survey statuses. A resolution that was considered but not surveyed
// (cooldown, closed window, opt-out) is kept as skipped, with the reason,
// so that agents and reports can tell "not asked" from "not answered".
const (
	SurveySent    = "sent"
	SurveySkipped = "skipped"
)

// Survey questions.
const (
	QuestionCES  = "ces"  // customer effort: 1 = very easy … 5 = very hard
	QuestionCSAT = "csat" // satisfaction: 1 = very unsatisfied … 5 = very satisfied
)

// CESGoal is the mean effort score a team aims to stay under.
const CESGoal = 2.0

// MaxSurveyComment bounds a survey comment, in bytes.
const MaxSurveyComment = 2000

// Survey is the customer effort (and optionally satisfaction) question
// sent after one resolution of a conversation, and its answers. It is
// tied to the agent the conversation was assigned to at the resolution.
type Survey struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	ContactID      int64     `json:"contact_id"`
	InboxID        int64     `json:"inbox_id"`
	AgentID        *int64    `json:"agent_id"`
	ResolvedAt     time.Time `json:"resolved_at"`
	// Token authenticates the customer's answers; it is theirs, not the
	// team's, so the API never shows it.
	Token      string     `json:"-"`
	Channel    string     `json:"channel"`
	Status     string     `json:"status"`
	SkipReason string     `json:"skip_reason,omitempty"`
	MessageID  *int64     `json:"message_id,omitempty"`
	Language   string     `json:"language"`
	AskCSAT    bool       `json:"ask_csat"`
	SentAt     *time.Time `json:"sent_at"`
	CES        *int       `json:"ces"`
	CSAT       *int       `json:"csat"`
	Comment    string     `json:"comment"`
	AnsweredAt *time.Time `json:"answered_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

// Next is the question still open on a sent survey: CES first, then
// CSAT when asked; "" when there is nothing left to score.
func (s Survey) Next() string {
	switch {
	case s.Status != SurveySent:
		return ""
	case s.CES == nil:
		return QuestionCES
	case s.AskCSAT && s.CSAT == nil:
		return QuestionCSAT
	}
	return ""
}

// SurveyAnswer is one submission: any of the scores and a comment. Each
// is recorded once; a later different value for the same question is
// ignored, so a replayed link or a double tap changes nothing.
type SurveyAnswer struct {
	CES     *int   `json:"ces,omitempty"`
	CSAT    *int   `json:"csat,omitempty"`
	Comment string `json:"comment,omitempty"`
}

// Validate checks the scores (1–5) and the comment's length.
func (a SurveyAnswer) Validate() error {
	for _, v := range []*int{a.CES, a.CSAT} {
		if v != nil && (*v < 1 || *v > 5) {
			return Errorf(EINVALID, "scores are between 1 and 5")
		}
	}
	if !utf8.ValidString(a.Comment) {
		return Errorf(EINVALID, "the comment is not valid UTF-8")
	}
	if len(a.Comment) > MaxSurveyComment {
		return Errorf(EINVALID, "a comment is at most %d characters", MaxSurveyComment)
	}
	if a.CES == nil && a.CSAT == nil && a.Comment == "" {
		return Errorf(EINVALID, "the answer is empty")
	}
	return nil
}

// SurveySettings are an inbox's survey settings, part of its Routing.
// The zero value is Parley's default: surveys on, with CSAT, a 14-day
// cooldown per contact, sent 5 minutes after the resolution (so an
// immediate reopen or undo cancels it). In JSON they read as enabled,
// csat, cooldown_days and delay_minutes, missing fields taking the
// defaults.
type SurveySettings struct {
	Off          bool // no surveys from this inbox
	NoCSAT       bool // ask effort only
	CooldownDays *int // nil: DefaultSurveyCooldownDays; 0: none
	DelayMinutes *int // nil: DefaultSurveyDelayMinutes
}

// Survey defaults.
const (
	DefaultSurveyCooldownDays = 14
	DefaultSurveyDelayMinutes = 5
)

// Enabled reports whether the inbox sends surveys.
func (s SurveySettings) Enabled() bool { return !s.Off }

// AsksCSAT reports whether the satisfaction question follows the effort one.
func (s SurveySettings) AsksCSAT() bool { return !s.NoCSAT }

// Cooldown is the least time between two surveys to one contact.
func (s SurveySettings) Cooldown() time.Duration {
	d := DefaultSurveyCooldownDays
	if s.CooldownDays != nil {
		d = *s.CooldownDays
	}
	return time.Duration(d) * 24 * time.Hour
}

// Delay is how long after a resolution the survey goes out.
func (s SurveySettings) Delay() time.Duration {
	m := DefaultSurveyDelayMinutes
	if s.DelayMinutes != nil {
		m = *s.DelayMinutes
	}
	return time.Duration(m) * time.Minute
}

// CooldownDaysValue and DelayMinutesValue are the effective numbers, for
// forms.
func (s SurveySettings) CooldownDaysValue() int { return int(s.Cooldown() / (24 * time.Hour)) }
func (s SurveySettings) DelayMinutesValue() int { return int(s.Delay() / time.Minute) }

type surveySettingsJSON struct {
	Enabled      *bool `json:"enabled"`
	CSAT         *bool `json:"csat"`
	CooldownDays *int  `json:"cooldown_days"`
	DelayMinutes *int  `json:"delay_minutes"`
}

// MarshalJSON writes the effective settings, defaults filled in.
func (s SurveySettings) MarshalJSON() ([]byte, error) {
	on, csat := s.Enabled(), s.AsksCSAT()
	days, mins := s.CooldownDaysValue(), s.DelayMinutesValue()
	return json.Marshal(surveySettingsJSON{Enabled: &on, CSAT: &csat, CooldownDays: &days, DelayMinutes: &mins})
}

// UnmarshalJSON reads settings; missing fields keep their defaults.
func (s *SurveySettings) UnmarshalJSON(b []byte) error {
	var j surveySettingsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = SurveySettings{CooldownDays: j.CooldownDays, DelayMinutes: j.DelayMinutes}
	s.Off = j.Enabled != nil && !*j.Enabled
	s.NoCSAT = j.CSAT != nil && !*j.CSAT
	return nil
}

// Validate checks the ranges.
func (s SurveySettings) Validate() error {
	if s.CooldownDays != nil && (*s.CooldownDays < 0 || *s.CooldownDays > 365) {
		return Errorf(EINVALID, "the survey cooldown is between 0 and 365 days")
	}
	if s.DelayMinutes != nil && (*s.DelayMinutes < 0 || *s.DelayMinutes > 7*24*60) {
		return Errorf(EINVALID, "the survey delay is between 0 minutes and 7 days")
	}
	return nil
}
