package gateway

import (
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// threading fills in an email reply's subject and threading headers from
// the conversation; other channels have none.
func (g *Gateway) threading(tx *store.Tx, c *conn, conv parley.Conversation, p *payload) error {
	if c.inbox.ChannelType != parley.ChannelEmail {
		return nil
	}
	return nil
}
