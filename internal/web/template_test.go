package web

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/triage"
)

// TestTemplates executes every page and partial with sample data.
func TestTemplates(t *testing.T) {
	a := loadAssets(false)
	tm := loadTemplates(false, a)
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	agent := parley.Agent{ID: 1, Name: "Lan Nguyen", Email: "lan@example.com", Role: parley.RoleOwner, Active: true}
	page := Page{Title: "T", Agent: agent, CSRF: "tok", Nav: "inbox", Flash: "Saved.", LastSeq: 7}
	view := View{Name: "all", Status: parley.StatusOpen}
	one := int64(1)
	due := now.Add(25 * time.Minute)
	conv := parley.Conversation{ID: 5, InboxID: 1, ContactID: 2, Status: parley.StatusSnoozed, Priority: parley.PriorityHigh, AssigneeID: &one,
		Labels: []string{"billing", "vip"}, SnoozedUntil: &now, LastActivityAt: now, QueuedAt: &now, SLADueAt: &due, SLAState: "ok", PromisedReplyBy: &due}
	cv := ConvView{CSRF: "tok", Conv: conv, Contact: parley.Contact{ID: 2, Name: "Ana <b>", Email: "ana@example.com",
		Identities: []parley.Identity{{Kind: "email", ExternalID: "ana@example.com"}}},
		ContactName: "Ana <b>", Inbox: parley.Inbox{ID: 1, Name: "Website", ChannelType: parley.ChannelWidget}, AssigneeName: "Lan",
		Me: 1, Agents: []parley.Agent{agent}, Teams: []parley.Team{{ID: 3, Name: "Billing"}},
		Canned: []CannedView{{Shortcut: "hi", Title: "Hello", Text: "Hi Ana"}},
		Past:   []PastConv{{ID: 5, Status: parley.StatusOpen, InboxName: "Website", At: now, Href: "/app/conversations/5", Current: true}},
		Merges: []MergeView{{ID: 1, SourceID: 9, At: now}}, ViewQuery: "view=mine", Now: now,
		SLA: slaBadge(conv, now), Queued: true, QueuePos: 3,
		Items: []Item{
			{Separator: &Separator{ConvID: 5, InboxName: "Website", Channel: parley.ChannelWidget, Status: parley.StatusOpen, Current: true, At: now}},
			{Msg: &MessageView{ID: 1, Direction: parley.Incoming, Author: "Ana", Segments: segments("see https://example.com/x <script>alert(1)</script>"), At: now,
				Attachments: []AttachmentView{{ID: 1, Name: "a.png", Kind: "image", URL: "/app/attachments/1"}, {ID: 2, Name: "v.mp4", Kind: "video", URL: "/app/attachments/2"},
					{ID: 3, Name: "f.pdf", Kind: "file", Size: 2048, URL: "/app/attachments/3"}},
				Omitted: []OmittedView{{Name: "<b>big</b>.zip", Size: 31 << 20, Why: "larger than the 25 MB file limit"}}}},
			{Msg: &MessageView{ID: 2, Direction: parley.Outgoing, Author: "Lan", Segments: segments("ok"), Delivery: parley.DeliveryFailed, DeliveryError: "webhook answered 500", At: now}},
			{Msg: &MessageView{ID: 3, Direction: parley.Note, Author: "Lan", Segments: segments("note"), At: now}},
		}}
	sidebar := SidebarView{View: view, Counts: store.ViewCounts{Mine: 2, Unassigned: 3, ByStatus: map[parley.Status]int{parley.StatusOpen: 9}}, Queued: "4", Breaching: "100+",
		Inboxes: []parley.Inbox{cv.Inbox}, Teams: cv.Teams, Labels: []store.LabelCount{{Label: "vip", Count: 1}}}
	sidebar.Unread.Mine, sidebar.Unread.Open = "99+", "7"
	list := ListView{View: view, Rows: []Row{{ID: 5, Contact: "Ana", Preview: "hello", PreviewDir: parley.Outgoing, Channel: parley.ChannelWidget, InboxName: "Website",
		Status: parley.StatusPending, Priority: parley.PriorityUrgent, AssigneeName: "Lan", Labels: []string{"vip"}, At: now, Href: "/app/conversations/5", Active: true,
		SLA: &SLABadge{State: "breached", Text: "overdue 12m", Due: now, Now: now}, Queued: true, QueuePos: 2}},
		NextURL: "/app/list?cursor=x"}
	inboxWidget := parley.Inbox{ID: 1, Name: "Website", ChannelType: parley.ChannelWidget, EmailAsk: "offline", AwayMinutes: 5, ReopenWindow: parley.DefaultReopenWindow}
	seen := now
	cases := []struct {
		page, block string
		v           any
		want        string
	}{
		{"inbox", "", inboxView{Page: page, Sidebar: sidebar, List: list, Conv: &cv}, "Ana &lt;b&gt;"},
		{"inbox", "", inboxView{Page: page, Sidebar: sidebar, List: ListView{View: view}}, "Select a conversation"},
		{"partials", "rows", list, "Load more"},
		{"partials", "rows", list, `sla-breached js-sla" data-due="2026-11-23T09:30:00Z"`},
		{"partials", "rows", list, "Queued #2"},
		{"partials", "rows", ListView{View: view, Rows: []Row{{ID: 6, Contact: "Bo", At: now, Queued: true, QueuePos: 1, QueuedFor: "Lan <i>"}}}, "Queued #1 · for Lan &lt;i&gt;"},
		{"admin_agents", "", agentsView{Page: page, Agents: []AgentRow{{Agent: parley.Agent{ID: 4, Name: "Mai", Capacity: 2}, Open: 3}}}, "3/2 open · over capacity"},
		{"partials", "sidebar", sidebar, `data-testid="count-breaching">100&#43;<`},
		{"partials", "meta", cv, "due in 25m"},
		{"partials", "meta", cv, "Queued #3"},
		{"partials", "meta", cv, "Promised reply by"},
		{"partials", "availability-fields", Page{Agent: parley.Agent{ID: 1, Availability: parley.Away}, CSRF: "tok"}, `value="away" selected`},
		{"partials", "urgent-toast", alertView{ID: 5, Contact: "Ana <b>", Rules: []string{"Charged twice", "<i>x</i>"}, Href: "/app/conversations/5"}, "Ana &lt;b&gt; — Charged twice, &lt;i&gt;x&lt;/i&gt;"},
		{"inbox", "", inboxView{Page: withAvail(page), Sidebar: sidebar, List: list}, `id="availability-select"`},
		{"admin_sla", "", slaView{Page: page, Policies: []slaForm{slaFormOf(parley.SLAPolicy{ID: 1, Name: "Urgent <x>", Priority: parley.PriorityUrgent, InboxID: &one,
			Label: "vip", FirstResponse: 30 * time.Minute, Resolution: 8 * time.Hour, WarnPercent: 80})}, New: slaForm{Error: "needs a target", Open: true},
			Inboxes: []parley.Inbox{inboxWidget}, InboxNames: map[int64]string{1: "Website"}, TeamNames: map[int64]string{}}, "Urgent &lt;x&gt;"},
		{"admin_triage", "", triageView{Page: page, Text: `[{"name": "<b>"}]`, Rules: triage.Defaults(), Defaults: true, Error: "rule 1: bad"}, "5,000,000 VND"},
		{"admin_inbox", "", inboxSettingsView{Page: page, Inbox: inboxWidget, ReopenDays: 7, Routing: routingView{Teams: []parley.Team{{ID: 3, Name: "Billing"}},
			HoursText: "{nope", HoursSummary: "24/7 (UTC)", HoursError: "business hours: bad", HoursExample: hoursExample}}, `data-testid="hours-error">business hours: bad`},
		{"partials", "sidebar", sidebar, "Unassigned"},
		{"partials", "sidebar", sidebar, `data-testid="unread-mine" title="99&#43; unread">99&#43;<span class="sr-only"> unread</span>`},
		{"partials", "sidebar", sidebar, `data-testid="unread-open" title="7 unread">7<`},
		{"partials", "timeline", cv, "&lt;script&gt;"},
		{"partials", "timeline", cv, `&lt;b&gt;big&lt;/b&gt;.zip <span class="muted">31.0 MB</span> — larger than the 25 MB file limit`},
		{"partials", "meta", cv, `hx-swap-oob="true"`},
		{"partials", "candidates", candidatesView{CSRF: "tok", TargetID: 2, Query: "x", Contacts: []parley.Contact{{ID: 4, Name: "Bob"}}}, "Merge"},
		{"login", "", loginView{Page: Page{Title: "Sign in"}, Error: "bad", Next: "/app/"}, "Sign in"},
		{"password", "", passwordView{Page: page, Forced: true, Error: "x"}, "generated password"},
		{"error", "", errorView{Page: page, Status: 404, Message: "gone"}, "gone"},
		{"admin_agents", "", agentsView{Page: page, Agents: []AgentRow{{Agent: agent, LastSeen: &seen, Online: true, Self: true}},
			Created: &agent, Password: "pw-once"}, "pw-once"},
		{"admin_teams", "", teamsView{Page: page, Teams: []TeamRow{{Team: parley.Team{ID: 3, Name: "Billing"}, Members: []parley.Agent{agent}, NonMembers: []parley.Agent{agent}}}}, "Billing"},
		{"admin_inboxes", "", inboxesView{Page: page, Inboxes: []parley.Inbox{inboxWidget}}, "Website"},
		{"admin_inbox", "", inboxSettingsView{Page: page, Inbox: inboxWidget, ReopenDays: 7, Snippet: `<script src="x/widget.js"></script>`, IdentitySecret: "sekrit"}, "sekrit"},
		{"admin_canned", "", cannedView{Page: page, Canned: []store.CannedResponse{{ID: 1, Shortcut: "hi", Title: "Hello", Body: "Hi {{contact.name}}"}}}, "/hi"},
		{"admin_tokens", "", tokensView{Page: page, Tokens: []parley.APIToken{{ID: 1, Name: "crm", AgentID: &one, CreatedAt: now}}, Agents: map[int64]string{1: "Lan"}, Secret: "prly_x"}, "prly_x"},
		{"reports", "", reportsView{Page: page, Form: reportForm{TZ: "UTC", Label: "<b>"}, Zones: []string{"UTC"}, Inboxes: []parley.Inbox{inboxWidget},
			Channels: parley.ChannelTypes, Period: "Nov 16 – Nov 23", MetricsCSV: "/app/reports.csv?days=7", Presets: presets(nil),
			Cards:     []metricCard{{Key: "conversations", Name: "Conversations", Unit: unitCount, Value: 12, Prev: 10, Has: true, PrevHas: true, Href: "/app/"}},
			HourChart: barChart("h", "Hours", []chartBar{{Label: "<i>", Value: 2}}), AgentRows: []agentRow{{Name: "Lan <b>", Peak: 2, Capacity: 5}}}, "Lan &lt;b&gt;"},
		{"reports", "", reportsView{Page: page, Form: reportForm{TZ: "UTC"}, Error: "tz \"x\" is not a time zone"}, `data-testid="report-error"`},
		{"admin_smtp", "", smtpView{Page: page, SMTP: inbox.SMTPSettings{Host: "smtp.example.com", Port: 587, Security: "starttls"}, HasPassword: true}, "Stored"},
		{"admin_outbound", "", outboundView{Page: page, Allow: "10.0.0.0/8\n<b>", Static: "127.0.0.1", Error: "bad <entry>"}, "bad &lt;entry&gt;"},
	}
	for _, c := range cases {
		set, err := tm.get(c.page)
		if err != nil {
			t.Fatal(err)
		}
		block := c.block
		if block == "" {
			block = "layout"
		}
		var buf bytes.Buffer
		if err := set.ExecuteTemplate(&buf, block, c.v); err != nil {
			t.Errorf("%s/%s: %v", c.page, block, err)
			continue
		}
		if !strings.Contains(buf.String(), c.want) {
			t.Errorf("%s/%s: output lacks %q", c.page, block, c.want)
		}
		if strings.Contains(buf.String(), "<script>alert") {
			t.Errorf("%s/%s: unescaped script", c.page, block)
		}
	}
}

