package inbox

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Surveys: when a conversation that an agent answered becomes resolved,
// the transaction that resolves it enqueues a survey.send job at the
// resolution plus the inbox's delay, so an immediate reopen or undo makes
// it moot. The job re-checks everything (still resolved by the same
// resolution, not surveyed yet, the contact's cooldown, the channel's
// window and opt-outs) and then writes the question as Parley's own
// message, with the survey row and its event, in one transaction. The
// question answers nothing (no first response, no SLA), and the
// conversation itself is left exactly as it was.

// JobSurveySend sends the survey of one resolution.
const JobSurveySend = "survey.send"

// SurveyAnswerWindow is how long after it was sent a survey takes answers.
const SurveyAnswerWindow = 30 * 24 * time.Hour

// SurveyDigitWindow is how long a bare digit texted back (SMS, Zalo) is
// read as the answer to a survey rather than as a message.
const SurveyDigitWindow = 3 * 24 * time.Hour

// Choice is an answer a channel offers as a button, list row, quick
// reply or suggestion; ID comes back when the customer taps it.
type Choice struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type surveyPayload struct {
	ConversationID int64 `json:"conversation_id"`
	ResolvedAt     int64 `json:"resolved_at"` // Unix µs: the resolution the job is about
}

// surveyChannels are the channels a survey can be asked on; an API
// inbox's customers are the business's system's to ask.
func surveyChannel(t parley.ChannelType) bool { return t != parley.ChannelAPI && t.Valid() }

// scheduleSurvey enqueues the survey of a conversation that just became
// resolved, if an agent had answered it and its inbox sends surveys.
func (s *Service) scheduleSurvey(tx *store.Tx, in parley.Inbox, before parley.Conversation, c parley.Conversation) error {
	if c.Status != parley.StatusResolved || before.Status == parley.StatusResolved || c.ResolvedAt == nil ||
		c.FirstResponseAt == nil || !in.Routing.Survey.Enabled() || !surveyChannel(in.ChannelType) {
		return nil
	}
	return s.enqueue(tx, JobSurveySend, surveyPayload{ConversationID: c.ID, ResolvedAt: c.ResolvedAt.UnixMicro()},
		c.ResolvedAt.Add(in.Routing.Survey.Delay()), 5)
}

// SendSurvey is the survey.send job. It does nothing when the
// conversation was reopened (or resolved again) since, or this resolution
// already has a survey; it records a skipped survey, with the reason,
// when the contact had one within the cooldown or the channel cannot
// deliver now (a closed window, an opt-out, no address).
func (s *Service) SendSurvey(ctx context.Context, payload string) error {
	var p surveyPayload
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		return &PermanentError{err}
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		c, err := tx.Conversation(p.ConversationID)
		if parley.ErrorCode(err) == parley.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		if c.Status != parley.StatusResolved || c.ResolvedAt == nil || c.ResolvedAt.UnixMicro() != p.ResolvedAt {
			return nil // reopened or re-resolved since: that resolution has its own job
		}
		if _, err := tx.SurveyForResolution(c.ID, *c.ResolvedAt); err == nil {
			return nil // sent (or skipped) by an earlier run
		} else if parley.ErrorCode(err) != parley.ENOTFOUND {
			return err
		}
		in, err := tx.Inbox(c.InboxID)
		if err != nil {
			return err
		}
		if !in.Routing.Survey.Enabled() {
			return nil // turned off since
		}
		contact, err := tx.Contact(c.ContactID)
		if err != nil {
			return err
		}
		token, err := newSurveyToken()
		if err != nil {
			return err
		}
		sv := parley.Survey{ConversationID: c.ID, ContactID: c.ContactID, InboxID: c.InboxID, AgentID: c.AssigneeID,
			ResolvedAt: *c.ResolvedAt, Token: token, Channel: string(in.ChannelType),
			Language: SurveyPhrasesFor(contact.Language).Lang, AskCSAT: in.Routing.Survey.AsksCSAT()}
		now := tx.Now()
		if cd := in.Routing.Survey.Cooldown(); cd > 0 {
			last, ok, err := tx.LastSurveySentTo(contact.ID)
			if err != nil {
				return err
			}
			if ok && now.Sub(last) < cd {
				return skipSurvey(tx, &sv, fmt.Sprintf("cooldown: the contact was surveyed on %s", last.Format(time.DateOnly)))
			}
		}
		m, err := s.surveyMessage(tx, c, in, sv, parley.QuestionCES)
		if code := parley.ErrorCode(err); code == parley.ECONFLICT || code == parley.EINVALID {
			return skipSurvey(tx, &sv, "the channel cannot deliver: "+parley.ErrorMessage(err))
		}
		if err != nil {
			return err
		}
		sv.Status, sv.SentAt, sv.MessageID = parley.SurveySent, &now, &m.ID
		if err := tx.CreateSurvey(&sv); err != nil {
			return err
		}
		return tx.AppendEvent(&parley.Event{Type: parley.EventSurveySent, ConversationID: &c.ID, ContactID: &c.ContactID, MessageID: &m.ID},
			map[string]any{"survey_id": sv.ID, "channel": sv.Channel, "agent_id": sv.AgentID})
	})
}

