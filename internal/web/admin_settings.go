package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

type inboxesView struct {
	Page
	Inboxes []parley.Inbox
	// A refused new widget inbox: why, and what was entered.
	Error, Name, Origins string
}

func (s *Server) inboxesPage(w http.ResponseWriter, r *http.Request) error {
	v := inboxesView{Page: s.page(r, "Inboxes", "inboxes")}
	var err error
	if v.Inboxes, err = s.DB.Inboxes(r.Context()); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_inboxes", "", v)
}

// createInbox creates an inbox. A provider channel first needs its
// settings and secrets: without them the form for them is shown, and it
// posts back here with everything.
func (s *Server) createInbox(w http.ResponseWriter, r *http.Request) error {
	in := parley.Inbox{Name: trimmed(r, "name"), ChannelType: parley.ChannelType(r.PostFormValue("channel_type"))}
	settings, secrets := channelForm(r)
	if in.ChannelType.Provider() && r.PostFormValue("channel_form") == "" {
		return s.render(w, r, http.StatusOK, "admin_inbox_new", "", s.newInboxView(r, in, nil, ""))
	}
	in.Settings = settings
	if in.ChannelType == parley.ChannelWidget {
		in.AllowedOrigins = originsForm(r) // none given: Parley's own origin (inbox.CreateInbox)
	}
	in, err := s.Inbox.CreateInbox(r.Context(), actorFrom(r), in, secrets)
	if parley.ErrorCode(err) == parley.EINVALID && in.ChannelType == parley.ChannelWidget {
		v := inboxesView{Page: s.page(r, "Inboxes", "inboxes"), Error: parley.ErrorMessage(err), Name: in.Name, Origins: strings.Join(in.AllowedOrigins, "\n")}
		if v.Inboxes, err = s.DB.Inboxes(r.Context()); err != nil {
			return err
		}
		return s.render(w, r, http.StatusBadRequest, "admin_inboxes", "", v)
	}
	if parley.ErrorCode(err) == parley.EINVALID && in.ChannelType.Provider() {
		return s.render(w, r, http.StatusBadRequest, "admin_inbox_new", "", s.newInboxView(r, in, nil, parley.ErrorMessage(err)))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/inboxes/"+strconv.FormatInt(in.ID, 10)+"?flash=saved", http.StatusSeeOther)
	return nil
}

type inboxSettingsView struct {
	Page
	Inbox          parley.Inbox
	ReopenDays     int
	Snippet        string
	IdentitySecret string
	Origins        string // the sites allowed to embed a widget, one a line
	AnyOrigin      bool   // any site may: the page warns
	Error          string
	// Provider channels: their fields and the webhook address to give
	// the provider.
	Fields  []fieldView
	HookURL string
	// Routing is the routing section: assignment, acknowledgements,
	// auto-resolve and business hours.
	Routing routingView
	// Assist is the assistant's settings for this inbox.
	Assist assistView
}

// assistView is the inbox's assistant section: whether the model may see
// its conversations, and which checks block a send.
type assistView struct {
	Model  bool
	Checks []assistCheckView
}

type assistCheckView struct {
	Name     string
	Blocking bool
}

// fieldView is one channel setting or secret on a form. Secrets are never
// shown: Stored says one is set, and an empty input keeps it.
type fieldView struct {
	gateway.Field
	Value  string
	Stored bool
}

func fieldViews(in parley.Inbox, stored map[string]bool) []fieldView {
	var out []fieldView
	for _, f := range gateway.Fields(in.ChannelType) {
		fv := fieldView{Field: f, Stored: stored[f.Name]}
		if !f.Secret {
			fv.Value = in.Settings[f.Name]
		}
		out = append(out, fv)
	}
	return out
}

func (s *Server) newInboxView(r *http.Request, in parley.Inbox, stored map[string]bool, msg string) inboxSettingsView {
	return inboxSettingsView{Page: s.page(r, "New inbox", "inboxes"), Inbox: in, Fields: fieldViews(in, stored), Error: msg}
}

// channelForm reads setting.NAME and secret.NAME fields.
func channelForm(r *http.Request) (settings, secrets map[string]string) {
	settings, secrets = map[string]string{}, map[string]string{}
	for k, vs := range r.PostForm {
		if name, ok := strings.CutPrefix(k, "setting."); ok && len(vs) > 0 {
			settings[name] = vs[0]
		} else if name, ok := strings.CutPrefix(k, "secret."); ok && len(vs) > 0 && vs[0] != "" {
			secrets[name] = vs[0]
		}
	}
	return settings, secrets
}

func (s *Server) inboxSettings(r *http.Request, id int64) (inboxSettingsView, error) {
	v := inboxSettingsView{Page: s.page(r, "Inbox settings", "inboxes")}
	in, _, err := s.DB.Inbox(r.Context(), id)
	if err != nil {
		return v, err
	}
	v.Inbox, v.ReopenDays = in, int(in.ReopenWindow/(24*time.Hour))
	v.Origins, v.AnyOrigin = strings.Join(in.AllowedOrigins, "\n"), parley.AnyOriginAllowed(in.AllowedOrigins)
	if v.Assist, err = s.assistSection(r, in.ID); err != nil {
		return v, err
	}
	if v.Routing, err = s.routingSection(r, in); err != nil {
		return v, err
	}
	v.Snippet = s.widgetSnippet(in.ID)
	if in.ChannelType == parley.ChannelWidget {
		if v.IdentitySecret, err = s.DB.IdentitySecret(r.Context(), id); err != nil {
			return v, err
		}
	}
	if in.ChannelType.Provider() && s.Gateway != nil {
		stored, err := s.Gateway.StoredSecrets(r.Context(), id)
		if err != nil {
			v.Error = parley.ErrorMessage(err)
		}
		v.Fields, v.HookURL = fieldViews(in, stored), s.Gateway.HookURL(in)
	}
	return v, nil
}

func (s *Server) inboxSettingsPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := s.inboxSettings(r, id)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_inbox", "", v)
}