func withAvail(p Page) Page {
	p.Agent.Availability = parley.Online
	return p
}

func TestAmount(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 200: "200", 5e6: "5,000,000", 1234.5: "1,234.5", 999999: "999,999"} {
		if got := amount(in); got != want {
			t.Errorf("amount(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestSLABadge(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	cases := []struct {
		c           parley.Conversation
		state, text string
	}{
		{parley.Conversation{SLADueAt: at(25 * time.Minute), SLAState: "ok"}, "ok", "due in 25m"},
		{parley.Conversation{SLADueAt: at(5 * time.Minute), SLAState: "warning"}, "warning", "due in 5m"},
		{parley.Conversation{SLADueAt: at(-12 * time.Minute), SLAState: "breached"}, "breached", "overdue 12m"},
		{parley.Conversation{SLADueAt: at(-30 * time.Second), SLAState: "warning"}, "breached", "overdue <1m"}, // breach not recorded yet
		{parley.Conversation{SLADueAt: at(125 * time.Minute)}, "ok", "due in 2h 5m"},
		{parley.Conversation{SLADueAt: at(50 * time.Hour), SLAState: "ok"}, "ok", "due in 2d 2h"},
	}
	for _, c := range cases {
		b := slaBadge(c.c, now)
		if b == nil || b.State != c.state || b.Text != c.text {
			t.Errorf("slaBadge(due %v, %q) = %+v, want %s %q", c.c.SLADueAt.Sub(now), c.c.SLAState, b, c.state, c.text)
		}
	}
	if b := slaBadge(parley.Conversation{}, now); b != nil {
		t.Errorf("no SLA: %+v", b)
	}
	if b := slaBadge(parley.Conversation{SLADueAt: at(time.Minute), Status: parley.StatusResolved}, now); b != nil {
		t.Errorf("resolved: %+v", b)
	}
}

func TestSegments(t *testing.T) {
	got := segments("a https://x.example/p?q=1. javascript:alert(1) http://")
	if len(got) < 3 || got[1].Href != "https://x.example/p?q=1" || got[1].Text != "https://x.example/p?q=1" {
		t.Fatalf("segments = %+v", got)
	}
	for _, s := range got {
		if s.Href != "" && !strings.HasPrefix(s.Href, "http") {
			t.Errorf("non-http link %q", s.Href)
		}
	}
	if s := segments("javascript:alert(1)"); len(s) != 1 || s[0].Href != "" {
		t.Errorf("javascript: became a link: %+v", s)
	}
}

func TestSnoozeUntil(t *testing.T) {
	now := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC) // a Wednesday
	loc := time.FixedZone("x", 7*3600)
	tom, _ := snoozeUntil(now, "tomorrow", "", loc)
	if want := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC); !tom.Equal(want) {
		t.Errorf("tomorrow = %v, want %v", tom, want)
	}
	nw, _ := snoozeUntil(now, "nextweek", "", loc)
	if nw.In(loc).Weekday() != time.Monday || nw.In(loc).Hour() != 9 {
		t.Errorf("next week = %v", nw.In(loc))
	}
	if r, err := snoozeUntil(now, "reply", "", loc); r != nil || err != nil {
		t.Errorf("reply = %v, %v", r, err)
	}
	c, err := snoozeUntil(now, "custom", "2026-12-01T08:30", loc)
	if err != nil || !c.Equal(time.Date(2026, 12, 1, 1, 30, 0, 0, time.UTC)) {
		t.Errorf("custom = %v, %v", c, err)
	}
	if _, err := snoozeUntil(now, "bogus", "", loc); err == nil {
		t.Error("bogus preset accepted")
	}
}

func TestUnreadBadge(t *testing.T) {
	for n, want := range map[int]string{0: "", 1: "1", 99: "99", 100: "99+", 250: "99+"} {
		if got := unreadBadge(n); got != want {
			t.Errorf("unreadBadge(%d) = %q, want %q", n, got, want)
		}
	}
}
