package store

import (
	"context"

	"github.com/parleyhq/parley/internal/parley"
)

// activityTypes are the events an agent reads as lines of a
// conversation's timeline: who assigned, moved, snoozed, resolved or
// reopened it, who approved or sent back a held reply, what workflows did,
// and when.
var activityTypes = `'` + parley.EventConversationStatus + `', '` + parley.EventConversationAssigned + `', '` + parley.EventConversationTeam +
	`', '` + parley.EventApprovalApproved + `', '` + parley.EventApprovalRejected + `', '` + parley.EventFlowStep + `'`

// ConversationActivity returns the status, assignment, team and approval events of
// the given conversations, in seq order.
func (db *DB) ConversationActivity(ctx context.Context, ids []int64) (_ []parley.Event, err error) {
	defer wrap(&err, "store: ConversationActivity")
	out, err := readByIDs(ctx, db, ids, func(in string) string {
		return `SELECT seq, type, conversation_id, contact_id, message_id, agent_id, data, created_at
			FROM events WHERE conversation_id IN (` + in + `) AND type IN (` + activityTypes + `) ORDER BY conversation_id, seq`
	}, scanReportEvent)
	sortEventsBySeq(out)
	return out, err
}
