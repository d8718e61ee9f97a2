package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/store"
)

// Failures are shown where the agent looks, on the message they concern:
// a reply's email notice that failed (with Retry), and a send that keeps
// failing while its job retries ("Retrying — reason, attempt n of m").

// NoticeView is a reply notice to a visitor who left, shown under the
// reply when it failed or is being sent again.
type NoticeView struct {
	ID        int64
	Channel   string
	Recipient string // masked: a***@example.com
	Status    string // failed, queued
	Reason    string
}

// RetryView is a queued message whose send failed and will be tried again.
type RetryView struct {
	Attempt, Of int
	Reason      string
	Next        time.Time
}

// attachFailures adds to the timeline's messages their failed notices and
// their sends' retries.
func (s *Server) attachFailures(ctx context.Context, items []Item, convIDs []int64) error {
	byID := map[int64]*MessageView{}
	var payloads []string
	for _, it := range items {
		if it.Msg == nil {
			continue
		}
		byID[it.Msg.ID] = it.Msg
		if it.Msg.Delivery == "queued" {
			b, _ := json.Marshal(inbox.SendPayload{MessageID: it.Msg.ID})
			payloads = append(payloads, string(b))
		}
	}
	notices, err := s.DB.NotificationsOf(ctx, convIDs)
	if err != nil {
		return err
	}
	for _, n := range notices {
		if n.MessageID == nil || (n.Status != store.NotificationFailed && n.Status != store.NotificationQueued) {
			continue
		}
		if m := byID[*n.MessageID]; m != nil {
			m.Notices = append(m.Notices, NoticeView{ID: n.ID, Channel: n.Channel, Recipient: maskAddress(n.Recipient), Status: n.Status, Reason: n.Reason})
		}
	}
	jobs, err := s.DB.RetryingJobs(ctx, inbox.JobChannelSend, payloads)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		var p inbox.SendPayload
		if json.Unmarshal([]byte(j.Payload), &p) != nil {
			continue
		}
		if m := byID[p.MessageID]; m != nil {
			reason := j.LastError
			if len(reason) > 300 {
				reason = reason[:300] + "…"
			}
			m.Retry = &RetryView{Attempt: j.Attempts, Of: j.MaxAttempts, Reason: reason, Next: j.RunAt}
		}
	}
	return nil
}

// maskAddress shows enough of an email address or phone number to tell
// which it was, and no more: a***@example.com, …4567.
func maskAddress(a string) string {
	if local, domain, ok := strings.Cut(a, "@"); ok && local != "" {
		r := []rune(local)
		return string(r[0]) + "***@" + domain
	}
	if r := []rune(a); len(r) > 4 {
		return "…" + string(r[len(r)-4:])
	}
	return a
}

// retryNotice sends a failed email notice again and redraws the timeline.
func (s *Server) retryNotice(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	n, err := s.Inbox.RetryNotification(r.Context(), actorFrom(r), id)
	if err != nil {
		return err
	}
	r.SetPathValue("id", strconv.FormatInt(n.ConversationID, 10))
	return s.done(w, r, n.ConversationID, "timeline")
}
