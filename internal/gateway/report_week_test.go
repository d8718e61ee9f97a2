package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/channel/twilio/twiliotest"
	"github.com/parleyhq/parley/internal/channel/whatsapp/whatsapptest"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/report"
	"github.com/parleyhq/parley/internal/simulate"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestReportWeekAcrossChannels plays a week of support across WhatsApp,
// SMS and the website widget through the real paths — signed provider
// webhooks, agents' replies sent to the fake providers, resolutions,
// customers reopening, surveys asked on each channel and answered by a
// WhatsApp list tap, an SMS digit and the widget — with an injected clock,
// then reads GET /api/v1/reports and checks every metric to the second
// or the exact ratio, and that the pre-aggregated report is the replay's.
//
// The week starts on Monday 2 March 2026 (UTC). The WhatsApp inbox keeps
// business hours 09:00–17:00 Monday to Friday; the others are always
// open. Every reopen window is the default 7 days; surveys are on (the
// default), asked 5 minutes after a resolution with a 14-day cooldown.
func TestReportWeekAcrossChannels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		mon := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
		at := func(d, h, m int) time.Time {
			return mon.Add(time.Duration(d*24+h)*time.Hour + time.Duration(m)*time.Minute)
		}
		c := &clock{t: at(0, 8, 0)}
		e := &env{Env: apptest.Start(t, dialect, c.Now), t: t, clock: c}
		// to moves the clock forward and runs what is due then.
		to := func(d, h, m int) {
			t.Helper()
			c.mu.Lock()
			c.t = at(d, h, m)
			c.mu.Unlock()
			e.runJobs()
		}

		wa := whatsapptest.New(t, "v23.0", "109876543210", "EAAG-token")
		waInbox := e.createInbox("whatsapp", map[string]string{"phone_number_id": "109876543210", "api_version": "v23.0", "base_url": wa.URL},
			map[string]string{"access_token": "EAAG-token", "app_secret": "meta-app-secret", "verify_token": "v"})
		e.JSON("PATCH", fmt.Sprintf("/api/v1/inboxes/%d", waInbox), map[string]any{"routing": map[string]any{
			"hours": json.RawMessage(`{"time_zone":"UTC","week":{"mon":["09:00-17:00"],"tue":["09:00-17:00"],"wed":["09:00-17:00"],"thu":["09:00-17:00"],"fri":["09:00-17:00"]}}`)}}, 200, nil)
		waSim := simulate.WhatsApp{AppSecret: "meta-app-secret", PhoneNumberID: "109876543210"}
		waHook := fmt.Sprintf("/hooks/whatsapp/%d", waInbox)

		tw := twiliotest.New(t, twAccount, twToken)
		smsInbox := e.createInbox("sms", map[string]string{"account_sid": twAccount, "from": twNumber, "base_url": tw.URL, "rate_per_second": "100"},
			map[string]string{"auth_token": twToken})
		smsHook := fmt.Sprintf("/hooks/sms/%d", smsInbox)
		smsSim := simulate.Twilio{AccountSID: twAccount, AuthToken: twToken, URL: e.App.BaseURL() + smsHook, Number: twNumber}

		webInbox := e.createInbox("widget", nil, nil)

		// One SLA policy: a first response within 45 minutes of business
		// time, for normal priority (the default).
		policy, err := e.App.Inbox.SaveSLAPolicy(ctx, inbox.System, parley.SLAPolicy{Name: "First answer", Priority: parley.PriorityNormal,
			FirstResponse: 45 * time.Minute, WarnPercent: 80})
		if err != nil {
			t.Fatal(err)
		}

		var agents [3]int64
		for i, name := range []string{"ana", "bo", "cy"} {
			a, _, err := e.App.Inbox.CreateAgent(ctx, inbox.System, parley.Agent{Email: name + "@example.com", Name: name, Role: parley.RoleAgent}, "")
			if err != nil {
				t.Fatal(err)
			}
			agents[i] = a.ID
		}
		a1, a2, a3 := agents[0], agents[1], agents[2]
		actor := func(id int64) inbox.Actor { return inbox.Actor{AgentID: &id, Role: parley.RoleAgent} }
		assign := func(conv, agent int64) {
			t.Helper()
			if _, err := e.App.Inbox.Update(ctx, actor(agent), conv, inbox.Change{AssigneeID: &agent}); err != nil {
				t.Fatal(err)
			}
		}
		reply := func(agent, conv int64) {
			t.Helper()
			if _, err := e.App.Inbox.Reply(ctx, actor(agent), conv, inbox.Outgoing{Text: "Here is what we found."}); err != nil {
				t.Fatal(err)
			}
			e.runJobs() // sent to the provider
		}
		status := func(agent, conv int64, s parley.Status) {
			t.Helper()
			if _, err := e.App.Inbox.Update(ctx, actor(agent), conv, inbox.Change{Status: &s}); err != nil {
				t.Fatal(err)
			}
		}
		post := func(path string, w simulate.Webhook) {
			t.Helper()
			if status, body := e.post(path, w); status != 200 {
				t.Fatalf("webhook %s = %d %s", path, status, body)
			}
		}
		convOf := func(inboxID int64, n int) int64 {
			t.Helper()
			page, err := e.App.DB.Conversations(ctx, parley.ConversationFilter{InboxID: inboxID, Limit: 10})
			if err != nil || len(page.Conversations) != n {
				t.Fatalf("inbox %d: %d conversations (%v), want %d", inboxID, len(page.Conversations), err, n)
			}
			return page.Conversations[0].ID // newest first
		}
		token := func(conv int64) string {
			t.Helper()
			list, err := e.App.DB.Surveys(ctx, conv)
			if err != nil || len(list) == 0 {
				t.Fatalf("surveys of %d: %v", conv, err)
			}
			return list[0].Token
		}

		// W1 (WhatsApp) writes Monday 08:30, before hours; Ana takes it at
		// 08:40, answers 09:30 and resolves 10:00. The survey goes out at
		// 10:05 as a list; the customer taps 1 (very easy), then 5.
		const w1, w2 = "+2348010000001", "+2348010000003"
		to(0, 8, 30)
		post(waHook, waSim.Messages(simulate.Message{From: w1, Name: "Ada", Text: "My parcel has not arrived."}))
		W1 := convOf(waInbox, 1)
		to(0, 8, 40)
		assign(W1, a1)
		to(0, 9, 30)
		reply(a1, W1)
		to(0, 10, 0)
		status(a1, W1, parley.StatusResolved)
		to(0, 10, 5)
		to(0, 10, 20)
		post(waHook, waSim.Messages(simulate.Message{From: w1, Text: "1 · Very easy", Payload: inbox.ChoiceID(token(W1), parley.QuestionCES, 1)}))
		to(0, 10, 25)
		post(waHook, waSim.Messages(simulate.Message{From: w1, Text: "5", Payload: inbox.ChoiceID(token(W1), parley.QuestionCSAT, 5)}))

		// S1 (SMS) Monday 13:00 to Bo; reply 14:00, pending 14:05; the
		// customer answers 16:00, Bo replies 16:30 and resolves 17:00. The
		// survey is texted at 17:05; the customer texts back "2" at 18:00.
		const s1, s2 = "+15550000002", "+15550000004"
		to(0, 13, 0)
		post(smsHook, smsSim.Messages(simulate.Message{From: s1, Text: "I was charged twice."}))
		S1 := convOf(smsInbox, 1)
		assign(S1, a2)
		to(0, 14, 0)
		reply(a2, S1)
		to(0, 14, 5)
		status(a2, S1, parley.StatusPending)
		to(0, 16, 0)
		post(smsHook, smsSim.Messages(simulate.Message{From: s1, Text: "It is still there on my statement."}))
		to(0, 16, 30)
		reply(a2, S1)
		to(0, 17, 0)
		status(a2, S1, parley.StatusResolved)
		to(0, 17, 5)
		to(0, 18, 0)
		post(smsHook, smsSim.Messages(simulate.Message{From: s1, Text: "2"}))

		// G1 (widget) Tuesday 10:00 to Ana; reply 10:20, resolved 10:30;
		// the survey at 10:35 is answered 4 at 11:00. The visitor writes
		// again at 15:00 (reopened), Ana replies 15:30 and resolves 16:00:
		// no second survey within the cooldown.
		visitor := store.ContactKey{Kind: parley.IdentityVisitor, ExternalID: "v1"}
		to(1, 10, 0)
		r, err := e.App.Inbox.Receive(ctx, webInbox, inbox.Incoming{Contact: visitor, Text: "How do I change my plan?"})
		if err != nil {
			t.Fatal(err)
		}
		G1 := r.ConversationID
		assign(G1, a1)
		to(1, 10, 20)
		reply(a1, G1)
		to(1, 10, 30)
		status(a1, G1, parley.StatusResolved)
		to(1, 10, 35)
		to(1, 11, 0)
		four := 4
		if _, err := e.App.Inbox.AnswerSurvey(ctx, token(G1), webInbox, parley.SurveyAnswer{CES: &four}, "widget"); err != nil {
			t.Fatal(err)
		}
		to(1, 15, 0)
		if r, err := e.App.Inbox.Receive(ctx, webInbox, inbox.Incoming{Contact: visitor, Text: "One more thing…"}); err != nil || r.ConversationID != G1 {
			t.Fatalf("G1 was not reopened: %+v %v", r, err)
		}
		to(1, 15, 30)
		reply(a1, G1)
		to(1, 16, 0)
		status(a1, G1, parley.StatusResolved)
		to(1, 16, 5)

		// W2 (WhatsApp) Thursday 09:00 to Cy; reply 09:15, resolved 09:20;
		// the survey goes unanswered.
		to(3, 9, 0)
		post(waHook, waSim.Messages(simulate.Message{From: w2, Text: "Do you deliver on Sundays?"}))
		W2 := convOf(waInbox, 2)
		assign(W2, a3)
		to(3, 9, 15)
		reply(a3, W2)
		to(3, 9, 20)
		status(a3, W2, parley.StatusResolved)
		to(3, 9, 25)

		// S2 (SMS) Friday 11:00 to Cy, open at the end of the week.
		to(4, 11, 0)
		post(smsHook, smsSim.Messages(simulate.Message{From: s2, Text: "Can I return a gift?"}))
		S2 := convOf(smsInbox, 2)
		assign(S2, a3)

		// W1's customer is back on Saturday 10:00 (reopened); Ana replies
		// 10:30 (outside hours) and resolves 11:00; no survey (cooldown).
		to(5, 10, 0)
		post(waHook, waSim.Messages(simulate.Message{From: w1, Text: "It came, but the box was damaged."}))
		if got := convOf(waInbox, 2); got != W1 {
			t.Fatalf("W1 was not reopened: newest is %d", got)
		}
		to(5, 10, 30)
		reply(a1, W1)
		to(5, 11, 0)
		status(a1, W1, parley.StatusResolved)
		to(5, 11, 5)
		to(7, 0, 0) // the end of the week, when the report is read

		surveys := map[int64][]parley.Survey{}
		for _, id := range []int64{W1, S1, G1, W2, S2} {
			list, err := e.App.DB.Surveys(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			surveys[id] = list
		}
		if n := len(surveys[W1]) + len(surveys[G1]); n != 4 || surveys[S2] != nil && len(surveys[S2]) != 0 {
			t.Fatalf("surveys: %+v", surveys)
		}

		week := url.Values{"from": {"2026-03-02"}, "to": {"2026-03-08"}, "tz": {"UTC"}}
		rep := getReport(e, week)
		checkStats(t, "resolution calendar", rep.ResolutionTime.Calendar, 4, hm(2, 0), hm(4, 0), hm(2, 5))
		checkStats(t, "resolution business", rep.ResolutionTime.Business, 4, hm(1, 15), hm(4, 0), hm(1, 42)+30*time.Second)
		checkStats(t, "first response calendar", rep.FirstResponseTime.Calendar, 4, hm(0, 40), hm(1, 0), hm(0, 38)+45*time.Second)
		checkStats(t, "first response business", rep.FirstResponseTime.Business, 4, hm(0, 25), hm(1, 0), hm(0, 31)+15*time.Second)
		checkStats(t, "next response calendar", rep.NextResponseTime.Calendar, 3, hm(0, 30), hm(0, 30), hm(0, 30))
		checkStats(t, "next response business", rep.NextResponseTime.Business, 3, hm(0, 30), hm(0, 30), hm(0, 20))
		if want := (report.Reopens{Resolutions: 6, Reopened: 2, Rate: 2.0 / 6, WindowOpen: 4}); rep.Reopens != want {
			t.Errorf("reopens = %+v, want %+v", rep.Reopens, want)
		}
		// First contact: W1 and G1 were reopened by their customers within
		// 7 days and S1 had two replies first: they can never count, so
		// they are decided. W2 (one reply, still resolved) may still count.
		if want := (report.FCR{Eligible: 3, Pending: 1}); rep.FirstContactResolution != want {
			t.Errorf("FCR = %+v, want %+v", rep.FirstContactResolution, want)
		}
		// First responses within 45 business minutes: W1 (30), G1 (20) and
		// W2 (15) met it; S2 (never answered) breached it. S1 is not
		// counted: "charged twice" made it urgent (triage), and the policy
		// is for normal priority.
		if want := []report.PolicyAttainment{{PolicyID: policy.ID, Target: "first_response",
			Attainment: report.Attainment{Met: 3, Breached: 1, Rate: 0.75}}}; !reflect.DeepEqual(rep.SLAByPolicy, want) {
			t.Errorf("SLA by policy = %+v, want %+v", rep.SLAByPolicy, want)

		}
		weekHours := float64(7 * 24 * time.Hour)
		wantAgents := []report.AgentLoad{
			{AgentID: a1, Average: float64(hm(3, 50)) / weekHours, Peak: 1, Capacity: parley.DefaultCapacity},
			{AgentID: a2, Average: float64(hm(2, 5)) / weekHours, Peak: 1, Capacity: parley.DefaultCapacity},
			{AgentID: a3, Average: float64(hm(61, 20)) / weekHours, Peak: 1, Capacity: parley.DefaultCapacity},
		}
		if len(rep.Agents) != len(wantAgents) {
			t.Fatalf("agents = %+v", rep.Agents)
		}
		for i, want := range wantAgents {
			want.Occupancy = want.Average / float64(want.Capacity)
			got := rep.Agents[i]
			if got.AgentID != want.AgentID || got.Peak != want.Peak || got.Capacity != want.Capacity ||
				!near(got.Average, want.Average) || !near(got.Occupancy, want.Occupancy) {
				t.Errorf("agent %d = %+v, want %+v", i, got, want)
			}
		}
		v := rep.Volume
		var hours [24]int
		hours[8], hours[13], hours[10], hours[9], hours[11] = 1, 1, 1, 1, 1
		if v.Total != 5 || v.ByChannel[parley.ChannelWhatsApp] != 2 || v.ByChannel[parley.ChannelSMS] != 2 || v.ByChannel[parley.ChannelWidget] != 1 ||
			v.ByInbox[waInbox] != 2 || v.ByInbox[smsInbox] != 2 || v.ByInbox[webInbox] != 1 || v.ByHour != hours {
			t.Errorf("volume = %+v", v)
		}
		wantOpen := []int{0, 0, 0, 0, 0, 1, 1, 1}
		if len(rep.Backlog) != len(wantOpen) {
			t.Fatalf("backlog = %+v", rep.Backlog)
		}
		for i, b := range rep.Backlog {
			if !b.At.Equal(at(i, 0, 0)) || b.Open != wantOpen[i] || b.Pending != 0 || b.Snoozed != 0 {
				t.Errorf("backlog %d = %+v, want %d open at %s", i, b, wantOpen[i], at(i, 0, 0))
			}
		}
		s := rep.Surveys
		if s.Sent != 4 || s.Answered != 3 || s.ResponseRate != 0.75 {
			t.Errorf("surveys sent %d, answered %d, rate %v; want 4, 3, 0.75", s.Sent, s.Answered, s.ResponseRate)
		}
		if want := (report.Score{Count: 3, Mean: 7.0 / 3, Dist: [5]int{1, 1, 0, 1, 0}, Good: 2, GoodRate: 2.0 / 3}); !sameScore(s.CES, want) {
			t.Errorf("CES = %+v, want %+v", s.CES, want)
		}
		if want := (report.Score{Count: 1, Mean: 5, Dist: [5]int{0, 0, 0, 0, 1}, Good: 1, GoodRate: 1}); !sameScore(s.CSAT, want) {
			t.Errorf("CSAT = %+v, want %+v", s.CSAT, want)
		}
		byAgent := map[int64]report.AgentSurveys{}
		for _, a := range s.ByAgent {
			byAgent[a.AgentID] = a
		}
		if a := byAgent[a1]; a.Answered != 2 || a.CES.Mean != 2.5 || a.CSAT.Mean != 5 {
			t.Errorf("Ana's surveys = %+v", a)
		}
		if a := byAgent[a2]; a.Answered != 1 || a.CES.Mean != 2 || a.CSAT.Count != 0 {
			t.Errorf("Bo's surveys = %+v", a)
		}

		// The replay of the event log gives the same report.
		replayed := week
		replayed.Set("replay", "true")
		again := getReport(e, replayed)
		rep.Unprojected = 0 // an event the app's own jobs wrote meanwhile is no difference
		if a, b := mustJSON(rep), mustJSON(again); a != b {
			t.Errorf("the pre-aggregated report differs from the replay:\n%s\n%s", a, b)
		}
		// By channel: the SMS conversations only.
		sms := getReport(e, url.Values{"from": {"2026-03-02"}, "to": {"2026-03-08"}, "channel": {"sms"}})
		checkStats(t, "SMS resolution", sms.ResolutionTime.Calendar, 1, hm(4, 0), hm(4, 0), hm(4, 0))
		if sms.Volume.Total != 2 || sms.Surveys.Answered != 1 || sms.Surveys.CES.Mean != 2 {
			t.Errorf("SMS: volume %d, surveys %+v", sms.Volume.Total, sms.Surveys)
		}

		// A week later every first resolution's 7 days have passed: only
		// W2 was resolved on first contact (W1 and G1 were reopened, S1
		// took two replies).
		to(14, 0, 0)
		later := getReport(e, url.Values{"from": {"2026-03-02"}, "to": {"2026-03-08"}})
		if want := (report.FCR{Eligible: 4, Resolved: 1, Rate: 0.25}); later.FirstContactResolution != want {
			t.Errorf("FCR two weeks on = %+v, want %+v", later.FirstContactResolution, want)
		}
		if later.Reopens.WindowOpen != 0 || later.Reopens.Reopened != 2 {
			t.Errorf("reopens two weeks on = %+v", later.Reopens)
		}
	})
}

func getReport(e *env, q url.Values) report.Report {
	e.t.Helper()
	var rep report.Report
	e.JSON("GET", "/api/v1/reports?"+q.Encode(), nil, 200, &rep)
	return rep
}

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

func checkStats(t *testing.T, name string, s report.Stats, n int, median, p90, mean time.Duration) {
	t.Helper()
	want := report.Stats{Count: n, Median: report.Duration(median), P90: report.Duration(p90), Mean: report.Duration(mean)}
	if s != want {
		t.Errorf("%s = {%d %s %s %s}, want {%d %s %s %s}", name, s.Count, time.Duration(s.Median), time.Duration(s.P90), time.Duration(s.Mean),
			n, median, p90, mean)
	}
}

// near compares ratios that went through JSON.
func near(a, b float64) bool { return a-b < 1e-12 && b-a < 1e-12 }

func sameScore(a, b report.Score) bool {
	return a.Count == b.Count && near(a.Mean, b.Mean) && a.Dist == b.Dist && a.Good == b.Good && near(a.GoodRate, b.GoodRate)
}
