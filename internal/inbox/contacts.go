package inbox

import (
	"context"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// ContactChange edits a contact; nil fields stay as they are.
type ContactChange struct {
	Name  *string
	Email *string
	Phone *string
}

// UpdateContact edits a contact's name, email and phone. Returns EINVALID
// for a malformed email or phone and ECONFLICT when another contact holds
// that email or phone (merge them instead).
func (s *Service) UpdateContact(ctx context.Context, actor Actor, id int64, ch ContactChange) (c parley.Contact, err error) {
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		cur, err := tx.Contact(id)
		if err != nil {
			return err
		}
		c = cur
		if ch.Name != nil {
			c.Name = parley.CleanLine(*ch.Name)
			if len(c.Name) > 200 {
				return parley.Errorf(parley.EINVALID, "name must be at most 200 characters")
			}
		}
		if ch.Email != nil {
			if c.Email, err = parley.NormalizeEmail(*ch.Email); err != nil {
				return err
			}
		}
		if ch.Phone != nil {
			if c.Phone, err = parley.NormalizePhone(*ch.Phone); err != nil {
				return err
			}
		}
		return tx.UpdateContact(&c, actor.AgentID)
	})
	if err != nil {
		return c, err
	}
	return s.DB.Contact(ctx, id)
}

// Merge merges contact sourceID into targetID: one person, one history.
func (s *Service) Merge(ctx context.Context, actor Actor, targetID, sourceID int64) (m parley.ContactMerge, err error) {
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		m, err = tx.MergeContacts(targetID, sourceID, actor.AgentID)
		return err
	})
	return m, err
}

// Unmerge undoes a merge of contact targetID. Returns EINVALID when the
// merge was not into that contact.
func (s *Service) Unmerge(ctx context.Context, actor Actor, targetID, mergeID int64) (m parley.ContactMerge, err error) {
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if m, err = tx.UnmergeContacts(mergeID, actor.AgentID); err != nil {
			return err
		}
		if m.TargetID != targetID {
			return parley.Errorf(parley.EINVALID, "merge %d was not into contact %d", mergeID, targetID)
		}
		return nil
	})
	return m, err
}
