package parley

import (
	"encoding/json"
	"strings"
	"time"
)

// ApprovalPolicy makes an action wait for a person allowed to approve it
// when its Condition (an expr-lang expression over the action, see
// internal/approval) is true.
type ApprovalPolicy struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	InboxID *int64 `json:"inbox_id"` // nil: every inbox
	// Condition is an expr-lang expression such as
	// `action == "reply" && amount > 100`; internal/approval compiles it.
	Condition string `json:"condition"`
	// ApproverIDs are the agents who may approve; empty: owners and admins.
	ApproverIDs []int64   `json:"approver_ids"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// MaxConditionLength bounds a policy's expression.
const MaxConditionLength = 2000

// Validate normalises and checks a policy's fields; whether Condition
// compiles is checked by internal/approval, which knows its variables.
func (p *ApprovalPolicy) Validate() error {
	p.Name = strings.TrimSpace(p.Name)
	p.Condition = strings.TrimSpace(p.Condition)
	if p.Name == "" || len(p.Name) > 200 {
		return Errorf(EINVALID, "name is required (at most 200 characters)")
	}
	if p.Condition == "" || len(p.Condition) > MaxConditionLength {
		return Errorf(EINVALID, "condition is required (at most %d characters)", MaxConditionLength)
	}
	if p.InboxID != nil && *p.InboxID <= 0 {
		return Errorf(EINVALID, "inbox_id must be a positive id, or null for every inbox")
	}
	seen := map[int64]bool{}
	ids := p.ApproverIDs[:0:0]
	for _, id := range p.ApproverIDs {
		if id <= 0 {
			return Errorf(EINVALID, "approver_ids must be positive agent ids")
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	p.ApproverIDs = ids
	return nil
}

// ApprovalState is where an approval request stands.
type ApprovalState string

const (
	ApprovalPending   ApprovalState = "pending"
	ApprovalApproved  ApprovalState = "approved"
	ApprovalRejected  ApprovalState = "rejected"
	ApprovalCancelled ApprovalState = "cancelled" // withdrawn, or the world it was bound to changed
)

// Valid reports whether s is a known state.
func (s ApprovalState) Valid() bool {
	switch s {
	case ApprovalPending, ApprovalApproved, ApprovalRejected, ApprovalCancelled:
		return true
	}
	return false
}

// ApprovalRequest is one action waiting for (or decided by) an approver.
// Payload is exactly what runs once approved; Binding ties the approval
// to that payload and to the world as it was when asked (BoundState), so
// an approval can never run a different action, or the same one on a
// conversation that has changed since.
type ApprovalRequest struct {
	ID             int64           `json:"id"`
	Kind           string          `json:"kind"` // "reply"; later "refund", "flow.step"...
	ConversationID *int64          `json:"conversation_id"`
	PolicyID       *int64          `json:"policy_id"`
	PolicyName     string          `json:"policy_name"`
	RequestedBy    *int64          `json:"requested_by"`       // the agent who asked, if an agent did
	RequestedToken int64           `json:"requested_by_token"` // the API token that asked, if one did
	Payload        json.RawMessage `json:"payload"`
	Reason         string          `json:"reason"`
	Binding        string          `json:"binding"`
	BoundState     json.RawMessage `json:"bound_state"`
	ApproverIDs    []int64         `json:"approver_ids"` // empty: owners and admins
	State          ApprovalState   `json:"state"`
	DecidedBy      *int64          `json:"decided_by"`
	DecidedToken   int64           `json:"decided_by_token"`
	DecidedAt      *time.Time      `json:"decided_at"`
	Note           string          `json:"note"`
	ResultMessage  *int64          `json:"result_message_id"` // the message an approved reply became
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
}

// ApprovalAudit is one transition of a request. Neither AgentID nor
// TokenID: Parley made it (a request cancelled because its conversation
// changed).
type ApprovalAudit struct {
	ID        int64         `json:"id"`
	RequestID int64         `json:"request_id"`
	AgentID   *int64        `json:"agent_id"`
	TokenID   int64         `json:"token_id,omitempty"`
	From      ApprovalState `json:"from"` // "" for the creation
	To        ApprovalState `json:"to"`
	Note      string        `json:"note"`
	At        time.Time     `json:"at"`
}
