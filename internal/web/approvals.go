package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/approval"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// The approval queue, the banners a held reply leaves on its
// conversation, and the composer's gate.

// ApprovalView is one request as the queue and the conversation show it.
type ApprovalView struct {
	ID        int64
	State     string
	Reason    string
	Text      string // exactly what would be sent
	Files     int
	Note      string
	Asker     string
	Decider   string
	Approvers string // who may decide, for "Waiting for approval by …"
	ConvID    int64
	At        time.Time
	DecidedAt *time.Time
	CanDecide bool
	Mine      bool
	// Action is the approve button's words: a reply is sent, anything
	// else (a workflow's call, a proposed change) is done.
	Action string
}

func (s *Server) approvalView(actor inbox.Actor, r parley.ApprovalRequest, l lookups) ApprovalView {
	v := ApprovalView{ID: r.ID, State: string(r.State), Reason: r.Reason, Note: r.Note, At: r.CreatedAt, DecidedAt: r.DecidedAt,
		Asker: "a workflow", Decider: "Parley", Approvers: "an owner or admin", Action: "Approve"}
	if r.RequestedToken != 0 {
		v.Asker = "an API client"
	}
	if p, err := approval.ReplyPayloadOf(r); err == nil {
		v.Text, v.Files, v.Action = p.Text, len(p.Attachments), "Approve and send"
	} else {
		// Other kinds (a workflow's call) say what they do in text.
		var p struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(r.Payload, &p) == nil {
			v.Text = p.Text
		}
	}
	if r.ConversationID != nil {
		v.ConvID = *r.ConversationID
	}
	if r.RequestedBy != nil {
		v.Asker = l.agents[*r.RequestedBy].Name
		v.Mine = actor.AgentID != nil && *actor.AgentID == *r.RequestedBy
	}
	if r.DecidedBy != nil {
		v.Decider = l.agents[*r.DecidedBy].Name
	} else if r.DecidedToken != 0 {
		v.Decider = "an API client"
	}
	if len(r.ApproverIDs) > 0 {
		names := make([]string, 0, len(r.ApproverIDs))
		for _, id := range r.ApproverIDs {
			names = append(names, l.agents[id].Name)
		}
		v.Approvers = strings.Join(names, " or ")
	}
	v.CanDecide = r.State == parley.ApprovalPending && !v.Mine && approval.CanApprove(actor, r)
	return v
}

// conversationApprovals are the banners on a conversation: every pending
// request, and the agent's own rejected or cancelled ones that no reply
// has superseded since (so the text can go back into the composer).
func (s *Server) conversationApprovals(ctx context.Context, actor inbox.Actor, convID int64, lastReply time.Time, l lookups) ([]ApprovalView, error) {
	if s.Approvals == nil {
		return nil, nil
	}
	list, err := s.DB.ApprovalRequests(ctx, store.ApprovalFilter{ConversationID: &convID, Limit: 20})
	if err != nil {
		return nil, err
	}
	var out []ApprovalView
	for i := len(list) - 1; i >= 0; i-- { // oldest first, like the timeline
		r := list[i]
		v := s.approvalView(actor, r, l)
		back := (r.State == parley.ApprovalRejected || r.State == parley.ApprovalCancelled) && v.Mine &&
			r.DecidedAt != nil && r.DecidedAt.After(lastReply)
		if r.State == parley.ApprovalPending || back {
			out = append(out, v)
		}
	}
	return out, nil
}

// withApprovals fills the layout's link to the queue: shown to those who
// may approve, with the number waiting.
func (s *Server) withApprovals(r *http.Request, p *Page) {
	if s.Approvals == nil || p.Agent.ID == 0 {
		return
	}
	actor := inbox.Actor{AgentID: &p.Agent.ID, Role: p.Agent.Role}
	if ok, err := s.Approvals.IsApprover(r.Context(), actor); err == nil && ok {
		p.Approver = true
		p.PendingApprovals, _ = s.DB.PendingApprovals(r.Context())
	}
}

type approvalsView struct {
	Page
	Pending []ApprovalView
	Decided []ApprovalView
	Error   string
}

func (s *Server) approvalsView(r *http.Request) (approvalsView, error) {
	v := approvalsView{Page: s.page(r, "Approvals", "approvals")}
	l, _, _, _, err := s.lookups(r)
	if err != nil {
		return v, err
	}
	actor := actorFrom(r)
	pending, err := s.Approvals.List(r.Context(), actor, store.ApprovalFilter{State: parley.ApprovalPending})
	if err != nil {
		return v, err
	}
	all, err := s.Approvals.List(r.Context(), actor, store.ApprovalFilter{Limit: 50})
	if err != nil {
		return v, err
	}
	for i := len(pending) - 1; i >= 0; i-- { // the longest waiting first
		v.Pending = append(v.Pending, s.approvalView(actor, pending[i], l))
	}
	for _, a := range all {
		if a.State != parley.ApprovalPending && len(v.Decided) < 20 {
			v.Decided = append(v.Decided, s.approvalView(actor, a, l))
		}
	}
	return v, nil
}

// approvalsPage is the queue: approvers see every request waiting, agents
// their own.
func (s *Server) approvalsPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.approvalsView(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "approvals", "", v)
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) error {
	return s.decide(w, r, s.Approvals.Approve, "approved")
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request) error {
	return s.decide(w, r, s.Approvals.Reject, "rejected")
}

// decide approves or rejects the request in the path. A refusal (not
// allowed, the conversation changed, a missing note) shows the queue
// again with the reason.
func (s *Server) decide(w http.ResponseWriter, r *http.Request,
	fn func(context.Context, inbox.Actor, int64, string) (parley.ApprovalRequest, error), flash string) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	_, err = fn(r.Context(), actorFrom(r), id, r.PostFormValue("note"))
	switch parley.ErrorCode(err) {
	case "":
		http.Redirect(w, r, "/app/approvals?flash="+flash, http.StatusSeeOther)
		return nil
	case parley.EINVALID, parley.ECONFLICT, parley.EFORBIDDEN:
		v, verr := s.approvalsView(r)
		if verr != nil {
			return verr
		}
		v.Error = parley.ErrorMessage(err)
		return s.render(w, r, jsonhttp.StatusFor(parley.ErrorCode(err)), "approvals", "", v)
	}
	return err
}

// approvalItem is one queue item with the form token.
type approvalItem struct {
	A    ApprovalView
	CSRF string
}

// With pairs an item with the page's CSRF token, for the template.
func (v approvalsView) With(a ApprovalView) approvalItem { return approvalItem{A: a, CSRF: v.CSRF} }
