// Package approval makes risky actions wait for a person allowed to
// approve them: policies (expr-lang conditions over the action), the
// queue of requests, their audit, and the exactly-once run of an approved
// action. It is one mechanism for every kind of action: the package that
// owns a kind registers how to bind, check and run it (Register); replies
// are the first kind (reply.go), workflow steps and agent actions come
// next.
package approval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Kind is how one kind of action is bound, checked and run.
type Kind struct {
	// State returns what an approval of r stays valid under, as it is now
	// in tx (for a reply: the conversation's last message and status). It
	// is stored with the request and read again, in the approving
	// transaction, before the action runs; any difference voids the
	// approval. r.ResultMessage, when set, is the message the action has
	// just written in that transaction, which State must leave out.
	State func(tx *store.Tx, r parley.ApprovalRequest) (json.RawMessage, error)
	// Changed says, for people, what differs between two States ("a new
	// message arrived").
	Changed func(before, now json.RawMessage) string
	// Execute runs the approved action as the agent who asked. It must
	// call commit inside the transaction that makes the action durable,
	// passing the message it wrote if any: commit checks the binding and
	// moves the request from pending to approved there, so the action and
	// the approval commit together, or neither does.
	Execute func(ctx context.Context, r parley.ApprovalRequest, asker inbox.Actor,
		commit func(tx *store.Tx, resultMessage *int64) error) error
	// Declined, when set, runs in the transaction that rejects or cancels
	// a request of this kind (a workflow waiting for the decision is
	// woken there).
	Declined func(tx *store.Tx, r parley.ApprovalRequest) error
}

// Service holds the registered kinds and reads and writes through DB.
type Service struct {
	DB *store.DB

	mu        sync.RWMutex
	kinds     map[string]Kind
	compiled  sync.Map                     // policy id → cachedCondition
	OnRequest func(parley.ApprovalRequest) // optional: told after a request is stored (metrics, notices)
}

type cachedCondition struct {
	source string
	cond   *Condition
}

// New returns a Service with the reply kind registered.
func New(db *store.DB, replies *inbox.Service) *Service {
	s := &Service{DB: db, kinds: map[string]Kind{}}
	s.Register(KindReply, ReplyKind(replies))
	return s
}

// Register adds a kind of action. Registering a name twice replaces it.
func (s *Service) Register(name string, k Kind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kinds[name] = k
}

func (s *Service) kind(name string) (Kind, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.kinds[name]
	if !ok {
		return k, fmt.Errorf("approval: no kind %q is registered", name)
	}
	return k, nil
}

// Subject is an action about to run, as the gate sees it.
type Subject struct {
	Kind           string
	ConversationID int64 // 0: not about a conversation
	Actor          inbox.Actor
	// Payload is exactly what runs once approved; it is stored as JSON.
	Payload any
	// Env is filled by the caller with what it knows of the action
	// (Action, Amount, Currency, Text); the gate adds the conversation's
	// and the agent's fields.
	Env Env
	// Also, when set, runs in the transaction that stores the request,
	// with its id: the caller's record of waiting for it commits with it,
	// so a decision that comes at once never finds the caller unaware.
	Also func(tx *store.Tx, r parley.ApprovalRequest) error
}

// Gate evaluates the enabled policies on subject. When one matches it
// stores a pending request bound to the payload and to the world as it
// is, and returns it: the caller must then not run the action. It returns
// nil when no policy asks for approval. This is the one place every face
// (API, web, workflows) asks before a risky action; other checks on the
// same path belong beside it.
func (s *Service) Gate(ctx context.Context, subject Subject) (*parley.ApprovalRequest, error) {
	policies, err := s.DB.ApprovalPolicies(ctx)
	if err != nil {
		return nil, err
	}
	policies = slices.DeleteFunc(policies, func(p parley.ApprovalPolicy) bool { return !p.Enabled })
	if len(policies) == 0 {
		return nil, nil
	}
	env := subject.Env
	env.Action = subject.Kind
	if subject.Actor.AgentID != nil {
		env.AgentID = *subject.Actor.AgentID
	}
	env.AgentRole = string(subject.Actor.Role)
	if subject.ConversationID != 0 {
		c, err := s.DB.Conversation(ctx, subject.ConversationID)
		if err != nil {
			return nil, err
		}
		in, _, err := s.DB.Inbox(ctx, c.InboxID)
		if err != nil {
			return nil, err
		}
		env.InboxID, env.Channel, env.Priority, env.Labels = c.InboxID, string(in.ChannelType), string(c.Priority), c.Labels
	}
	if env.Labels == nil {
		env.Labels = []string{}
	}
	for _, p := range policies {
		if p.InboxID != nil && *p.InboxID != env.InboxID {
			continue
		}
		cond, err := s.condition(p)
		if err != nil {
			return nil, err
		}
		hit, err := cond.Match(env)
		if !hit {
			continue
		}
		reason := p.Name + ": " + cond.Explain(env)
		if err != nil {
			reason = p.Name + ": the condition could not be run, so the action waits"
		}
		return s.request(ctx, subject, &p, reason)
	}
	return nil, nil
}