func (s *Server) updateInbox(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := s.inboxSettings(r, id)
	if err != nil {
		return err
	}
	in := v.Inbox
	in.Name, in.WebhookURL = trimmed(r, "name"), trimmed(r, "webhook_url")
	in.EmailAsk, in.ReplyTimeText, in.Greeting = r.PostFormValue("email_ask"), trimmed(r, "reply_time_text"), trimmed(r, "greeting")
	if in.ChannelType == parley.ChannelWidget && r.PostForm.Has("look_color") {
		in.Look = parley.WidgetLook{Color: trimmed(r, "look_color"), Title: trimmed(r, "look_title"), LogoURL: trimmed(r, "look_logo_url"),
			Position: trimmed(r, "look_position"), Language: trimmed(r, "look_language")}
		if in.Look.Color == "#2f5bea" {
			in.Look.Color = "" // the default, kept as the default
		}
	}
	days, err1 := strconv.Atoi(r.PostFormValue("reopen_days"))
	away, err2 := strconv.Atoi(r.PostFormValue("away_minutes"))
	if err1 != nil || err2 != nil || days < 1 {
		err = parley.Errorf(parley.EINVALID, "the reopen window (days, at least 1) and away minutes must be whole numbers")
	} else {
		in.ReopenWindow, in.AwayMinutes = time.Duration(days)*24*time.Hour, away
		var secrets map[string]string
		if in.ChannelType.Provider() {
			in.Settings, secrets = channelForm(r)
		}
		// Forms without the field (other channels, older pages) keep the
		// stored sites.
		if in.ChannelType == parley.ChannelWidget && r.PostForm.Has("allowed_origins") {
			in.AllowedOrigins = originsForm(r)
		}
		// Forms without the routing section (older pages, scripts) keep
		// the stored routing.
		if r.PostFormValue("routing_form") != "" {
			err = routingForm(r, &in, v.Routing.Teams)
		}
		if err == nil {
			_, err = s.Inbox.UpdateInbox(r.Context(), actorFrom(r), in, secrets)
		}
	}
	if parley.ErrorCode(err) == parley.EINVALID {
		v.Inbox, v.Error = in, parley.ErrorMessage(err)
		if r.PostForm.Has("allowed_origins") {
			v.Origins = r.PostFormValue("allowed_origins") // shown as typed, to fix
		}
		if r.PostFormValue("routing_form") != "" {
			v.Routing.HoursText = r.PostFormValue("hours")
			if r.PostFormValue("hours_form") != "" {
				v.Routing.Hours = hoursFormPosted(r)
			}
		}
		if hoursProblem(err) {
			v.Routing.HoursError, v.Error = v.Error, "Nothing was saved: the business hours need fixing."
		}
		return s.render(w, r, http.StatusBadRequest, "admin_inbox", "", v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/inboxes/"+strconv.FormatInt(id, 10)+"?flash=saved", http.StatusSeeOther)
	return nil
}

type cannedView struct {
	Page
	Canned []store.CannedResponse
}

func (s *Server) cannedPage(w http.ResponseWriter, r *http.Request) error {
	v := cannedView{Page: s.page(r, "Canned responses", "canned")}
	var err error
	if v.Canned, err = s.DB.CannedResponses(r.Context()); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_canned", "", v)
}

// saveCanned creates a canned response, or updates the one in the path.
func (s *Server) saveCanned(w http.ResponseWriter, r *http.Request) error {
	c := store.CannedResponse{Shortcut: r.PostFormValue("shortcut"), Title: r.PostFormValue("title"), Body: r.PostFormValue("body")}
	if r.PathValue("id") != "" {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		c.ID = id
		old, err := s.DB.Canned(r.Context(), id)
		if err != nil {
			return err
		}
		c.Clip = old.Clip
	}
	clip, set, err := s.clipFrom(r)
	if err != nil {
		return err
	}
	if set {
		c.Clip = clip
	}
	if _, err := s.Inbox.SaveCanned(r.Context(), actorFrom(r), c); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/canned?flash=saved", http.StatusSeeOther)
	return nil
}

func (s *Server) deleteCanned(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.Inbox.DeleteCanned(r.Context(), actorFrom(r), id); err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/canned?flash=deleted", http.StatusSeeOther)
	return nil
}

type smtpView struct {
	Page
	SMTP        inbox.SMTPSettings
	HasPassword bool
	Error       string
}

func (s *Server) smtpPage(w http.ResponseWriter, r *http.Request) error {
	v := smtpView{Page: s.page(r, "Email (SMTP)", "smtp")}
	c, err := s.Inbox.SMTPSettings(r.Context())
	if err != nil {
		return err
	}
	v.HasPassword = c.Password != ""
	c.Password = "" // never sent to the browser
	v.SMTP = c
	return s.render(w, r, http.StatusOK, "admin_smtp", "", v)
}

func (s *Server) saveSMTP(w http.ResponseWriter, r *http.Request) error {
	port, _ := strconv.Atoi(r.PostFormValue("port"))
	c := inbox.SMTPSettings{Host: trimmed(r, "host"), Port: port, Username: trimmed(r, "username"), Password: r.PostFormValue("password"),
		From: trimmed(r, "from"), Security: r.PostFormValue("security")}
	err := s.Inbox.SetSMTPSettings(r.Context(), actorFrom(r), c)
	if parley.ErrorCode(err) == parley.EINVALID {
		v := smtpView{Page: s.page(r, "Email (SMTP)", "smtp"), Error: parley.ErrorMessage(err)}
		c.Password = ""
		v.SMTP = c
		return s.render(w, r, http.StatusBadRequest, "admin_smtp", "", v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/smtp?flash=saved", http.StatusSeeOther)
	return nil
}
