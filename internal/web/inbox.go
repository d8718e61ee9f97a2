package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// View is which conversations the list shows, read from the query string.
type View struct {
	Name    string // mine, unassigned, all, queue, breaching
	Status  parley.Status
	InboxID int64
	TeamID  int64
	Label   string
	Query   string // full-text search
	Cursor  string
}

func parseView(r *http.Request) (View, error) {
	q := r.URL.Query()
	v := View{Name: q.Get("view"), Status: parley.Status(q.Get("status")), Label: q.Get("label"), Query: strings.TrimSpace(q.Get("q")), Cursor: q.Get("cursor")}
	switch v.Name {
	case "", "all":
		v.Name = "all"
	case "mine", "unassigned", "queue", "breaching":
	default:
		return v, parley.Errorf(parley.EINVALID, "view %q is not one of mine, unassigned, all, queue, breaching", v.Name)
	}
	if v.Status == "" {
		v.Status = parley.StatusOpen
	}
	if !v.Status.Valid() {
		return v, parley.Errorf(parley.EINVALID, "status %q is not one of open, pending, snoozed, resolved", v.Status)
	}
	var err error
	if v.InboxID, err = optID(q.Get("inbox")); err != nil {
		return v, err
	}
	if v.TeamID, err = optID(q.Get("team")); err != nil {
		return v, err
	}
	return v, nil
}

func optID(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, parley.Errorf(parley.EINVALID, "%q is not an id", s)
	}
	return n, nil
}

func pathID(r *http.Request) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || n <= 0 {
		return 0, parley.Errorf(parley.ENOTFOUND, "%q is not an id", r.PathValue("id"))
	}
	return n, nil
}

// Values is the view as a query string (without the cursor).
func (v View) Values() url.Values {
	q := url.Values{}
	if v.Name != "all" {
		q.Set("view", v.Name)
	}
	if v.Status != parley.StatusOpen {
		q.Set("status", string(v.Status))
	}
	if v.InboxID != 0 {
		q.Set("inbox", strconv.FormatInt(v.InboxID, 10))
	}
	if v.TeamID != 0 {
		q.Set("team", strconv.FormatInt(v.TeamID, 10))
	}
	if v.Label != "" {
		q.Set("label", v.Label)
	}
	if v.Query != "" {
		q.Set("q", v.Query)
	}
	return q
}

// Encode is the view's query string, "" for the default view.
func (v View) Encode() string { return v.Values().Encode() }

// Is reports whether the sidebar entry (name, status, inbox, team, label)
// is the current view.
func (v View) Is(name string, status string, inbox, team int64, label string) bool {
	return v.Query == "" && v.Name == name && string(v.Status) == status && v.InboxID == inbox && v.TeamID == team && v.Label == label
}

// Row is one conversation in the list.
type Row struct {
	ID           int64
	Contact      string
	Preview      string
	PreviewDir   parley.Direction
	Files        int
	Channel      parley.ChannelType
	InboxName    string
	Status       parley.Status
	Priority     parley.Priority
	AssigneeName string
	Labels       []string
	At           time.Time
	Href         string
	Active       bool
	SLA          *SLABadge
	Queued       bool
	QueuePos     int    // 0: queued beyond the part of the queue that was read
	QueuedFor    string // the agent a reopened conversation is held for
	// Unread: the customer wrote since the agent last had it open.
	Unread bool
}

// ListView is the conversation list (a page of rows and "Load more").
type ListView struct {
	View     View
	Rows     []Row
	NextURL  string
	Selected int64
	Search   bool
	// SearchPending: the newest messages were not searched yet (they wait
	// for the full-text index after a bulk load); the list says so.
	SearchPending int64
}

