package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// The first-run checklist: what an owner does to get a team answering,
// each step ticked from what Parley can see (nothing to tick by hand),
// shown to owners and admins on the inbox until every step is done or
// they hide it.

type onboardingStep struct {
	Key, Title, Help, Href, Action string
	Done                           bool
}

type onboardingView struct {
	Steps     []onboardingStep
	Done, All int
	Snippet   string // the widget's embed code, once there is a widget inbox
	TestPage  string // the widget's own page, to send a test message from
}

const onboardingHidden = "onboarding.hidden"

func (s *Server) onboarding(r *http.Request, inboxes []parley.Inbox, agents []parley.Agent) (*onboardingView, error) {
	me := actorFrom(r)
	if !me.Role.IsAdmin() {
		return nil, nil
	}
	var hidden bool
	if _, err := s.DB.Setting(r.Context(), onboardingHidden, &hidden); err != nil || hidden {
		return nil, err
	}
	v := &onboardingView{}
	var widget *parley.Inbox
	hours := false
	for i, in := range inboxes {
		if in.ChannelType == parley.ChannelWidget && widget == nil {
			widget = &inboxes[i]
		}
		hours = hours || len(in.Routing.Hours) > 0 && string(in.Routing.Hours) != "null"
	}
	online := false
	for _, a := range agents {
		if me.AgentID != nil && a.ID == *me.AgentID {
			online = a.Availability == parley.Online
		}
	}
	page, err := s.DB.Conversations(r.Context(), parley.ConversationFilter{Limit: 1})
	if err != nil {
		return nil, err
	}
	widgetHref := "/app/admin/inboxes"
	if widget != nil {
		widgetHref = fmt.Sprintf("/app/admin/inboxes/%d", widget.ID)
		v.Snippet = s.widgetSnippet(widget.ID)
		v.TestPage = fmt.Sprintf("/widget/%d", widget.ID)
	}
	v.Steps = []onboardingStep{
		{Key: "availability", Title: "Set your availability", Help: "Choose Online in the top bar when you can take conversations: routing only assigns to agents who are.", Done: online},
		{Key: "inbox", Title: "Create an inbox or connect a channel", Help: "The website chat, email, WhatsApp, Messenger, SMS…", Href: "/app/admin/inboxes", Action: "Add an inbox", Done: len(inboxes) > 0},
		{Key: "widget", Title: "Put the chat on your site", Help: "Create a website chat inbox, then paste its snippet before </body> on your pages.", Href: widgetHref, Action: "Get the snippet", Done: widget != nil},
		{Key: "team", Title: "Invite a teammate", Help: "Add the people who answer with you.", Href: "/app/admin/agents", Action: "Add an agent", Done: len(agents) > 1},
		{Key: "hours", Title: "Set your business hours", Help: "Reply promises and SLA clocks count only these hours.", Href: "/app/admin/inboxes", Action: "Open an inbox's settings", Done: hours},
		{Key: "test", Title: "Send yourself a test message", Help: "Write in the chat as a customer would, and answer it here.", Href: v.TestPage, Action: "Open the chat", Done: len(page.Conversations) > 0},
	}
	for _, st := range v.Steps {
		v.All++
		if st.Done {
			v.Done++
		}
	}
	if v.Done == v.All {
		return nil, nil
	}
	return v, nil
}

// hideOnboarding hides the checklist for the whole team.
func (s *Server) hideOnboarding(w http.ResponseWriter, r *http.Request) error {
	if err := s.DB.Write(r.Context(), func(tx *store.Tx) error { return tx.SetSetting(onboardingHidden, true) }); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/", http.StatusSeeOther)
	return nil
}

// widgetSnippet is the code that puts an inbox's chat on a site.
func (s *Server) widgetSnippet(inboxID int64) string {
	base := ""
	if s.BaseURL != nil {
		base = s.BaseURL()
	}
	return `<script src="` + base + `/widget.js" data-inbox="` + strconv.FormatInt(inboxID, 10) + `" async></script>`
}
