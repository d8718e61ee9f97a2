package web

import (
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// ConvView is an open conversation: header with actions, the timeline,
// the composer and the contact panel.
type ConvView struct {
	CSRF         string
	Conv         parley.Conversation
	Contact      parley.Contact
	ContactName  string
	Inbox        parley.Inbox
	AssigneeName string
	TeamName     string
	Me           int64
	Items        []Item
	Agents       []parley.Agent
	Teams        []parley.Team
	Canned       []CannedView
	Past         []PastConv
	Merges       []MergeView
	ViewQuery    string
	Now          time.Time
	// SLA is the nearest SLA target; Queued and QueuePos the conversation's
	// place in the queue (QueuePos 0: beyond the part that was read).
	SLA      *SLABadge
	Queued   bool
	QueuePos int
	// QueuedFor is the agent a reopened conversation is held for.
	QueuedFor string
	// Reply lists the channels the composer can send through, the
	// conversation's own first, each with its window and templates.
	Reply []gateway.ReplyOption
	// Surveys are this conversation's effort and satisfaction surveys,
	// newest resolution first.
	Surveys []SurveyView
	// Approvals are the replies waiting for approval here, and the
	// agent's own sent back (rejected, or voided by a change).
	Approvals []ApprovalView
	// RemoteAgents are the outside agents the agent may ask about it.
	RemoteAgents []string
	// Visit is where a widget visitor was when they last wrote.
	Visit *parley.Visit
}

// SurveyView is one survey in the contact panel.
type SurveyView struct {
	Effort, Satisfaction string // "2/5", "" when not answered
	Comment              string
	Status               string // sent or skipped
	SkipReason           string
	Agent                string
	At                   time.Time
	Answered             bool
}

// Item is one entry of the timeline: a separator that starts a
// conversation, or a message.
type Item struct {
	Separator *Separator
	Msg       *MessageView
	Activity  *ActivityView
}

// Separator introduces one of the contact's conversations in the timeline.
type Separator struct {
	ConvID    int64
	InboxName string
	Channel   parley.ChannelType
	Status    parley.Status
	Current   bool
	At        time.Time
}

// MessageView is a message as the timeline shows it.
type MessageView struct {
	ID            int64
	Direction     parley.Direction
	Author        string
	Segments      []Segment
	Attachments   []AttachmentView
	Delivery      parley.DeliveryState
	DeliveryError string
	At            time.Time
	Channel       parley.ChannelType
	InboxName     string
	// Automated is set on Parley's own messages (acknowledgements,
	// surveys): shown as "Parley · Automatic", not as an API caller's.
	Automated bool
	// Via names the channel an outgoing message went through when it is
	// not the conversation's own (continued on WhatsApp, or SMS fallback).
	Via string
	// Notices are this reply's failed (or retried) notices to a visitor
	// who left; Retry is set while a failing send waits to be tried again
	// (notices.go).
	Notices []NoticeView
	Retry   *RetryView
	// Omitted is what the channel could not keep of an incoming message
	// (an email's files over the size limits), with the reason.
	Omitted []OmittedView
}

// OmittedView is a part of a message that was left out.
type OmittedView struct {
	Name string
	Size int64
	Why  string
}

// AttachmentView is a file on a message: an image or video shown inline,
// or a download link.
type AttachmentView struct {
	ID   int64
	Name string
	Size int64
	Kind string // image, video, file
	URL  string
	// Length is a video's "m:ss" when known: a browser's recording does
	// not tell the player until it has been played through.
	Length string
}

// CannedView is a canned response with its variables filled in for this
// conversation's contact and the signed-in agent.
type CannedView struct {
	Shortcut string
	Title    string
	Text     string
	Clip     *parley.Clip // offered as an attachment when inserted
}

// PastConv is another conversation of the contact.
type PastConv struct {
	ID        int64
	Status    parley.Status
	InboxName string
	At        time.Time
	Href      string
	Current   bool
}

// MergeView is a contact merged into this one, with its undo.
type MergeView struct {
	ID         int64
	SourceID   int64
	At         time.Time
	Undone     bool
	Moved      int
	Identities int
}

// maxTimelineConversations bounds how many of a contact's conversations
// the timeline loads.
const maxTimelineConversations = 20

func (s *Server) conversation(r *http.Request, id int64, v View, l lookups, agents []parley.Agent, teams []parley.Team) (cv ConvView, err error) {
	u, _ := userFrom(r)
	ctx := r.Context()
	c, err := s.DB.Conversation(ctx, id)
	if err != nil {
		return cv, err
	}
	contact, err := s.DB.Contact(ctx, c.ContactID)
	if err != nil {
		return cv, err
	}
	cv = ConvView{CSRF: u.Session.CSRFToken, Conv: c, Contact: contact, ContactName: contactName(contact), Inbox: l.inboxes[c.InboxID],
		Me: u.Agent.ID, Teams: teams, ViewQuery: v.Encode(), Now: s.DB.Now()}
	for _, a := range agents {
		if a.Active {
			cv.Agents = append(cv.Agents, a)
		}
	}
	cv.SLA, cv.Queued = slaBadge(c, cv.Now), c.QueuedAt != nil
	if cv.Queued {
		pos, err := s.queuePositions(r)
		if err != nil {
			return cv, err
		}
		cv.QueuePos = pos[c.ID]
		if c.QueuedFor != nil {
			cv.QueuedFor = l.agents[*c.QueuedFor].Name
		}
	}
	if c.AssigneeID != nil {
		cv.AssigneeName = l.agents[*c.AssigneeID].Name
	}
	if c.TeamID != nil {
		cv.TeamName = l.teams[*c.TeamID].Name
	}
	// The contact's other conversations (every channel) and this one's
	// linked chain make one timeline.
	page, err := s.DB.Conversations(ctx, parley.ConversationFilter{ContactID: c.ContactID, Limit: maxTimelineConversations})
	if err != nil {
		return cv, err
	}
	convs := map[int64]parley.Conversation{c.ID: c}
	for _, pc := range page.Conversations {
		convs[pc.ID] = pc
		cv.Past = append(cv.Past, PastConv{ID: pc.ID, Status: pc.Status, InboxName: l.inboxes[pc.InboxID].Name, At: pc.LastActivityAt,
			Href: convHref(pc.ID, cv.ViewQuery), Current: pc.ID == c.ID})
	}
	history, err := s.Inbox.History(ctx, c.ID)
	if err != nil {
		return cv, err
	}
	ids := []int64{}
	for cid := range convs {
		ids = append(ids, cid)
	}
	others, err := s.DB.Messages(ctx, ids)
	if err != nil {
		return cv, err
	}
	msgs := mergeMessages(history, others)
	for _, m := range msgs {
		if _, ok := convs[m.ConversationID]; !ok {
			if pc, err := s.DB.Conversation(ctx, m.ConversationID); err == nil {
				convs[pc.ID] = pc
			}
		}
	}
	// Someone other than the contact may write into a thread (an email
	// reply-all, the customer's other address): name them, not the contact.
	senders := map[int64]parley.Contact{contact.ID: contact}
	for _, m := range msgs {
		if id := m.AuthorContactID; id != nil && m.Direction == parley.Incoming {
			if _, ok := senders[*id]; !ok {
				if ct, err := s.DB.Contact(ctx, *id); err == nil {
					if ct.MergedInto == nil { // a merged one is the contact now
						senders[*id] = ct
					} else {
						senders[*id] = parley.Contact{}
					}
				} else if parley.ErrorCode(err) != parley.ENOTFOUND {
					return cv, err
				}
			}
		}
	}
	convIDs := make([]int64, 0, len(convs))
	for id := range convs {
		convIDs = append(convIDs, id)
	}
	events, err := s.DB.ConversationActivity(ctx, convIDs)
	if err != nil {
		return cv, err
	}
	cv.Items = s.timeline(msgs, events, convs, c.ID, contact, senders, l)
	if err := s.attachFailures(ctx, cv.Items, convIDs); err != nil {
		return cv, err
	}
	if cv.Surveys, err = s.surveyViews(r, c.ID, l); err != nil {
		return cv, err
	}
	if err := s.panelExtras(ctx, &cv); err != nil {
		return cv, err
	}
	var lastReply time.Time
	for _, m := range msgs {
		if m.ConversationID == c.ID && m.Direction == parley.Outgoing && m.CreatedAt.After(lastReply) {
			lastReply = m.CreatedAt
		}
	}
	if cv.Approvals, err = s.conversationApprovals(ctx, actorFrom(r), c.ID, lastReply, l); err != nil {
		return cv, err
	}
	canned, err := s.DB.CannedResponses(ctx)
	if err != nil {
		return cv, err
	}
	for _, cr := range canned {
		cv.Canned = append(cv.Canned, CannedView{Shortcut: cr.Shortcut, Title: cr.Title, Text: inbox.FillCanned(cr.Body, contact, u.Agent), Clip: cr.Clip})
	}
	if s.Gateway != nil {
		list := make([]parley.Inbox, 0, len(l.inboxes))
		for _, in := range l.inboxes {
			list = append(list, in)
		}
		sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
		if cv.Reply, err = s.Gateway.ReplyOptions(ctx, c, contact, list); err != nil {
			return cv, err
		}
	}
	merges, err := s.DB.ContactMerges(ctx, contact.ID)
	if err != nil {
		return cv, err
	}
	for _, m := range merges {
		if m.TargetID != contact.ID {
			continue
		}
		cv.Merges = append(cv.Merges, MergeView{ID: m.ID, SourceID: m.SourceID, At: m.CreatedAt, Undone: m.UnmergedAt != nil,
			Moved: len(m.ConversationIDs), Identities: len(m.IdentityIDs)})
	}
	return cv, nil
}

// mergeMessages joins two message lists without duplicates, in time order.
func mergeMessages(a, b []parley.Message) []parley.Message {
	seen := map[int64]bool{}
	var out []parley.Message
	for _, list := range [][]parley.Message{a, b} {
		for _, m := range list {
			if !seen[m.ID] {
				seen[m.ID] = true
				out = append(out, m)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// timeline interleaves the messages and the activity lines of the
// contact's conversations in time order (a message before a change made
// in the same instant), with a separator where the conversation changes.
func (s *Server) timeline(msgs []parley.Message, events []parley.Event, convs map[int64]parley.Conversation, current int64, contact parley.Contact, senders map[int64]parley.Contact, l lookups) []Item {
	var items []Item
	last := int64(-1)
	open := func(convID int64, at time.Time) {
		if convID == last {
			return
		}
		c := convs[convID]
		in := l.inboxes[c.InboxID]
		items = append(items, Item{Separator: &Separator{ConvID: c.ID, InboxName: in.Name, Channel: in.ChannelType, Status: c.Status,
			Current: c.ID == current, At: at}})
		last = convID
	}
	ei := 0
	flush := func(before *time.Time) {
		for ; ei < len(events) && (before == nil || events[ei].CreatedAt.Before(*before)); ei++ {
			ev := events[ei]
			if ev.ConversationID == nil {
				continue
			}
			if _, known := convs[*ev.ConversationID]; !known {
				continue
			}
			if a, ok := activity(ev, l); ok {
				open(*ev.ConversationID, ev.CreatedAt)
				items = append(items, Item{Activity: &a})
			}
		}
	}
	for _, m := range msgs {
		flush(&m.CreatedAt)
		c := convs[m.ConversationID]
		in := l.inboxes[c.InboxID]
		open(m.ConversationID, m.CreatedAt)
		items = append(items, Item{Msg: s.messageView(m, c, in, contact, senders, l)})
	}
	flush(nil)
	return items
}

func (s *Server) messageView(m parley.Message, c parley.Conversation, in parley.Inbox, contact parley.Contact, senders map[int64]parley.Contact, l lookups) *MessageView {
	mv := MessageView{ID: m.ID, Direction: m.Direction, Segments: segments(m.Text), Delivery: m.DeliveryState,
		DeliveryError: m.DeliveryError, At: m.CreatedAt, Channel: in.ChannelType, InboxName: in.Name, Automated: m.Automated}
	switch {
	case m.AuthorAgentID != nil:
		mv.Author = l.agents[*m.AuthorAgentID].Name
	case m.Direction == parley.Incoming && m.AuthorContactID != nil && senders[*m.AuthorContactID].ID != 0:
		mv.Author = contactName(senders[*m.AuthorContactID])
	case m.Direction == parley.Incoming:
		mv.Author = contactName(contact)
	case m.Automated:
		mv.Author = "Parley"
	default:
		mv.Author = "API"
	}
	if m.InboxID != 0 && m.InboxID != c.InboxID {
		mv.Via = l.inboxes[m.InboxID].Name
	}
	for _, a := range m.Attachments {
		mv.Attachments = append(mv.Attachments, AttachmentView{ID: a.ID, Name: a.Filename, Size: a.Size, Kind: attachmentKind(a.ContentType),
			URL: "/app/attachments/" + strconv.FormatInt(a.ID, 10), Length: parley.VideoLength(a.DurationMS)})
	}
	for _, o := range m.Omitted {
		mv.Omitted = append(mv.Omitted, OmittedView{Name: o.Filename, Size: o.Size, Why: o.Explain()})
	}
	return &mv
}

// inlineTypes are the sniffed types shown inline; everything else
// (SVG and HTML included) is only ever a download.
var inlineTypes = map[string]string{
	"image/png": "image", "image/jpeg": "image", "image/gif": "image", "image/webp": "image",
	"video/mp4": "video", "video/webm": "video", "audio/mpeg": "file",
}

func attachmentKind(ct string) string {
	ct, _, _ = strings.Cut(ct, ";")
	if k, ok := inlineTypes[strings.TrimSpace(ct)]; ok {
		return k
	}
	return "file"
}

func (s *Server) loadConversation(r *http.Request) (ConvView, error) {
	id, err := pathID(r)
	if err != nil {
		return ConvView{}, err
	}
	v, err := parseView(r)
	if err != nil {
		return ConvView{}, err
	}
	l, _, agents, teams, err := s.lookups(r)
	if err != nil {
		return ConvView{}, err
	}
	return s.conversation(r, id, v, l, agents, teams)
}

// conversationPage is the inbox with one conversation open.
func (s *Server) conversationPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	s.markRead(r, id)
	return s.inboxOrConversation(w, r, id)
}

func (s *Server) timelinePartial(w http.ResponseWriter, r *http.Request) error {
	cv, err := s.loadConversation(r)
	if err != nil {
		return err
	}
	// The timeline refreshes while the agent has the conversation open:
	// what it shows them is read.
	s.markRead(r, cv.Conv.ID)
	return s.render(w, r, http.StatusOK, "partials", "timeline", cv)
}

// markRead records that the agent has the conversation open now; a
// failure only leaves a marker that should have gone, so it is logged.
func (s *Server) markRead(r *http.Request, id int64) {
	if a := actorFrom(r); a.AgentID != nil {
		if err := s.DB.MarkRead(r.Context(), *a.AgentID, id); err != nil && parley.ErrorCode(err) != parley.ENOTFOUND {
			slog.Warn("web: mark read", "conversation", id, "err", err)
		}
	}
}

func (s *Server) metaPartial(w http.ResponseWriter, r *http.Request) error {
	cv, err := s.loadConversation(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "partials", "meta", cv)
}

// surveyViews reads a conversation's surveys for the contact panel.
func (s *Server) surveyViews(r *http.Request, convID int64, l lookups) ([]SurveyView, error) {
	list, err := s.DB.Surveys(r.Context(), convID)
	if err != nil {
		return nil, err
	}
	out := make([]SurveyView, 0, len(list))
	score := func(v *int) string {
		if v == nil {
			return ""
		}
		return strconv.Itoa(*v) + "/5"
	}
	for _, sv := range list {
		v := SurveyView{Effort: score(sv.CES), Satisfaction: score(sv.CSAT), Comment: sv.Comment, Status: sv.Status,
			SkipReason: sv.SkipReason, At: sv.CreatedAt, Answered: sv.AnsweredAt != nil}
		if sv.SentAt != nil {
			v.At = *sv.SentAt
		}
		if sv.AgentID != nil {
			v.Agent = l.agents[*sv.AgentID].Name
		}
		out = append(out, v)
	}
	return out, nil
}