// condition returns p's compiled condition, compiled once per text.
func (s *Service) condition(p parley.ApprovalPolicy) (*Condition, error) {
	if c, ok := s.compiled.Load(p.ID); ok && c.(cachedCondition).source == p.Condition {
		return c.(cachedCondition).cond, nil
	}
	cond, err := Compile(p.Condition)
	if err != nil {
		// Saved conditions were checked; one that no longer compiles (a
		// variable removed in an upgrade) holds actions back.
		return nil, fmt.Errorf("approval: policy %d (%s): %w", p.ID, p.Name, err)
	}
	s.compiled.Store(p.ID, cachedCondition{source: p.Condition, cond: cond})
	return cond, nil
}

// request stores a pending request for subject under policy p, or under
// none (p nil: owners and admins decide; see Propose).
func (s *Service) request(ctx context.Context, subject Subject, p *parley.ApprovalPolicy, reason string) (*parley.ApprovalRequest, error) {
	k, err := s.kind(subject.Kind)
	if err != nil {
		return nil, err
	}
	payload, err := json.Marshal(subject.Payload)
	if err != nil {
		return nil, fmt.Errorf("approval: payload: %w", err)
	}
	r := parley.ApprovalRequest{Kind: subject.Kind, RequestedBy: subject.Actor.AgentID,
		RequestedToken: subject.Actor.TokenID, Payload: payload, Reason: reason}
	if p != nil {
		r.PolicyID, r.PolicyName, r.ApproverIDs = &p.ID, p.Name, p.ApproverIDs
	}
	if subject.ConversationID != 0 {
		id := subject.ConversationID
		r.ConversationID = &id
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		state, err := k.State(tx, r)
		if err != nil {
			return err
		}
		r.BoundState, r.Binding = state, binding(r, state)
		if err := tx.CreateApprovalRequest(&r); err != nil {
			return err
		}
		if subject.Also != nil {
			return subject.Also(tx, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.OnRequest != nil {
		s.OnRequest(r)
	}
	return &r, nil
}

// binding is the SHA-256 of everything an approval of r vouches for: the
// kind, the conversation, the exact payload and the state of the world.
func binding(r parley.ApprovalRequest, state json.RawMessage) string {
	h := sha256.New()
	conv := int64(0)
	if r.ConversationID != nil {
		conv = *r.ConversationID
	}
	fmt.Fprintf(h, "%s\n%d\n%d:%s\n%s", r.Kind, conv, len(r.Payload), r.Payload, state)
	return hex.EncodeToString(h.Sum(nil))
}

// errChanged marks a binding that no longer holds, so Approve can give the
// request back to its agent.
type errChanged struct{ why string }

func (e *errChanged) Error() string { return e.why }

// Approve runs request id's action once, as the agent who asked, and
// marks it approved by actor, in one transaction. Returns EFORBIDDEN when
// actor may not approve it (the asker never may), ECONFLICT when it is no
// longer pending, or when what it was bound to changed: then the request
// is cancelled with the reason, and the agent gets their text back.
func (s *Service) Approve(ctx context.Context, actor inbox.Actor, id int64, note string) (parley.ApprovalRequest, error) {
	if len([]rune(note)) > 2000 {
		return parley.ApprovalRequest{}, parley.Errorf(parley.EINVALID, "note is longer than 2000 characters")
	}
	note = trimSpace(note)
	r, err := s.DB.ApprovalRequest(ctx, id)
	if err != nil {
		return r, err
	}
	if err := s.mayDecide(ctx, actor, r); err != nil {
		return r, err
	}
	k, err := s.kind(r.Kind)
	if err != nil {
		return r, err
	}
	asker := inbox.Actor{AgentID: r.RequestedBy, TokenID: r.RequestedToken, Role: parley.RoleAgent}
	err = k.Execute(ctx, r, asker, func(tx *store.Tx, result *int64) error {
		cur, err := tx.ApprovalRequest(id) // locked until the commit on PostgreSQL
		if err != nil {
			return err
		}
		if cur.State != parley.ApprovalPending {
			return parley.Errorf(parley.ECONFLICT, "approval request %d is no longer pending: it was %s", id, cur.State)
		}
		cur.ResultMessage = result
		now, err := k.State(tx, cur)
		if err != nil {
			return err
		}
		if binding(cur, now) != cur.Binding {
			why := "what this approval was bound to has changed"
			if k.Changed != nil {
				why = k.Changed(cur.BoundState, now)
			}
			return &errChanged{why}
		}
		r, err = tx.DecideApproval(id, store.Decision{To: parley.ApprovalApproved, AgentID: actor.AgentID, TokenID: actor.TokenID,
			Note: note, ResultMessage: result})
		return err
	})
	var changed *errChanged
	if errors.As(err, &changed) {
		msg := "The conversation changed after the request (" + changed.why + "): nothing was sent, and the request went back to the agent to review."
		if _, cerr := s.decide(ctx, id, store.Decision{To: parley.ApprovalCancelled, Note: msg}); cerr != nil &&
			parley.ErrorCode(cerr) != parley.ECONFLICT {
			return r, cerr
		}
		return r, parley.Errorf(parley.ECONFLICT, "%s", msg)
	}
	if err != nil {
		return r, err
	}
	return r, nil
}

// Reject gives request id back to its agent with note, which is required:
// the agent must learn what to change.
func (s *Service) Reject(ctx context.Context, actor inbox.Actor, id int64, note string) (parley.ApprovalRequest, error) {
	if len([]rune(note)) > 2000 {
		return parley.ApprovalRequest{}, parley.Errorf(parley.EINVALID, "note is longer than 2000 characters")
	}
	if note = trimSpace(note); note == "" {
		return parley.ApprovalRequest{}, parley.Errorf(parley.EINVALID, "a rejection needs a note telling the agent what to change")
	}
	r, err := s.DB.ApprovalRequest(ctx, id)
	if err != nil {
		return r, err
	}
	if err := s.mayDecide(ctx, actor, r); err != nil {
		return r, err
	}
	return s.decide(ctx, id, store.Decision{To: parley.ApprovalRejected, AgentID: actor.AgentID, TokenID: actor.TokenID, Note: note})
}

func (s *Service) decide(ctx context.Context, id int64, d store.Decision) (r parley.ApprovalRequest, err error) {
	var k Kind
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		r, err = tx.DecideApproval(id, d)
		if err != nil {
			return err
		}
		if k, err = s.kind(r.Kind); err == nil && k.Declined != nil {
			return k.Declined(tx, r)
		}
		return nil
	})
	return r, err
}

// asked reports whether actor made request r.
func (s *Service) asked(actor inbox.Actor, r parley.ApprovalRequest) bool {
	if actor.AgentID != nil && r.RequestedBy != nil {
		return *actor.AgentID == *r.RequestedBy
	}
	return actor.AgentID == nil && r.RequestedBy == nil && actor.TokenID != 0 && actor.TokenID == r.RequestedToken
}

// mayDecide returns EFORBIDDEN unless actor may approve or reject r: one
// of its approvers (owners and admins when it names none), and never the
// one who asked.
func (s *Service) mayDecide(ctx context.Context, actor inbox.Actor, r parley.ApprovalRequest) error {
	if s.asked(actor, r) {
		return parley.Errorf(parley.EFORBIDDEN, "you asked for this approval: someone else must decide it")
	}
	if !CanApprove(actor, r) {
		if len(r.ApproverIDs) == 0 {
			return parley.Errorf(parley.EFORBIDDEN, "only owners and admins may decide this request")
		}
		return parley.Errorf(parley.EFORBIDDEN, "only the approvers the policy %q names may decide this request", r.PolicyName)
	}
	if r.State != parley.ApprovalPending {
		return parley.Errorf(parley.ECONFLICT, "approval request %d is no longer pending: it was %s", r.ID, r.State)
	}
	return nil
}

// CanApprove reports whether actor is among r's approvers (the asker's
// exclusion aside).
func CanApprove(actor inbox.Actor, r parley.ApprovalRequest) bool {
	if len(r.ApproverIDs) == 0 {
		return actor.Role.IsAdmin()
	}
	return actor.AgentID != nil && slices.Contains(r.ApproverIDs, *actor.AgentID)
}

// CanSee reports whether actor may read request r: admins, its approvers
// and the agent who asked.
func (s *Service) CanSee(actor inbox.Actor, r parley.ApprovalRequest) bool {
	return actor.Role.IsAdmin() || CanApprove(actor, r) || s.asked(actor, r)
}

// Escalate adds agent to the approvers of pending request id, in tx (a
// request that waited too long, handed to someone more senior). A
// request that named no approvers (owners and admins) keeps them: they
// are named with the agent. The agent must be able to sign in.
func (s *Service) Escalate(tx *store.Tx, id int64, agent parley.Agent, why string) (parley.ApprovalRequest, error) {
	r, err := tx.ApprovalRequest(id)
	if err != nil {
		return r, err
	}
	approvers := slices.Clone(r.ApproverIDs)
	if len(approvers) == 0 {
		agents, err := tx.Agents()
		if err != nil {
			return r, err
		}
		for _, a := range agents {
			if a.Role.IsAdmin() && a.Active {
				approvers = append(approvers, a.ID)
			}
		}
	}
	if !slices.Contains(approvers, agent.ID) {
		approvers = append(approvers, agent.ID)
	}
	r, err = tx.EscalateApproval(id, approvers, why)
	if err == nil && s.OnRequest != nil {
		tx.AfterCommit(func() { s.OnRequest(r) })
	}
	return r, err
}

// IsApprover reports whether actor may approve anything: an owner or
// admin, an agent some policy names, or one a pending request was
// escalated to.
func (s *Service) IsApprover(ctx context.Context, actor inbox.Actor) (bool, error) {
	if actor.Role.IsAdmin() {
		return true, nil
	}
	if actor.AgentID == nil {
		return false, nil
	}
	policies, err := s.DB.ApprovalPolicies(ctx)
	if err != nil {
		return false, err
	}
	for _, p := range policies {
		if slices.Contains(p.ApproverIDs, *actor.AgentID) {
			return true, nil
		}
	}
	pending, err := s.DB.ApprovalRequests(ctx, store.ApprovalFilter{State: parley.ApprovalPending})
	if err != nil {
		return false, err
	}
	for _, r := range pending {
		if slices.Contains(r.ApproverIDs, *actor.AgentID) {
			return true, nil
		}
	}
	return false, nil
}

// List returns the requests in state (every state when empty) that actor
// may see, newest first.
func (s *Service) List(ctx context.Context, actor inbox.Actor, f store.ApprovalFilter) ([]parley.ApprovalRequest, error) {
	if f.State != "" && !f.State.Valid() {
		return nil, parley.Errorf(parley.EINVALID, "state must be pending, approved, rejected or cancelled")
	}
	approver, err := s.IsApprover(ctx, actor)
	if err != nil {
		return nil, err
	}
	if !approver {
		if actor.AgentID == nil && actor.TokenID == 0 {
			return nil, nil
		}
		f.RequestedBy = actor.AgentID // an agent's own; a token without agent sees its own below
	}
	list, err := s.DB.ApprovalRequests(ctx, f)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(r parley.ApprovalRequest) bool { return !s.CanSee(actor, r) }), nil
}

// Get returns request id with its audit, if actor may see it (ENOTFOUND
// otherwise, so ids tell nothing).
func (s *Service) Get(ctx context.Context, actor inbox.Actor, id int64) (parley.ApprovalRequest, []parley.ApprovalAudit, error) {
	r, err := s.DB.ApprovalRequest(ctx, id)
	if err != nil {
		return r, nil, err
	}
	if !s.CanSee(actor, r) {
		return parley.ApprovalRequest{}, nil, parley.Errorf(parley.ENOTFOUND, "approval request %d not found", id)
	}
	audit, err := s.DB.ApprovalAudit(ctx, id)
	return r, audit, err
}
