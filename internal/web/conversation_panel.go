package web

import (
	"context"
	"encoding/json"

	"github.com/parleyhq/parley/internal/parley"
)

// panelExtras fills what the contact panel shows beside the contact:
// where a widget visitor was when they last wrote, and the outside
// agents the agent may ask about the conversation.
func (s *Server) panelExtras(ctx context.Context, cv *ConvView) error {
	if cv.Inbox.ChannelType == parley.ChannelWidget {
		raw, err := s.DB.LatestIncomingPayload(ctx, cv.Conv.ID, cv.Conv.InboxID)
		if err != nil {
			return err
		}
		var p struct {
			Visit *parley.Visit `json:"visit"`
		}
		if raw != "" && json.Unmarshal([]byte(raw), &p) == nil {
			cv.Visit = p.Visit
		}
	}
	remote, err := s.DB.RemoteAgents(ctx)
	if err != nil {
		return err
	}
	for _, a := range remote {
		cv.RemoteAgents = append(cv.RemoteAgents, a.Name)
	}
	return nil
}
