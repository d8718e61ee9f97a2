package inbox

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// SignedIn is a new session: Secret goes in the cookie and is not stored.
type SignedIn struct {
	Secret  string
	Session store.Session
	Agent   parley.Agent
}

// SignIn checks an agent's email and password and opens a session.
// Returns EUNAUTHORIZED for a wrong email or password and for a
// deactivated agent (with the same message, so neither can be probed).
func (s *Service) SignIn(ctx context.Context, email, password, userAgent string) (out SignedIn, err error) {
	bad := parley.Errorf(parley.EUNAUTHORIZED, "the email or password is not right")
	a, hash, err := s.DB.AgentByEmail(ctx, strings.TrimSpace(email))
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		auth.CheckPassword(dummyHash(), password) // take as long as a real check, so emails cannot be probed
		return out, bad
	}
	if err != nil {
		return out, err
	}
	if !auth.CheckPassword(hash, password) || !a.Active {
		return out, bad
	}
	secret, tokenHash, csrf := auth.NewSession()
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	sess := store.Session{AgentID: a.ID, CSRFToken: csrf, UserAgent: userAgent, ExpiresAt: s.now().Add(auth.SessionTTL)}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteExpiredSessions(); err != nil {
			return err
		}
		if err := tx.CreateSession(&sess, tokenHash); err != nil {
			return err
		}
		return tx.TouchAgent(a.ID)
	})
	return SignedIn{Secret: secret, Session: sess, Agent: a}, err
}

// dummyHash is a bcrypt hash of nothing in particular, made once.
var dummyHash = sync.OnceValue(func() string {
	h, _ := auth.HashPassword(auth.RandomString(16))
	return h
})

// Authenticate returns the session and agent for a cookie secret, renewing
// the session's expiry when it was last renewed a while ago. Returns
// EUNAUTHORIZED for an unknown or expired session or a deactivated agent.
func (s *Service) Authenticate(ctx context.Context, secret string) (store.Session, parley.Agent, error) {
	if secret == "" {
		return store.Session{}, parley.Agent{}, parley.Errorf(parley.EUNAUTHORIZED, "sign in first")
	}
	sess, a, err := s.DB.SessionByHash(ctx, auth.HashToken(secret))
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return sess, a, parley.Errorf(parley.EUNAUTHORIZED, "your session has ended; sign in again")
	}
	if err != nil {
		return sess, a, err
	}
	now := s.now()
	if !a.Active || !now.Before(sess.ExpiresAt) {
		return sess, a, parley.Errorf(parley.EUNAUTHORIZED, "your session has ended; sign in again")
	}
	if now.Sub(sess.LastSeenAt) >= auth.SessionRenewEvery {
		sess.ExpiresAt = now.Add(auth.SessionTTL)
		err = s.DB.Write(ctx, func(tx *store.Tx) error {
			if err := tx.RenewSession(sess.ID, sess.ExpiresAt); err != nil {
				return err
			}
			return tx.TouchAgent(a.ID)
		})
		sess.LastSeenAt = now
	}
	return sess, a, err
}

// SignOut ends the session with this cookie secret.
func (s *Service) SignOut(ctx context.Context, secret string) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error { return tx.DeleteSession(auth.HashToken(secret)) })
}

// ChangePassword sets a new password for the actor's own account after
// checking the current one, and signs out its other sessions. Returns
// EINVALID for a wrong current password or a new one that is too short.
func (s *Service) ChangePassword(ctx context.Context, actor Actor, keepSessionID int64, current, next string) error {
	if actor.AgentID == nil {
		return parley.Errorf(parley.EFORBIDDEN, "only an agent can change its password")
	}
	hash, err := s.DB.AgentPasswordHash(ctx, *actor.AgentID)
	if err != nil {
		return err
	}
	if !auth.CheckPassword(hash, current) {
		return parley.Errorf(parley.EINVALID, "the current password is not right")
	}
	if current == next {
		return parley.Errorf(parley.EINVALID, "choose a password different from the current one")
	}
	newHash, err := auth.HashPassword(next)
	if err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := tx.SetAgentPassword(*actor.AgentID, newHash); err != nil {
			return err
		}
		return tx.DeleteAgentSessions(*actor.AgentID, keepSessionID)
	})
}

// SetAgentRole changes an agent's role. Only owners may make or unmake
// owners, and the last active owner keeps the role.
func (s *Service) SetAgentRole(ctx context.Context, actor Actor, agentID int64, role parley.Role) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if !role.Valid() {
		return parley.Errorf(parley.EINVALID, "role %q is not one of owner, admin, agent", role)
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		a, err := tx.Agent(agentID)
		if err != nil {
			return err
		}
		if (a.Role == parley.RoleOwner || role == parley.RoleOwner) && actor.Role != parley.RoleOwner {
			return parley.Errorf(parley.EFORBIDDEN, "only an owner may make or change an owner")
		}
		if a.Role == parley.RoleOwner && role != parley.RoleOwner {
			if err := lastOwnerCheck(tx); err != nil {
				return err
			}
		}
		return tx.SetAgentRole(agentID, role)
	})
}

// SetAgentActive deactivates (or reactivates) an agent. A deactivated agent
// cannot sign in, and its sessions are deleted at once.
func (s *Service) SetAgentActive(ctx context.Context, actor Actor, agentID int64, active bool) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if !active && actor.AgentID != nil && *actor.AgentID == agentID {
		return parley.Errorf(parley.EINVALID, "you cannot deactivate yourself")
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		a, err := tx.Agent(agentID)
		if err != nil {
			return err
		}
		if a.Role == parley.RoleOwner && actor.Role != parley.RoleOwner {
			return parley.Errorf(parley.EFORBIDDEN, "only an owner may deactivate an owner")
		}
		if !active && a.Role == parley.RoleOwner && a.Active {
			if err := lastOwnerCheck(tx); err != nil {
				return err
			}
		}
		if err := tx.SetAgentActive(agentID, active); err != nil {
			return err
		}
		if !active {
			return tx.DeleteAgentSessions(agentID, 0)
		}
		return nil
	})
}

func lastOwnerCheck(tx *store.Tx) error {
	n, err := tx.CountActiveOwners()
	if err != nil {
		return err
	}
	if n <= 1 {
		return parley.Errorf(parley.ECONFLICT, "the last active owner must stay an active owner")
	}
	return nil
}

// SetTeamMember adds an agent to a team or removes it.
func (s *Service) SetTeamMember(ctx context.Context, actor Actor, teamID, agentID int64, member bool) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if member {
			return tx.AddTeamMember(teamID, agentID)
		}
		return tx.RemoveTeamMember(teamID, agentID)
	})
}

// TouchPresence records that an agent is here now (for "is anyone online").
func (s *Service) TouchPresence(ctx context.Context, agentID int64) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error { return tx.TouchAgent(agentID) })
}

// OnlineWindow is how recently an agent must have been seen to count as online.
const OnlineWindow = 2 * time.Minute

// AgentsOnline returns how many active agents were seen since the given
// time (typically now minus OnlineWindow): the widget's "is anyone online".
func (s *Service) AgentsOnline(ctx context.Context, since time.Time) (int, error) {
	return s.DB.AgentsOnline(ctx, since)
}
