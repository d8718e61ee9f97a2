package api

import "github.com/parleyhq/parley/internal/resumable"

// route is one API endpoint. The OpenAPI test walks this list, so every
// route must be documented in openapi.json and every documented one served.
type route struct {
	method, path string
	h            handler
	public       bool // no token needed
}

func (s *Server) routes() []route {
	return []route{
		{"GET", "/healthz", s.health, true},
		{"GET", "/api/v1/openapi.json", s.openAPI, true},

		{"GET", "/api/v1/inboxes", s.listInboxes, false},
		{"POST", "/api/v1/inboxes", s.createInbox, false},
		{"GET", "/api/v1/inboxes/{inbox_id}", s.getInbox, false},
		{"PATCH", "/api/v1/inboxes/{inbox_id}", s.updateInbox, false},
		{"POST", "/api/v1/inboxes/{inbox_id}/incoming", s.incoming, false},
		{"GET", "/api/v1/inboxes/{inbox_id}/expected-reply", s.expectedReply, false},

		{"GET", "/api/v1/contacts", s.listContacts, false},
		{"GET", "/api/v1/contacts/{contact_id}", s.getContact, false},
		{"PATCH", "/api/v1/contacts/{contact_id}", s.updateContact, false},
		{"POST", "/api/v1/contacts/{contact_id}/merge", s.mergeContact, false},
		{"POST", "/api/v1/contacts/{contact_id}/unmerge", s.unmergeContact, false},
		{"GET", "/api/v1/contacts/{contact_id}/merges", s.listMerges, false},

		{"GET", "/api/v1/conversations", s.listConversations, false},
		{"GET", "/api/v1/conversations/breaching-soon", s.breachingSoon, false},
		{"GET", "/api/v1/conversations/{conversation_id}", s.getConversation, false},
		{"PATCH", "/api/v1/conversations/{conversation_id}", s.updateConversation, false},
		{"POST", "/api/v1/conversations/{conversation_id}/snooze", s.snoozeConversation, false},
		{"GET", "/api/v1/conversations/{conversation_id}/messages", s.listMessages, false},
		{"POST", "/api/v1/conversations/{conversation_id}/messages", s.reply, false},
		{"POST", "/api/v1/conversations/{conversation_id}/notes", s.addNote, false},
		{"GET", "/api/v1/conversations/{conversation_id}/surveys", s.listSurveys, false},
		{"GET", "/api/v1/conversations/{conversation_id}/summary", s.getSummary, false},
		{"POST", "/api/v1/conversations/{conversation_id}/drafts", s.makeDrafts, false},
		{"POST", "/api/v1/assist/check", s.checkReply, false},
		{"POST", "/api/v1/assist/rewrite", s.rewrite, false},
		{"GET", "/api/v1/inboxes/{inbox_id}/assist", s.getInboxAssist, false},
		{"PUT", "/api/v1/inboxes/{inbox_id}/assist", s.putInboxAssist, false},
		{"POST", "/api/v1/messages/{message_id}/retry", s.retryMessage, false},
		{"GET", "/api/v1/conversations/{conversation_id}/notifications", s.listNotifications, false},
		{"POST", "/api/v1/notifications/{notification_id}/retry", s.retryNotification, false},

		{"POST", "/api/v1/uploads", s.upload, false},
		{"OPTIONS", "/api/v1/uploads/resumable", s.resumableOptions, true},
		{"POST", "/api/v1/uploads/resumable", s.startResumable, false},
		{"HEAD", "/api/v1/uploads/resumable/{upload_id}", s.resumableStep((*resumable.Server).Head), false},
		{"PATCH", "/api/v1/uploads/resumable/{upload_id}", s.resumableStep((*resumable.Server).Patch), false},
		{"DELETE", "/api/v1/uploads/resumable/{upload_id}", s.resumableStep((*resumable.Server).Delete), false},
		{"GET", "/api/v1/attachments/{attachment_id}", s.getAttachment, false},

		{"GET", "/api/v1/search", s.search, false},

		{"GET", "/api/v1/remote-agents", s.listRemoteAgents, false},
		{"POST", "/api/v1/remote-agents", s.createRemoteAgent, false},
		{"POST", "/api/v1/remote-agents/{agent_id}/refresh", s.refreshRemoteAgent, false},
		{"DELETE", "/api/v1/remote-agents/{agent_id}", s.deleteRemoteAgent, false},
		{"POST", "/api/v1/conversations/{conversation_id}/ask-agent", s.askAgent, false},
		{"POST", "/api/v1/conversations/bulk", s.bulkConversations, false},
		{"POST", "/api/v1/conversations/bulk/undo", s.bulkUndo, false},
		{"GET", "/api/v1/agent-calls", s.listAgentCalls, false},
		{"GET", "/api/v1/workflows", s.listWorkflows, false},
		{"POST", "/api/v1/workflows", s.saveWorkflow, false},
		{"GET", "/api/v1/workflows/{workflow_id}", s.getWorkflow, false},
		{"GET", "/api/v1/workflow-templates", s.listTemplates, false},
		{"GET", "/api/v1/workflow-secrets", s.listWorkflowSecrets, false},
		{"PUT", "/api/v1/workflow-secrets/{name}", s.putWorkflowSecret, false},
		{"DELETE", "/api/v1/workflow-secrets/{name}", s.deleteWorkflowSecret, false},
		{"POST", "/api/v1/workflows/{workflow_id}/runs", s.startRun, false},
		{"POST", "/api/v1/workflows/{workflow_id}/dry-run", s.dryRun, false},
		{"GET", "/api/v1/runs", s.listRuns, false},
		{"POST", "/api/v1/events/inbound", s.inboundEvent, false},
		{"POST", "/api/v1/events/signed", s.signedEvent, true},
		{"GET", "/api/v1/runs/{run_id}", s.getRun, false},
		{"POST", "/api/v1/runs/{run_id}/cancel", s.cancelRun, false},
		{"POST", "/api/v1/runs/{run_id}/retry", s.retryRun, false},

		{"GET", "/api/v1/knowledge", s.listArticles, false},
		{"POST", "/api/v1/knowledge", s.createArticle, false},
		{"GET", "/api/v1/knowledge/search", s.searchKnowledge, false},
		{"GET", "/api/v1/knowledge/{article_id}", s.getArticle, false},
		{"PATCH", "/api/v1/knowledge/{article_id}", s.updateArticle, false},
		{"DELETE", "/api/v1/knowledge/{article_id}", s.deleteArticle, false},
		{"GET", "/api/v1/events", s.listEvents, false},

		{"GET", "/api/v1/agents", s.listAgents, false},
		{"POST", "/api/v1/agents", s.createAgent, false},
		{"PATCH", "/api/v1/agents/{agent_id}", s.updateAgent, false},
		{"GET", "/api/v1/teams", s.listTeams, false},
		{"POST", "/api/v1/teams", s.createTeam, false},
		{"PATCH", "/api/v1/teams/{team_id}", s.updateTeam, false},

		{"GET", "/api/v1/queue", s.listQueue, false},

		{"GET", "/api/v1/sla-policies", s.listSLAPolicies, false},
		{"POST", "/api/v1/sla-policies", s.createSLAPolicy, false},
		{"PATCH", "/api/v1/sla-policies/{policy_id}", s.updateSLAPolicy, false},
		{"DELETE", "/api/v1/sla-policies/{policy_id}", s.deleteSLAPolicy, false},

		{"GET", "/api/v1/triage-rules", s.getTriageRules, false},
		{"PUT", "/api/v1/triage-rules", s.putTriageRules, false},
		{"DELETE", "/api/v1/triage-rules", s.deleteTriageRules, false},

		{"GET", "/api/v1/approval-policies", s.listApprovalPolicies, false},
		{"POST", "/api/v1/approval-policies", s.createApprovalPolicy, false},
		{"PATCH", "/api/v1/approval-policies/{policy_id}", s.updateApprovalPolicy, false},
		{"DELETE", "/api/v1/approval-policies/{policy_id}", s.deleteApprovalPolicy, false},
		{"GET", "/api/v1/approvals", s.listApprovals, false},
		{"GET", "/api/v1/approvals/{approval_id}", s.getApproval, false},
		{"POST", "/api/v1/approvals/{approval_id}/approve", s.approveApproval, false},
		{"POST", "/api/v1/approvals/{approval_id}/reject", s.rejectApproval, false},

		{"GET", "/api/v1/reports", s.getReport, false},
		{"GET", "/api/v1/reports/drafts", s.draftReport, false},
		{"GET", "/api/v1/reports/workflows", s.workflowReport, false},

		{"GET", "/api/v1/jobs", s.listJobs, false},
		{"POST", "/api/v1/jobs/{job_id}/retry", s.retryJob, false},

		{"GET", "/api/v1/tokens", s.listTokens, false},
		{"POST", "/api/v1/tokens", s.createToken, false},
		{"POST", "/api/v1/tokens/{token_id}/revoke", s.revokeToken, false},

		{"GET", "/api/v1/settings/ai-model", s.getAIModel, false},
		{"PUT", "/api/v1/settings/ai-model", s.putAIModel, false},
		{"POST", "/api/v1/settings/ai-model/test", s.testAIModel, false},
	}
}