// SidebarView is the views menu with counts.
type SidebarView struct {
	View   View
	Counts store.ViewCounts
	// Queued and Breaching are the counts of the Queue and Breaching soon
	// views, capped ("100+").
	Queued    string
	Breaching string
	// Unread counts what the list would mark unread in Mine, Unassigned
	// and All open, for the agent: "" for none, "99+" past the cap.
	Unread  struct{ Mine, Unassigned, Open string }
	Inboxes []parley.Inbox
	Teams   []parley.Team
	Labels  []store.LabelCount
}

type inboxView struct {
	Page
	Sidebar SidebarView
	List    ListView
	Conv    *ConvView
	// Onboarding is the first-run checklist (owners and admins, until done).
	Onboarding *onboardingView
}

// lookups are the names the list and the thread show for ids.
type lookups struct {
	inboxes map[int64]parley.Inbox
	agents  map[int64]parley.Agent
	teams   map[int64]parley.Team
}

func (s *Server) lookups(r *http.Request) (lookups, []parley.Inbox, []parley.Agent, []parley.Team, error) {
	l := lookups{inboxes: map[int64]parley.Inbox{}, agents: map[int64]parley.Agent{}, teams: map[int64]parley.Team{}}
	inboxes, err := s.DB.Inboxes(r.Context())
	if err != nil {
		return l, nil, nil, nil, err
	}
	agents, err := s.DB.Agents(r.Context())
	if err != nil {
		return l, nil, nil, nil, err
	}
	teams, err := s.DB.Teams(r.Context())
	if err != nil {
		return l, nil, nil, nil, err
	}
	for _, in := range inboxes {
		l.inboxes[in.ID] = in
	}
	for _, a := range agents {
		l.agents[a.ID] = a
	}
	for _, t := range teams {
		l.teams[t.ID] = t
	}
	return l, inboxes, agents, teams, nil
}

// sidebar makes the views menu. selected is the conversation the agent
// has open (0: none), which, as in the list, counts as read.
func (s *Server) sidebar(r *http.Request, v View, inboxes []parley.Inbox, teams []parley.Team, selected int64) (SidebarView, error) {
	u, _ := userFrom(r)
	sb := SidebarView{View: v, Inboxes: inboxes, Teams: teams}
	var err error
	if sb.Counts, err = s.DB.ViewCounts(r.Context(), u.Agent.ID); err != nil {
		return sb, err
	}
	unread, err := s.DB.UnreadCounts(r.Context(), u.Agent.ID, selected, unreadCap)
	if err != nil {
		return sb, err
	}
	sb.Unread.Mine, sb.Unread.Unassigned, sb.Unread.Open = unreadBadge(unread.Mine), unreadBadge(unread.Unassigned), unreadBadge(unread.Open)
	if err := s.specialCounts(r, &sb); err != nil {
		return sb, err
	}
	sb.Labels, err = s.DB.Labels(r.Context())
	return sb, err
}

// list loads one page of the current view.
func (s *Server) list(r *http.Request, v View, l lookups, selected int64) (ListView, error) {
	u, _ := userFrom(r)
	lv := ListView{View: v, Selected: selected}
	var convs []parley.Conversation
	var pos map[int64]int
	var special bool
	var err error
	if v.Query == "" {
		if convs, pos, special, err = s.specialView(r, v); err != nil {
			return lv, err
		}
	}
	switch {
	case special:
	case v.Query != "":
		lv.Search = true
		if convs, lv.NextURL, lv.SearchPending, err = s.search(r, v); err != nil {
			return lv, err
		}
	default:
		f := parley.ConversationFilter{Status: v.Status, InboxID: v.InboxID, TeamID: v.TeamID, Label: v.Label, Cursor: v.Cursor, Limit: 25}
		switch v.Name {
		case "mine":
			f.AssigneeID = u.Agent.ID
		case "unassigned":
			f.AssigneeID = -1
		}
		page, err := s.DB.Conversations(r.Context(), f)
		if err != nil {
			return lv, err
		}
		convs = page.Conversations
		if page.NextCursor != "" {
			q := v.Values()
			q.Set("cursor", page.NextCursor)
			lv.NextURL = "/app/list?" + q.Encode()
		}
	}
	lv.Rows, err = s.rows(r, convs, l, v, selected, pos)
	return lv, err
}

