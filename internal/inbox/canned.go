package inbox

import (
	"context"

	"github.com/parleyhq/parley/internal/fill"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// SaveCanned creates (ID 0) or updates a canned response.
func (s *Service) SaveCanned(ctx context.Context, actor Actor, c store.CannedResponse) (store.CannedResponse, error) {
	if err := requireAdmin(actor); err != nil {
		return c, err
	}
	if err := checkVariables(c.Body); err != nil {
		return c, err
	}
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if c.ID == 0 {
			return tx.CreateCanned(&c)
		}
		return tx.UpdateCanned(&c)
	})
	return c, err
}

// DeleteCanned removes a canned response.
func (s *Service) DeleteCanned(ctx context.Context, actor Actor, id int64) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error { return tx.DeleteCanned(id) })
}

// FillCanned replaces a canned body's variables: {{contact.name}},
// {{contact.first_name}}, {{contact.email}} and {{agent.name}}. A value
// the contact does not have is left out with its separator ("Thanks,
// {{contact.first_name}}!" reads "Thanks!" for a contact with no name);
// unknown variables stay as written. The result is plain text.
func FillCanned(body string, contact parley.Contact, agent parley.Agent) string {
	return fill.Fill(body, contactVars(contact, agent))
}
