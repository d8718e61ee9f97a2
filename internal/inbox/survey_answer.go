package inbox

import (
	"context"
	"strings"
	"unicode"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Answer channels: where an answer came from. Answers given on a chat
// channel get the next question (or the thanks) on the same channel; the
// widget and the public page ask the next question themselves.
const (
	ViaPage   = "page"
	ViaWidget = "widget"
)

// AnswerSurvey records an answer authenticated by a survey's token. Each
// score and the comment are recorded once: the first CES wins, CSAT and
// a comment may come later, and a repeated submission changes nothing
// (so a replayed link, a double tap or a provider's retry is harmless).
// inboxID, when not 0, is the inbox the answer arrived on; a token of
// another inbox's survey is not found there. via names the channel
// ("page", "widget", or a channel type); on chat channels the next
// question or the thanks follows. Returns ENOTFOUND for an unknown token
// or a survey that was never sent, ECONFLICT for one closed to answers,
// EINVALID for a score outside 1–5.
func (s *Service) AnswerSurvey(ctx context.Context, token string, inboxID int64, a parley.SurveyAnswer, via string) (sv parley.Survey, err error) {
	a.Comment = strings.TrimSpace(a.Comment)
	if err := a.Validate(); err != nil {
		return sv, err
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if sv, err = tx.SurveyByToken(token); err != nil {
			return err
		}
		if sv.Status != parley.SurveySent || (inboxID != 0 && sv.InboxID != inboxID) {
			return parley.Errorf(parley.ENOTFOUND, "no such survey")
		}
		if sv.SentAt != nil && tx.Now().Sub(*sv.SentAt) > SurveyAnswerWindow {
			return parley.Errorf(parley.ECONFLICT, "this survey is closed")
		}
		return s.applyAnswer(tx, &sv, a, via)
	})
	return sv, err
}

// AnswerDigit reads a text from an SMS or Zalo contact as the answer to
// their pending survey: a single digit 1–5, with at most spaces and
// punctuation around it, while a survey sent to them on this inbox in
// the last SurveyDigitWindow still has a score open and its conversation
// was not reopened. handled is false for anything else, which is then an
// ordinary message. externalID is the provider's id of the message: the
// same delivery again records nothing.
func (s *Service) AnswerDigit(ctx context.Context, inboxID int64, k store.ContactKey, externalID, text, via string) (handled bool, err error) {
	n, ok := surveyDigit(text)
	if !ok {
		return false, nil
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		handled = false
		sv, err := tx.PendingSurveyFor(inboxID, k, tx.Now().Add(-SurveyDigitWindow))
		if parley.ErrorCode(err) == parley.ENOTFOUND {
			return nil
		}
		if err != nil {
			return err
		}
		if externalID != "" {
			if seen, err := tx.SurveyReplySeen(sv.ID, externalID); err != nil || seen {
				handled = seen
				return err
			}
		}
		var a parley.SurveyAnswer
		if sv.Next() == parley.QuestionCSAT {
			a.CSAT = &n
		} else {
			a.CES = &n
		}
		handled = true
		return s.applyAnswer(tx, &sv, a, via)
	})
	return handled, err
}

// surveyDigit returns the digit of a text that is one digit 1–5 and
// otherwise only spaces and punctuation ("3", " 4. ", "5!").
func surveyDigit(text string) (int, bool) {
	n := 0
	for _, r := range text {
		switch {
		case r >= '1' && r <= '5' && n == 0:
			n = int(r - '0')
		case unicode.IsSpace(r) || unicode.IsPunct(r):
		default:
			return 0, false
		}
	}
	return n, n != 0
}

// applyAnswer records what is new in a and, on a chat channel, sends
// what comes next; it appends a survey.answered event when anything
// changed.
func (s *Service) applyAnswer(tx *store.Tx, sv *parley.Survey, a parley.SurveyAnswer, via string) error {
	changed := map[string]any{}
	if a.CES != nil && sv.CES == nil {
		sv.CES = a.CES
		changed["ces"] = *a.CES
	}
	if a.CSAT != nil && sv.CSAT == nil && sv.AskCSAT {
		sv.CSAT = a.CSAT
		changed["csat"] = *a.CSAT
	}
	if a.Comment != "" && sv.Comment == "" {
		sv.Comment = a.Comment
		changed["comment"] = true
	}
	if len(changed) == 0 {
		return nil
	}
	now := tx.Now()
	if sv.AnsweredAt == nil {
		sv.AnsweredAt = &now
	}
	if err := tx.SaveSurveyAnswer(sv); err != nil {
		return err
	}
	changed["survey_id"], changed["via"], changed["agent_id"] = sv.ID, via, sv.AgentID
	if err := tx.AppendEvent(&parley.Event{Type: parley.EventSurveyAnswered, ConversationID: &sv.ConversationID,
		ContactID: &sv.ContactID}, changed); err != nil {
		return err
	}
	if via == ViaPage || via == ViaWidget || (changed["ces"] == nil && changed["csat"] == nil) {
		return nil
	}
	c, err := tx.Conversation(sv.ConversationID)
	if err != nil {
		return err
	}
	in, err := tx.Inbox(c.InboxID)
	if err != nil {
		return err
	}
	_, err = s.surveyMessage(tx, c, in, *sv, sv.Next())
	if code := parley.ErrorCode(err); code == parley.ECONFLICT || code == parley.EINVALID {
		return nil // the channel will not carry it now (a closed window): the answer still counts
	}
	return err
}