// search finds conversations whose messages match v.Query, newest first.
func (s *Server) search(r *http.Request, v View) (_ []parley.Conversation, _ string, pending int64, _ error) {
	before, _ := strconv.ParseInt(v.Cursor, 10, 64)
	page, err := s.DB.Search(r.Context(), store.SearchFilter{Query: v.Query, InboxID: v.InboxID, BeforeID: before, Limit: 51})
	if err != nil {
		return nil, "", 0, err
	}
	results := page.Results
	if page.Incomplete {
		pending = page.Pending
	}
	next := ""
	if len(results) > 50 {
		results = results[:50]
		q := v.Values()
		q.Set("cursor", strconv.FormatInt(results[len(results)-1].ID, 10))
		next = "/app/list?" + q.Encode()
	}
	var convs []parley.Conversation
	seen := map[int64]bool{}
	for _, res := range results {
		if seen[res.ConversationID] {
			continue
		}
		seen[res.ConversationID] = true
		c, err := s.DB.Conversation(r.Context(), res.ConversationID)
		if err != nil {
			return nil, "", 0, err
		}
		convs = append(convs, c)
	}
	return convs, next, pending, nil
}

// rows makes the list's rows. pos numbers the queue; when nil and a row
// is queued, the queue is read once to number it.
func (s *Server) rows(r *http.Request, convs []parley.Conversation, l lookups, v View, selected int64, pos map[int64]int) ([]Row, error) {
	ids := make([]int64, len(convs))
	contactIDs := make([]int64, len(convs))
	queued := false
	for i, c := range convs {
		ids[i], contactIDs[i] = c.ID, c.ContactID
		queued = queued || c.QueuedAt != nil
	}
	if queued && pos == nil {
		var err error
		if pos, err = s.queuePositions(r); err != nil {
			return nil, err
		}
	}
	previews, err := s.DB.Previews(r.Context(), ids)
	if err != nil {
		return nil, err
	}
	contacts, err := s.DB.ContactsByID(r.Context(), contactIDs)
	if err != nil {
		return nil, err
	}
	read := map[int64]time.Time{}
	if a := actorFrom(r); a.AgentID != nil {
		if read, err = s.DB.ReadTimes(r.Context(), *a.AgentID, ids); err != nil {
			return nil, err
		}
	}
	q := v.Encode()
	now := s.DB.Now()
	rows := make([]Row, 0, len(convs))
	for _, c := range convs {
		in := l.inboxes[c.InboxID]
		p := previews[c.ID]
		row := Row{ID: c.ID, Contact: contactName(contacts[c.ContactID]), Preview: p.Text, PreviewDir: p.Direction, Files: p.Files,
			Channel: in.ChannelType, InboxName: in.Name, Status: c.Status, Priority: c.Priority, Labels: c.Labels,
			At: c.LastActivityAt, Href: convHref(c.ID, q), Active: c.ID == selected,
			SLA: slaBadge(c, now), Queued: c.QueuedAt != nil, QueuePos: pos[c.ID]}
		if at, ok := read[c.ID]; p.Direction == parley.Incoming && (!ok || p.CreatedAt.After(at)) && c.ID != selected {
			row.Unread = true
		}
		if c.AssigneeID != nil {
			row.AssigneeName = l.agents[*c.AssigneeID].Name
		}
		if c.QueuedFor != nil {
			row.QueuedFor = l.agents[*c.QueuedFor].Name
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func convHref(id int64, viewQuery string) string {
	h := "/app/conversations/" + strconv.FormatInt(id, 10)
	if viewQuery != "" {
		h += "?" + viewQuery
	}
	return h
}

func contactName(c parley.Contact) string {
	switch {
	case c.Name != "":
		return c.Name
	case c.Email != "":
		return c.Email
	case c.Phone != "":
		return c.Phone
	case c.TimeZone != "":
		// An anonymous visitor: the place their browser's clock is set
		// to says more than a number ("Visitor from Lisbon").
		if city := tzCity(c.TimeZone); city != "" {
			return "Visitor from " + city
		}
	}
	if c.ID == 0 {
		return "Unknown contact"
	}
	return "Contact #" + strconv.FormatInt(c.ID, 10)
}

// tzCity is the place an IANA time zone is named after: "Lisbon" for
// Europe/Lisbon, "Ho Chi Minh" for Asia/Ho_Chi_Minh; "" for zones named
// after no place (UTC, Etc/GMT+3).
func tzCity(tz string) string {
	i := strings.LastIndex(tz, "/")
	if i < 0 || strings.HasPrefix(tz, "Etc/") {
		return ""
	}
	return strings.ReplaceAll(tz[i+1:], "_", " ")
}

// inboxPage is the list of conversations with the views menu.
func (s *Server) inboxPage(w http.ResponseWriter, r *http.Request) error {
	return s.inboxOrConversation(w, r, 0)
}

func (s *Server) inboxOrConversation(w http.ResponseWriter, r *http.Request, convID int64) error {
	v, err := parseView(r)
	if err != nil {
		return err
	}
	page := s.page(r, "Inbox", "inbox") // LastSeq is read before the data, so nothing is missed in between
	l, inboxes, agents, teams, err := s.lookups(r)
	if err != nil {
		return err
	}
	iv := inboxView{Page: page}
	if iv.Sidebar, err = s.sidebar(r, v, inboxes, teams, convID); err != nil {
		return err
	}
	v.Cursor = ""
	if iv.List, err = s.list(r, v, l, convID); err != nil {
		return err
	}
	if convID != 0 {
		cv, err := s.conversation(r, convID, v, l, agents, teams)
		if err != nil {
			return err
		}
		iv.Conv = &cv
		iv.Title = cv.ContactName
	} else if iv.Onboarding, err = s.onboarding(r, inboxes, agents); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "inbox", "", iv)
}

// listPartial is the list's rows, for "Load more" and live refreshes.
func (s *Server) listPartial(w http.ResponseWriter, r *http.Request) error {
	v, err := parseView(r)
	if err != nil {
		return err
	}
	l, inboxes, _, teams, err := s.lookups(r)
	if err != nil {
		return err
	}
	selected, _ := optID(r.URL.Query().Get("selected"))
	lv, err := s.list(r, v, l, selected)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("counts") != "1" {
		return s.render(w, r, http.StatusOK, "partials", "rows", lv)
	}
	// The views' counts too, swapped into the sidebar out of band: one
	// request for the whole live update.
	sb, err := s.sidebar(r, v, inboxes, teams, selected)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "partials", "rows-and-counts", struct {
		List    ListView
		Sidebar SidebarView
	}{lv, sb})
}

// sidebarPartial is the views menu with fresh counts (the live client asks
// for it at most every few seconds).
func (s *Server) sidebarPartial(w http.ResponseWriter, r *http.Request) error {
	v, err := parseView(r)
	if err != nil {
		return err
	}
	_, inboxes, _, teams, err := s.lookups(r)
	if err != nil {
		return err
	}
	selected, _ := optID(r.URL.Query().Get("selected"))
	sb, err := s.sidebar(r, v, inboxes, teams, selected)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "partials", "sidebar", sb)
}

// unreadCap bounds each unread count of the sidebar: the query stops
// there, and the badge says "99+".
const unreadCap = 100

func unreadBadge(n int) string {
	switch {
	case n <= 0:
		return ""
	case n >= unreadCap:
		return strconv.Itoa(unreadCap-1) + "+"
	}
	return strconv.Itoa(n)
}
