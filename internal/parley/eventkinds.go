package parley

// The catalogue of event kinds: every kind of row Parley appends to the
// event log, in one place, with what its ids and data hold. Readers of the
// log (the live hub, reports, consumers, workflows) switch on these names;
// TestEventCatalogue (internal/work) fails when code appends a kind that
// is not listed here, or declares one elsewhere.
//
// Every event carries its seq, type and created_at; the ids it sets are
// listed per kind ("agent" is who made the change, when an agent did).
// Data is JSON; fields may be added, never renamed or removed, since old
// rows stay in the log and are replayed (reports) as they are.
const (
	// Conversations.
	EventConversationCreated  = "conversation.created"  // conversation, contact, agent; data: inbox_id, previous_id (the conversation it follows, or null)
	EventConversationStatus   = "conversation.status"   // conversation, contact, agent; data: from, to, reason, snoozed_until (a snooze)
	EventConversationPriority = "conversation.priority" // conversation, contact, agent; data: from, to, reason ("triage", with rules: the rule names)
	EventConversationAssigned = "conversation.assigned" // conversation, contact, agent; data: from, to (agent ids or null), reason (routing's: "auto", "reopened", "requeued"…)
	EventConversationTeam     = "conversation.team"     // conversation, contact, agent; data: from, to (team ids or null)
	EventConversationLabels   = "conversation.labels"   // conversation, contact, agent; data: labels (the whole new list)
	// Typing and seen: signals for the screens, sent sparingly (a typist's
	// page sends at most one every few seconds; seen, when an agent opens
	// a conversation with customer messages they had not read).
	EventTyping             = "conversation.typing"  // conversation, contact, agent (when an agent types); data: who (agent, customer)
	EventSeen               = "conversation.seen"    // conversation, contact, agent; data: at (when the agent opened it)
	EventConversationQueued = "conversation.queued"  // conversation, contact; data: for (an agent it is held for) and reason, or released_from and reason
	EventPromise            = "conversation.promise" // conversation, contact, message; data: reply_by, text, after_hours, away, position

	// Messages.
	EventMessageCreated  = "message.created"  // conversation, contact, message, agent (the author); data: direction, automated (when Parley wrote it), response (outgoing only: parley.IsResponse)
	EventMessageDelivery = "message.delivery" // conversation, contact, message; data: state, error
	EventMessageUpdated  = "message.updated"  // conversation, contact, message; data: attachment_id (media fetched later)
	EventMessageRefused  = "message.refused"  // no ids; data: inbox_id, channel, kind, provider_id, reason (a provider's message or receipt Parley could not store)

	// Contacts.
	EventContactCreated  = "contact.created"  // contact; no data
	EventContactUpdated  = "contact.updated"  // contact, agent; data: none, or fields (the fields a visitor set)
	EventContactMerged   = "contact.merged"   // contact (the target), agent; data: merge_id, source_id, target_id
	EventContactUnmerged = "contact.unmerged" // contact (the source), agent; data: merge_id, source_id, target_id

	// Agents, routing and SLAs.
	EventAgentAvailability = "agent.availability" // agent; data: from, to, reason
	EventSLAWarning        = "sla.warning"        // conversation, contact; data: target, policy_id, due_at
	EventSLABreached       = "sla.breached"       // conversation, contact; data: target, policy_id, due_at
	EventSLAMet            = "sla.met"            // conversation, contact; data: target, policy_id (a reply or resolution before the breach)

	// Surveys: each written in the transaction that makes the change, so
	// the log is the survey's audit trail.
	EventSurveySent     = "survey.sent"     // conversation, contact, message; data: survey_id, channel, agent_id
	EventSurveySkipped  = "survey.skipped"  // conversation, contact; data: survey_id, reason
	EventSurveyAnswered = "survey.answered" // conversation, contact; data: survey_id, via, agent_id, and what the answer changed: ces, csat, comment (bool)

	// Approvals; data of all four: request_id, kind, state, reason, note,
	// requested_by, decided_by.
	EventApprovalRequested = "approval.requested" // conversation, contact, agent (who asked)
	EventApprovalApproved  = "approval.approved"  // conversation, contact, message (the reply it became), agent (the approver)
	EventApprovalRejected  = "approval.rejected"  // conversation, contact, agent (the approver)
	EventApprovalCancelled = "approval.cancelled" // conversation, contact, agent

	// Workflows: what a run did on its conversation, for the timeline.
	EventFlowStep = "flow.step" // conversation, contact; data: run_id, workflow_id, workflow, step, kind, state (started, done, failed, waiting, finished), summary

	// Notifications.
	EventNotificationEmail = "notification.email" // conversation, contact, message; data: status, reason, recipient, channel (an emailed, or not emailed, reply notice)

	// Configuration: a row some process may cache changed (an API token,
	// an agent's role or status, an inbox, the SLA policies, a setting),
	// appended in the transaction that changes it, so every node drops its
	// copy (change.go). Not shown to API clients or agents' streams.
	EventConfigChanged = "config.changed" // no ids; data: a Change (what, id, key)
)

var eventKinds = []string{
	EventConversationCreated, EventConversationStatus, EventConversationPriority, EventConversationAssigned,
	EventConversationTeam, EventConversationLabels, EventConversationQueued, EventPromise, EventTyping, EventSeen,
	EventMessageCreated, EventMessageDelivery, EventMessageUpdated, EventMessageRefused,
	EventContactCreated, EventContactUpdated, EventContactMerged, EventContactUnmerged,
	EventAgentAvailability, EventSLAWarning, EventSLABreached, EventSLAMet,
	EventSurveySent, EventSurveySkipped, EventSurveyAnswered,
	EventApprovalRequested, EventApprovalApproved, EventApprovalRejected, EventApprovalCancelled,
	EventFlowStep,
	EventNotificationEmail,
	EventConfigChanged,
}

// EventKinds returns every event kind in the catalogue, in the order above.
func EventKinds() []string { return append([]string(nil), eventKinds...) }

// KnownEvent reports whether kind is in the catalogue.
func KnownEvent(kind string) bool {
	for _, k := range eventKinds {
		if k == kind {
			return true
		}
	}
	return false
}
