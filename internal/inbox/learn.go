package inbox

import (
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// JobLearn asks the knowledge base (internal/knowledge, which handles
// it) to learn the team's answers from a resolution once the inbox's
// reopen window has closed: scheduled here, in the transaction that
// resolves, so learning costs the ingest path nothing, and a reopening
// inside the window makes the job find nothing to learn.
const JobLearn = "knowledge.learn"

// learnPayload is the job's payload; knowledge.learnPayload reads it.
type learnPayload struct {
	ConversationID int64 `json:"conversation_id"`
	ResolvedAt     int64 `json:"resolved_at"` // Unix µs: the resolution to learn from
}

// scheduleLearning enqueues JobLearn for a conversation an agent
// answered that just became resolved.
func (s *Service) scheduleLearning(tx *store.Tx, in parley.Inbox, before parley.Conversation, c parley.Conversation) error {
	if c.Status != parley.StatusResolved || before.Status == parley.StatusResolved || c.ResolvedAt == nil || c.FirstResponseAt == nil {
		return nil
	}
	return s.enqueue(tx, JobLearn, learnPayload{ConversationID: c.ID, ResolvedAt: c.ResolvedAt.UnixMicro()},
		c.ResolvedAt.Add(in.ReopenWindow), 5)
}
