package inbox

import (
	"bytes"
	"context"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/hours"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

func requireAdmin(actor Actor) error {
	if !actor.Role.IsAdmin() {
		return parley.Errorf(parley.EFORBIDDEN, "only owners and admins may do this")
	}
	return nil
}

// CreateInbox adds an inbox with a fresh webhook signing secret. A
// provider channel's secrets (tokens, app secrets) are checked and sealed
// by Channels before they are stored.
func (s *Service) CreateInbox(ctx context.Context, actor Actor, in parley.Inbox, secrets map[string]string) (parley.Inbox, error) {
	if err := requireAdmin(actor); err != nil {
		return in, err
	}
	s.defaultOrigins(&in)
	if err := in.Validate(); err != nil {
		return in, err
	}
	sealed, err := s.configure(&in, secrets, "")
	if err != nil {
		return in, err
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateInbox(&in, auth.RandomString(32), auth.RandomString(32)); err != nil {
			return err
		}
		return tx.SetChannelSecrets(in.ID, sealed)
	})
	if err == nil && s.Channels != nil {
		s.Channels.Forget(in.ID)
	}
	return in, err
}

// UpdateInbox saves an inbox's settings. Secrets left out keep their
// stored values.
func (s *Service) UpdateInbox(ctx context.Context, actor Actor, in parley.Inbox, secrets map[string]string) (parley.Inbox, error) {
	if err := requireAdmin(actor); err != nil {
		return in, err
	}
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := tx.ChannelSecrets(in.ID)
		if err != nil {
			return err
		}
		sealed, err := s.configure(&in, secrets, old)
		if err != nil {
			return err
		}
		before, err := tx.Inbox(in.ID)
		if err != nil {
			return err
		}
		if err := tx.UpdateInbox(&in); err != nil {
			return err
		}
		if before.ReopenWindow != in.ReopenWindow || !bytes.Equal(before.Routing.Hours, in.Routing.Hours) {
			// Reports timed this inbox's conversations in the old hours
			// and window: project them all again (only what changes is
			// rewritten).
			if err := tx.ReprojectReports(); err != nil {
				return err
			}
		}
		return tx.SetChannelSecrets(in.ID, sealed)
	})
	s.inboxes.Forget(in.ID)
	s.expected.Delete(in.ID)
	if s.Channels != nil {
		s.Channels.Forget(in.ID)
	}
	return in, err
}

// checkHours refuses business hours that do not parse, with the reason.
func checkHours(in *parley.Inbox) error {
	if len(in.Routing.Hours) == 0 || string(in.Routing.Hours) == "null" {
		in.Routing.Hours = nil
		return nil
	}
	if _, err := hours.Parse(in.Routing.Hours); err != nil {
		return parley.Errorf(parley.EINVALID, "business %v", err) // "business hours: …"
	}
	return nil
}

func (s *Service) configure(in *parley.Inbox, secrets map[string]string, old string) (string, error) {
	if err := checkHours(in); err != nil {
		return "", err
	}
	if s.Channels == nil {
		if in.ChannelType.Provider() || len(in.Settings) > 0 || len(secrets) > 0 {
			return "", parley.Errorf(parley.EINVALID, "this Parley has no %s channel", in.ChannelType)
		}
		return "", nil
	}
	return s.Channels.Configure(in, secrets, old)
}

// CreateAgent adds an agent. With an empty password one is generated and
// returned, and the agent must change it at first sign-in.
func (s *Service) CreateAgent(ctx context.Context, actor Actor, a parley.Agent, password string) (parley.Agent, string, error) {
	if err := requireAdmin(actor); err != nil {
		return a, "", err
	}
	if a.Role == parley.RoleOwner && actor.Role != parley.RoleOwner {
		return a, "", parley.Errorf(parley.EFORBIDDEN, "only an owner may create another owner")
	}
	if password == "" {
		password = auth.NewPassword()
		a.MustChangePassword = true
	}
	if err := a.Validate(); err != nil {
		return a, "", err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return a, "", err
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error { return tx.CreateAgent(&a, hash) })
	return a, password, err
}

// CreateTeam adds a team, with the given agents as members.
func (s *Service) CreateTeam(ctx context.Context, actor Actor, t parley.Team, members []int64) (parley.Team, error) {
	if err := requireAdmin(actor); err != nil {
		return t, err
	}
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := tx.CreateTeam(&t); err != nil {
			return err
		}
		for _, id := range members {
			if err := tx.AddTeamMember(t.ID, id); err != nil {
				return err
			}
		}
		return nil
	})
	return t, err
}

// RetryJob makes a failed job run again now.
func (s *Service) RetryJob(ctx context.Context, actor Actor, id int64) (j store.Job, err error) {
	if err := requireAdmin(actor); err != nil {
		return j, err
	}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		j, err = tx.RetryJob(id)
		if err == nil && s.WakeJobs != nil {
			tx.AfterCommit(s.WakeJobs)
		}
		return err
	})
	return j, err
}
