package approval

import (
	"context"
	"strings"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

func requireAdmin(actor inbox.Actor) error {
	if !actor.Role.IsAdmin() {
		return parley.Errorf(parley.EFORBIDDEN, "only owners and admins may manage approval policies")
	}
	return nil
}

func trimSpace(s string) string { return strings.TrimSpace(s) }

// CreatePolicy checks p (its condition compiles against Env; its
// approvers are agents) and stores it. Returns EINVALID, changing
// nothing, for a bad policy, EFORBIDDEN for a non-admin.
func (s *Service) CreatePolicy(ctx context.Context, actor inbox.Actor, p parley.ApprovalPolicy) (parley.ApprovalPolicy, error) {
	if err := s.checkPolicy(ctx, actor, &p); err != nil {
		return p, err
	}
	err := s.DB.Write(ctx, func(tx *store.Tx) error { return tx.CreateApprovalPolicy(&p) })
	return p, err
}

// UpdatePolicy saves p like CreatePolicy. Returns ENOTFOUND too.
func (s *Service) UpdatePolicy(ctx context.Context, actor inbox.Actor, p parley.ApprovalPolicy) (parley.ApprovalPolicy, error) {
	if err := s.checkPolicy(ctx, actor, &p); err != nil {
		return p, err
	}
	err := s.DB.Write(ctx, func(tx *store.Tx) error { return tx.UpdateApprovalPolicy(&p) })
	return p, err
}

// DeletePolicy removes a policy; pending requests it made stay pending.
func (s *Service) DeletePolicy(ctx context.Context, actor inbox.Actor, id int64) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error { return tx.DeleteApprovalPolicy(id) })
}

func (s *Service) checkPolicy(ctx context.Context, actor inbox.Actor, p *parley.ApprovalPolicy) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if _, err := Compile(p.Condition); err != nil {
		return err
	}
	for _, id := range p.ApproverIDs {
		a, err := s.DB.Agent(ctx, id)
		if parley.ErrorCode(err) == parley.ENOTFOUND || err == nil && !a.Active {
			return parley.Errorf(parley.EINVALID, "approver %d is not an active agent", id)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
