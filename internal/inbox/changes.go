package inbox

import "github.com/parleyhq/parley/internal/parley"

// Changed drops what a change makes stale. The app calls it for every
// config.changed event in the log, whichever process wrote it, so a
// setting saved on one node is honoured on every node within the
// live-update latency rather than after a TTL.
func (s *Service) Changed(c parley.Change) {
	all := c.What == parley.ChangeEverything
	if all {
		s.inboxes.Clear()
	}
	if c.What == parley.ChangeInbox {
		s.inboxes.Forget(c.ID)
		s.expected.Delete(c.ID)
	}
	if all || c.What == parley.ChangeSLAPolicy {
		s.forgetPolicies()
	}
	if all || c.What == parley.ChangeSetting && c.Key == settingTriage {
		s.forgetTriage()
	}
	if (all || c.What == parley.ChangeSetting && c.Key == outboundAllowKey) && s.Outbound != nil {
		s.Outbound.Forget()
	}
}
