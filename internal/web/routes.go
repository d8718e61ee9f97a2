package web

import "net/http"

// routes lists every route of the agent inbox. Pages live under /app/,
// sign-in at /login; /api/, /hooks/, /widget*, /healthz and /metrics
// belong to others.
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/app/", http.StatusSeeOther) })
	mux.HandleFunc("GET /app/static/", s.assets.serve)

	mux.HandleFunc("GET /login", s.wrap(public, s.loginPage))
	mux.HandleFunc("POST /login", s.wrap(public, s.login))
	mux.HandleFunc("POST /logout", s.wrap(agent, s.logout))
	mux.HandleFunc("GET /app/password", s.wrap(agent, s.passwordPage))
	mux.HandleFunc("POST /app/password", s.wrap(agent, s.changePassword))

	mux.HandleFunc("GET /app/{$}", s.wrap(agent, s.inboxPage))
	mux.HandleFunc("GET /app/list", s.wrap(agent, s.listPartial))
	mux.HandleFunc("GET /app/sidebar", s.wrap(agent, s.sidebarPartial))
	mux.HandleFunc("GET /app/events", s.wrap(agent, s.events))
	mux.HandleFunc("POST /app/availability", s.wrap(agent, s.setAvailability))

	mux.HandleFunc("GET /app/conversations/{id}", s.wrap(agent, s.conversationPage))
	mux.HandleFunc("GET /app/conversations/{id}/timeline", s.wrap(agent, s.timelinePartial))
	mux.HandleFunc("GET /app/conversations/{id}/meta", s.wrap(agent, s.metaPartial))
	mux.HandleFunc("GET /app/conversations/{id}/alert", s.wrap(agent, s.urgentAlert))
	mux.HandleFunc("POST /app/conversations/{id}/reply", s.wrap(agent, s.reply))
	mux.HandleFunc("POST /app/conversations/{id}/assign", s.wrap(agent, s.assign))
	mux.HandleFunc("POST /app/conversations/{id}/team", s.wrap(agent, s.setTeam))
	mux.HandleFunc("POST /app/conversations/{id}/priority", s.wrap(agent, s.setPriority))
	mux.HandleFunc("POST /app/conversations/{id}/labels", s.wrap(agent, s.setLabels))
	mux.HandleFunc("POST /app/conversations/{id}/snooze", s.wrap(agent, s.snooze))
	mux.HandleFunc("POST /app/conversations/{id}/status", s.wrap(agent, s.setStatus))
	mux.HandleFunc("POST /app/messages/{id}/retry", s.wrap(agent, s.retry))
	mux.HandleFunc("POST /app/notifications/{id}/retry", s.wrap(agent, s.retryNotice))
	mux.HandleFunc("GET /app/attachments/{id}", s.wrap(agent, s.attachment))

	mux.HandleFunc("POST /app/contacts/{id}", s.wrap(agent, s.editContact))
	mux.HandleFunc("GET /app/contacts/{id}/merge-candidates", s.wrap(agent, s.mergeCandidates))
	mux.HandleFunc("POST /app/contacts/{id}/merge", s.wrap(agent, s.merge))
	mux.HandleFunc("POST /app/contacts/{id}/unmerge", s.wrap(agent, s.unmerge))

	mux.HandleFunc("GET /app/reports", s.wrap(admin, s.reportsPage))
	mux.HandleFunc("GET /app/reports.csv", s.wrap(admin, s.reportsCSV))
	mux.HandleFunc("GET /app/reports/conversations.csv", s.wrap(admin, s.conversationsCSV))
	mux.HandleFunc("GET /app/reports/conversations", s.wrap(admin, s.reportConversationsPage))

	mux.HandleFunc("GET /app/admin/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/app/admin/agents", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /app/admin/agents", s.wrap(admin, s.agentsPage))
	mux.HandleFunc("POST /app/admin/agents", s.wrap(admin, s.inviteAgent))
	mux.HandleFunc("POST /app/admin/agents/{id}/role", s.wrap(admin, s.changeRole))
	mux.HandleFunc("POST /app/admin/agents/{id}/active", s.wrap(admin, s.setActive))
	mux.HandleFunc("POST /app/admin/agents/{id}/routing", s.wrap(admin, s.agentRouting))
	mux.HandleFunc("GET /app/admin/teams", s.wrap(admin, s.teamsPage))
	mux.HandleFunc("POST /app/admin/teams", s.wrap(admin, s.createTeam))
	mux.HandleFunc("POST /app/admin/teams/{id}/members", s.wrap(admin, s.teamMember))
	mux.HandleFunc("GET /app/admin/inboxes", s.wrap(admin, s.inboxesPage))
	mux.HandleFunc("POST /app/admin/inboxes", s.wrap(admin, s.createInbox))
	mux.HandleFunc("GET /app/admin/inboxes/{id}", s.wrap(admin, s.inboxSettingsPage))
	mux.HandleFunc("POST /app/admin/inboxes/{id}", s.wrap(admin, s.updateInbox))
	mux.HandleFunc("GET /app/admin/sla", s.wrap(admin, s.slaPage))
	mux.HandleFunc("POST /app/admin/sla", s.wrap(admin, s.saveSLA))
	mux.HandleFunc("POST /app/admin/sla/{id}", s.wrap(admin, s.saveSLA))
	mux.HandleFunc("POST /app/admin/sla/{id}/delete", s.wrap(admin, s.deleteSLA))
	mux.HandleFunc("GET /app/admin/triage", s.wrap(admin, s.triagePage))
	mux.HandleFunc("POST /app/admin/triage", s.wrap(admin, s.saveTriage))
	mux.HandleFunc("POST /app/admin/triage/defaults", s.wrap(admin, s.restoreTriage))
	mux.HandleFunc("GET /app/admin/canned", s.wrap(admin, s.cannedPage))
	mux.HandleFunc("POST /app/admin/canned", s.wrap(admin, s.saveCanned))
	mux.HandleFunc("POST /app/admin/canned/{id}", s.wrap(admin, s.saveCanned))
	mux.HandleFunc("POST /app/admin/canned/{id}/delete", s.wrap(admin, s.deleteCanned))
	mux.HandleFunc("GET /app/admin/tokens", s.wrap(admin, s.tokensPage))
	mux.HandleFunc("POST /app/admin/tokens", s.wrap(admin, s.createToken))
	mux.HandleFunc("POST /app/admin/tokens/{id}/revoke", s.wrap(admin, s.revokeToken))
	mux.HandleFunc("GET /app/admin/smtp", s.wrap(admin, s.smtpPage))
	mux.HandleFunc("POST /app/admin/smtp", s.wrap(admin, s.saveSMTP))
	mux.HandleFunc("GET /app/admin/outbound", s.wrap(admin, s.outboundPage))
	mux.HandleFunc("POST /app/admin/outbound", s.wrap(admin, s.saveOutbound))
	mux.HandleFunc("GET /app/admin/ai-model", s.wrap(admin, s.aiModelPage))
	mux.HandleFunc("POST /app/admin/ai-model", s.wrap(admin, s.saveAIModel))
}
