package api

import (
	"context"
	"net/http"

	"github.com/parleyhq/parley/internal/approval"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// approvalPolicyRequest is the body of POST and PATCH /approval-policies:
// absent fields keep their values (on POST: no inbox, owners and admins
// approve, enabled).
type approvalPolicyRequest struct {
	Name        *string  `json:"name"`
	InboxID     *int64   `json:"inbox_id"` // 0: every inbox
	Condition   *string  `json:"condition"`
	ApproverIDs *[]int64 `json:"approver_ids"` // []: owners and admins
	Enabled     *bool    `json:"enabled"`
}

func (req approvalPolicyRequest) apply(p *parley.ApprovalPolicy) error {
	if req.Name != nil {
		p.Name = *req.Name
	}
	if req.InboxID != nil {
		switch id := *req.InboxID; {
		case id < 0:
			return parley.Errorf(parley.EINVALID, "inbox_id must be a positive id, or 0 for every inbox")
		case id == 0:
			p.InboxID = nil
		default:
			p.InboxID = &id
		}
	}
	if req.Condition != nil {
		p.Condition = *req.Condition
	}
	if req.ApproverIDs != nil {
		p.ApproverIDs = *req.ApproverIDs
	}
	if req.Enabled != nil {
		p.Enabled = *req.Enabled
	}
	return nil
}

func (s *Server) listApprovalPolicies(w http.ResponseWriter, r *http.Request) error {
	list, err := s.DB.ApprovalPolicies(r.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []parley.ApprovalPolicy{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"approval_policies": list, "variables": approval.Variables})
}

func (s *Server) createApprovalPolicy(w http.ResponseWriter, r *http.Request) error {
	var req approvalPolicyRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	p := parley.ApprovalPolicy{Enabled: true}
	if err := req.apply(&p); err != nil {
		return err
	}
	p, err := s.Approvals.CreatePolicy(r.Context(), actorFrom(r), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, p)
}

func (s *Server) updateApprovalPolicy(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "policy_id")
	if err != nil {
		return err
	}
	if err := requireAdmin(r); err != nil {
		return err
	}
	var req approvalPolicyRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	p, err := s.DB.ApprovalPolicy(r.Context(), id)
	if err != nil {
		return err
	}
	if err := req.apply(&p); err != nil {
		return err
	}
	if p, err = s.Approvals.UpdatePolicy(r.Context(), actorFrom(r), p); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) deleteApprovalPolicy(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "policy_id")
	if err != nil {
		return err
	}
	if err := s.Approvals.DeletePolicy(r.Context(), actorFrom(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listApprovals: ?state= (pending by default; "all" for every state),
// ?conversation_id=. Agents see their own requests; admins and approvers
// see every one.
func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request) error {
	f := store.ApprovalFilter{State: parley.ApprovalPending}
	switch st := r.URL.Query().Get("state"); st {
	case "":
	case "all":
		f.State = ""
	default:
		f.State = parley.ApprovalState(st)
	}
	conv, err := queryInt(r, "conversation_id", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	if conv != 0 {
		f.ConversationID = &conv
	}
	limit, err := queryInt(r, "limit", 100, 1, 500)
	if err != nil {
		return err
	}
	f.Limit = int(limit)
	list, err := s.Approvals.List(r.Context(), actorFrom(r), f)
	if err != nil {
		return err
	}
	if list == nil {
		list = []parley.ApprovalRequest{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"approvals": list})
}

func (s *Server) getApproval(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "approval_id")
	if err != nil {
		return err
	}
	req, audit, err := s.Approvals.Get(r.Context(), actorFrom(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"approval": req, "audit": audit})
}

// decisionRequest is the body of approve (note optional) and reject
// (note required).
type decisionRequest struct {
	Note string `json:"note"`
}

func (s *Server) approveApproval(w http.ResponseWriter, r *http.Request) error {
	return s.decideApproval(w, r, s.Approvals.Approve)
}

func (s *Server) rejectApproval(w http.ResponseWriter, r *http.Request) error {
	return s.decideApproval(w, r, s.Approvals.Reject)
}

func (s *Server) decideApproval(w http.ResponseWriter, r *http.Request,
	decide func(context.Context, inbox.Actor, int64, string) (parley.ApprovalRequest, error)) error {
	id, err := pathID(r, "approval_id")
	if err != nil {
		return err
	}
	var req decisionRequest
	if r.ContentLength != 0 {
		if err := s.decode(w, r, &req); err != nil {
			return err
		}
	}
	out, err := decide(r.Context(), actorFrom(r), id, req.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"approval": out})
}
