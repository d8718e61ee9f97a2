package inbox

import (
	"context"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// CreateToken adds an API token and returns its secret, which is not
// stored and cannot be shown again. Only owners and admins create tokens,
// and only an owner creates one that acts for an owner (a token is as
// strong as its agent). Returns EINVALID for a bad name, scope or expiry,
// EFORBIDDEN, or ENOTFOUND for an unknown agent.
func (s *Service) CreateToken(ctx context.Context, actor Actor, t parley.APIToken) (parley.APIToken, string, error) {
	if err := requireAdmin(actor); err != nil {
		return t, "", err
	}
	if err := t.Validate(s.now()); err != nil {
		return t, "", err
	}
	secret, hash := auth.NewToken()
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if t.AgentID != nil {
			a, err := tx.Agent(*t.AgentID)
			if err != nil {
				return err
			}
			if a.Role == parley.RoleOwner && actor.Role != parley.RoleOwner {
				return parley.Errorf(parley.EFORBIDDEN, "only an owner may create a token that acts for an owner")
			}
		}
		return tx.CreateAPIToken(&t, hash)
	})
	return t, secret, err
}

// RevokeToken stops a token from working for good and returns it.
// Revoking a revoked token is not an error and keeps its first revocation
// time. Returns EFORBIDDEN unless actor is an owner or admin, or
// ENOTFOUND for an unknown token.
func (s *Service) RevokeToken(ctx context.Context, actor Actor, id int64) (t parley.APIToken, err error) {
	if err := requireAdmin(actor); err != nil {
		return t, err
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		t, err = tx.RevokeAPIToken(id)
		if err == nil && s.OnTokenRevoked != nil {
			tx.AfterCommit(func() { s.OnTokenRevoked(id) })
		}
		return err
	})
	return t, err
}
