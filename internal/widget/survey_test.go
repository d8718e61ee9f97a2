package widget_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

type wsurvey struct {
	Token       string    `json:"token"`
	Next        string    `json:"next"`
	Comment     bool      `json:"comment"`
	CESQuestion string    `json:"ces_question"`
	CESLabels   [5]string `json:"ces_labels"`
}

type wsurveyMessage struct {
	ID     int64    `json:"id"`
	Text   string   `json:"text"`
	Survey *wsurvey `json:"survey"`
}

// surveyed has a visitor write, an agent answer and resolve, and the
// survey go out after the delay; it returns the conversation and the
// survey as the widget shows it.
func surveyed(t *testing.T, f *fixture, clock *fakeClock, v *visitor) (int64, wsurvey) {
	t.Helper()
	conv := f.conversationOf(v.say("My parcel is late"))
	f.agentSays(conv, "messages", "It arrives tomorrow.")
	f.env.JSON("PATCH", fmt.Sprintf("/api/v1/conversations/%d", conv), map[string]any{"status": "resolved"}, http.StatusOK, nil)
	clock.Advance(6 * time.Minute)
	f.env.App.Jobs.Wake()
	var found *wsurvey
	deadline := time.Now().Add(10 * time.Second)
	for found == nil && time.Now().Before(deadline) {
		var h struct{ Messages []wsurveyMessage }
		v.json("GET", "/messages", nil, http.StatusOK, &h)
		for _, m := range h.Messages {
			if m.Survey != nil {
				found = m.Survey
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if found == nil {
		t.Fatal("no survey in the widget's history")
	}
	return conv, *found
}

func TestWidgetSurvey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		clock := &fakeClock{}
		f := start(t, dialect, clock.Now, nil)
		v := f.newVisitor()
		conv, sv := surveyed(t, f, clock, v)
		if sv.Next != "ces" || !strings.Contains(sv.CESQuestion, "How easy") || sv.CESLabels[0] != "Very easy" {
			t.Fatalf("survey = %+v", sv)
		}
		before, _ := f.env.App.DB.Conversation(context.Background(), conv)

		// Another visitor cannot answer it, even with the token.
		other := f.newVisitor()
		other.say("hello")
		if status, _ := other.do("POST", "/survey", map[string]any{"token": sv.Token, "ces": 1}); status != http.StatusNotFound {
			t.Errorf("another visitor's answer = %d, want 404", status)
		}
		if status, _ := v.do("POST", "/survey", map[string]any{"token": sv.Token, "ces": 9}); status != http.StatusBadRequest {
			t.Errorf("score 9 = %d, want 400", status)
		}
		var out struct{ Survey wsurvey }
		v.json("POST", "/survey", map[string]any{"token": sv.Token, "ces": 2}, http.StatusOK, &out)
		if out.Survey.Next != "csat" {
			t.Errorf("after CES: %+v", out.Survey)
		}
		// A second CES is ignored: the first answer wins.
		v.json("POST", "/survey", map[string]any{"token": sv.Token, "ces": 5}, http.StatusOK, &out)
		v.json("POST", "/survey", map[string]any{"token": sv.Token, "csat": 4, "comment": "Quick, thanks"}, http.StatusOK, &out)
		if out.Survey.Next != "" || out.Survey.Comment {
			t.Errorf("after CSAT and comment: %+v", out.Survey)
		}
		list, err := f.env.App.DB.Surveys(context.Background(), conv)
		if err != nil || len(list) != 1 || *list[0].CES != 2 || *list[0].CSAT != 4 || list[0].Comment != "Quick, thanks" || list[0].Channel != "widget" {
			t.Fatalf("stored %+v %v", list, err)
		}
		after, _ := f.env.App.DB.Conversation(context.Background(), conv)
		if after.Status != parley.StatusResolved || !after.LastActivityAt.Equal(before.LastActivityAt) {
			t.Errorf("answering changed the conversation: %+v", after)
		}
	})
}

func pageGet(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func pagePost(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusSeeOther {
		return resp.StatusCode, resp.Header.Get("Location")
	}
	return resp.StatusCode, string(b)
}

func TestSurveyPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		clock := &fakeClock{}
		f := start(t, dialect, clock.Now, nil)
		v := f.newVisitor()
		conv, sv := surveyed(t, f, clock, v)
		page := f.env.URL + "/survey/" + sv.Token

		if status, _ := pageGet(t, f.env.URL+"/survey/not-a-token"); status != http.StatusNotFound {
			t.Errorf("bad token GET = %d, want 404", status)
		}
		if status, _ := pagePost(t, f.env.URL+"/survey/not-a-token", url.Values{"ces": {"2"}}); status != http.StatusNotFound {
			t.Errorf("bad token POST = %d, want 404", status)
		}
		// GET shows the form with the link's score selected, and records nothing.
		status, body := pageGet(t, page+"?ces=3")
		if status != 200 || !strings.Contains(body, `name="ces" value="3" checked`) || !strings.Contains(body, "How easy") || !strings.Contains(body, `name="csat"`) {
			t.Fatalf("GET = %d %s", status, body)
		}
		list, _ := f.env.App.DB.Surveys(context.Background(), conv)
		if list[0].CES != nil {
			t.Fatal("GET recorded an answer")
		}
		seq, _ := f.env.App.DB.LastEventSeq(context.Background())
		for _, bad := range []url.Values{{"ces": {"6"}}, {"ces": {"x"}}, {"ces": {"2"}, "csat": {"0"}}, {}} {
			if status, _ := pagePost(t, page, bad); status != http.StatusBadRequest {
				t.Errorf("POST %v = %d, want 400", bad, status)
			}
		}
		if after, _ := f.env.App.DB.LastEventSeq(context.Background()); after != seq {
			t.Errorf("invalid posts wrote %d events", after-seq)
		}
		xss := `<script>alert(1)</script>"><img src=x onerror=alert(2)>`
		status, loc := pagePost(t, page, url.Values{"ces": {"1"}, "csat": {"5"}, "comment": {xss}})
		if status != http.StatusSeeOther || !strings.HasSuffix(loc, "?saved=1") {
			t.Fatalf("POST = %d %s", status, loc)
		}
		status, body = pageGet(t, page+"?saved=1")
		if status != 200 || !strings.Contains(body, `data-testid="survey-done"`) {
			t.Errorf("after answering = %d %s", status, body)
		}
		list, _ = f.env.App.DB.Surveys(context.Background(), conv)
		if *list[0].CES != 1 || *list[0].CSAT != 5 || list[0].Comment != xss {
			t.Fatalf("stored %+v", list[0])
		}
		// Posting again changes nothing.
		pagePost(t, page, url.Values{"ces": {"4"}})
		if again, _ := f.env.App.DB.Surveys(context.Background(), conv); *again[0].CES != 1 {
			t.Errorf("second CES overwrote the first: %d", *again[0].CES)
		}
	})
}

// The page speaks the contact's language.
func TestSurveyPageLanguage(t *testing.T) {
	clock := &fakeClock{}
	f := start(t, "sqlite", clock.Now, nil)
	v := f.newVisitor()
	v.extraHeader = http.Header{"X-Parley-Language": {"fr-FR"}}
	_, sv := surveyed(t, f, clock, v)
	if !strings.Contains(sv.CESQuestion, "facile") {
		t.Errorf("widget question = %q", sv.CESQuestion)
	}
	status, body := pageGet(t, f.env.URL+"/survey/"+sv.Token)
	if status != 200 || !strings.Contains(body, `lang="fr"`) || !strings.Contains(body, "Très facile") {
		t.Errorf("page = %d %s", status, body)
	}
}