func skipSurvey(tx *store.Tx, sv *parley.Survey, reason string) error {
	sv.Status, sv.SkipReason = parley.SurveySkipped, reason
	if err := tx.CreateSurvey(sv); err != nil {
		return err
	}
	return tx.AppendEvent(&parley.Event{Type: parley.EventSurveySkipped, ConversationID: &sv.ConversationID, ContactID: &sv.ContactID},
		map[string]any{"survey_id": sv.ID, "reason": reason})
}

func newSurveyToken() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("inbox: survey token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// surveyTokenShape reports whether s could be a token newSurveyToken
// made (base64url, a few dozen characters). A provider hands choice ids
// back from anyone's tap, so anything else is refused before a lookup.
func surveyTokenShape(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// SurveyURL is the public page of a survey, optionally with a score
// chosen for a question.
func (s *Service) SurveyURL(token, question string, score int) string {
	base := ""
	if s.BaseURL != nil {
		base = strings.TrimRight(s.BaseURL(), "/")
	}
	u := base + "/survey/" + token
	if question != "" {
		u += fmt.Sprintf("?%s=%d", question, score)
	}
	return u
}

// ChoiceID is the id a channel carries back for a score: survey:<token>:<question>:<score>.
func ChoiceID(token, question string, score int) string {
	return fmt.Sprintf("survey:%s:%s:%d", token, question, score)
}

// ParseChoiceID reads a ChoiceID; ok is false for anything else.
func ParseChoiceID(id string) (token string, a parley.SurveyAnswer, ok bool) {
	parts := strings.Split(id, ":")
	if len(parts) != 4 || parts[0] != "survey" || !surveyTokenShape(parts[1]) || len(parts[3]) != 1 || parts[3][0] < '1' || parts[3][0] > '5' {
		return "", a, false
	}
	n := int(parts[3][0] - '0')
	switch parts[2] {
	case parley.QuestionCES:
		a.CES = &n
	case parley.QuestionCSAT:
		a.CSAT = &n
	default:
		return "", a, false
	}
	return parts[1], a, true
}

// surveyMessage writes a survey question (or, with question "", the
// closing thanks) as Parley's own outgoing message on the conversation's
// channel, with the job that sends it. Unlike a reply, it leaves the
// conversation untouched: no activity, no response, no reopening. A
// channel that cannot carry it now refuses it with ECONFLICT or EINVALID
// (from Admit), and nothing is written.
func (s *Service) surveyMessage(tx *store.Tx, c parley.Conversation, in parley.Inbox, sv parley.Survey, question string) (parley.Message, error) {
	ph := SurveyPhrasesFor(sv.Language)
	out := Outgoing{Automated: true}
	if question == "" {
		out.Text = ph.Thanks
		if in.ChannelType != parley.ChannelWidget {
			out.Text += "\n" + fmt.Sprintf(ph.CommentLink, s.SurveyURL(sv.Token, "", 0))
		}
	} else {
		out.Text = ph.Question(question)
		labels := ph.Labels(question)
		switch in.ChannelType {
		case parley.ChannelSMS, parley.ChannelZalo:
			reply := ph.ReplyCES
			if question == parley.QuestionCSAT {
				reply = ph.ReplyCSAT
			}
			out.Text += "\n" + reply
		case parley.ChannelEmail:
			out.Text += "\n\n" + ph.Links + "\n"
			for i, l := range labels {
				out.Text += fmt.Sprintf("\n%d – %s: %s", i+1, l, s.SurveyURL(sv.Token, question, i+1))
			}
		default: // widget, WhatsApp, Messenger, RCS: buttons
			for i, l := range labels {
				out.Choices = append(out.Choices, Choice{ID: ChoiceID(sv.Token, question, i+1), Title: fmt.Sprintf("%d · %s", i+1, l)})
			}
			out.ChoicesLabel = ph.Choose
		}
	}
	m := parley.Message{Direction: parley.Outgoing, Text: out.Text, Automated: true}
	job, err := s.route(tx, c, &out, &m)
	if err != nil {
		return m, err
	}
	if err := tx.CreateMessage(&c, &m); err != nil {
		return m, err
	}
	if job != "" {
		if err := s.enqueue(tx, job, SendPayload{MessageID: m.ID}, tx.Now(), 8); err != nil {
			return m, err
		}
	}
	return m, nil
}
