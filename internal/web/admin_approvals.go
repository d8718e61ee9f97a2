package web

import (
	"net/http"
	"strconv"

	"github.com/parleyhq/parley/internal/approval"
	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/parley"
)

// Settings → Approval policies.

// approvalPolicyForm is one policy's form: a stored policy's, or the new
// one's, with what was posted when saving failed.
type approvalPolicyForm struct {
	ID          int64
	Name        string
	InboxID     int64
	Condition   string
	ApproverIDs map[int64]bool
	Enabled     bool
	Error       string
	Open        bool
}

func approvalPolicyFormOf(p parley.ApprovalPolicy) approvalPolicyForm {
	f := approvalPolicyForm{ID: p.ID, Name: p.Name, InboxID: deref(p.InboxID), Condition: p.Condition, Enabled: p.Enabled,
		ApproverIDs: map[int64]bool{}}
	for _, id := range p.ApproverIDs {
		f.ApproverIDs[id] = true
	}
	return f
}

type approvalPoliciesView struct {
	Page
	Policies  []approvalPolicyForm
	New       approvalPolicyForm
	Inboxes   []parley.Inbox
	Agents    []parley.Agent
	Variables []approval.Variable
}

// approvalPolicyArgs is what the form template needs.
type approvalPolicyArgs struct {
	Form    approvalPolicyForm
	CSRF    string
	Inboxes []parley.Inbox
	Agents  []parley.Agent
}

// Args pairs a form with the page's lists, for the template.
func (v approvalPoliciesView) Args(f approvalPolicyForm) approvalPolicyArgs {
	return approvalPolicyArgs{Form: f, CSRF: v.CSRF, Inboxes: v.Inboxes, Agents: v.Agents}
}

func (s *Server) approvalPoliciesView(r *http.Request) (approvalPoliciesView, error) {
	v := approvalPoliciesView{Page: s.page(r, "Approval policies", "approvals-admin"), Variables: approval.Variables,
		New: approvalPolicyForm{Enabled: true, Condition: `action == "reply" && amount > 100`, ApproverIDs: map[int64]bool{}}}
	_, inboxes, agents, _, err := s.lookups(r)
	if err != nil {
		return v, err
	}
	v.Inboxes, v.Agents = inboxes, agents
	list, err := s.DB.ApprovalPolicies(r.Context())
	if err != nil {
		return v, err
	}
	for _, p := range list {
		v.Policies = append(v.Policies, approvalPolicyFormOf(p))
	}
	return v, nil
}

func (s *Server) approvalPoliciesPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.approvalPoliciesView(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_approvals", "", v)
}

// saveApprovalPolicy creates a policy, or updates the one in the path. A
// refused form (a condition that does not compile, say) is shown again
// with what was typed and expr's message, and nothing is saved.
func (s *Server) saveApprovalPolicy(w http.ResponseWriter, r *http.Request) error {
	var id int64
	if r.PathValue("id") != "" {
		var err error
		if id, err = pathID(r); err != nil {
			return err
		}
	}
	p := parley.ApprovalPolicy{ID: id, Name: r.PostFormValue("name"), Condition: r.PostFormValue("condition"),
		Enabled: r.PostFormValue("enabled") == "on"}
	var err error
	if v := r.PostFormValue("inbox_id"); v != "" && v != "0" {
		inboxID, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || inboxID <= 0 {
			err = parley.Errorf(parley.EINVALID, "inbox %q is not an inbox", v)
		}
		p.InboxID = &inboxID
	}
	for _, v := range r.PostForm["approver_id"] {
		a, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil {
			err = parley.Errorf(parley.EINVALID, "approver %q is not an agent", v)
		}
		p.ApproverIDs = append(p.ApproverIDs, a)
	}
	if err == nil {
		if id == 0 {
			_, err = s.Approvals.CreatePolicy(r.Context(), actorFrom(r), p)
		} else {
			_, err = s.Approvals.UpdatePolicy(r.Context(), actorFrom(r), p)
		}
	}
	if parley.ErrorCode(err) == parley.EINVALID {
		v, verr := s.approvalPoliciesView(r)
		if verr != nil {
			return verr
		}
		f := approvalPolicyFormOf(p)
		f.Error, f.Open = parley.ErrorMessage(err), true
		if id == 0 {
			v.New = f
		}
		for i := range v.Policies {
			if v.Policies[i].ID == id {
				v.Policies[i] = f
			}
		}
		return s.render(w, r, jsonhttp.StatusFor(parley.EINVALID), "admin_approvals", "", v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/approvals?flash=saved", http.StatusSeeOther)
	return nil
}

func (s *Server) deleteApprovalPolicy(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.Approvals.DeletePolicy(r.Context(), actorFrom(r), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/approvals?flash=deleted", http.StatusSeeOther)
	return nil
}
