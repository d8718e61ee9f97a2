package web_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestKnowledgePages: admins manage articles in Settings, agents find
// them in the composer's picker, customers read published ones on the
// help page, rendered from Markdown and sanitized.
func TestKnowledgePages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := start(t, dialect)
		owner, agent, anon := e.login("owner@example.com"), e.login("agent@example.com"), e.anon()
		cs := map[string]*client{"owner": owner, "agent": agent, "anon": anon}
		body := "We refund any order within **30 days**.\n\n<script>alert(1)</script>\n\n[Contact us](javascript:alert(2)) or [the form](https://shop.example/form)."
		runScenarios(t, e, cs, []scenario{
			{name: "settings link", who: "owner", method: "GET", path: "/app/admin/agents", status: 200, want: []string{`href="/app/admin/knowledge"`}},
			{name: "empty list", who: "owner", method: "GET", path: "/app/admin/knowledge", status: 200, want: []string{"No articles yet."}},
			{name: "agents may not manage", who: "agent", method: "GET", path: "/app/admin/knowledge", status: 403},
			{name: "create", who: "owner", method: "POST", path: "/app/admin/knowledge",
				form: url.Values{"title": {"Refund policy"}, "body": {body}, "tags": {"billing, refunds"}, "lang": {"en"}, "status": {"published"}}, status: 303},
			{name: "create draft", who: "owner", method: "POST", path: "/app/admin/knowledge",
				form: url.Values{"title": {"Secret plans"}, "body": {"Not yet."}, "status": {"draft"}}, status: 303},
			{name: "refused: kept as typed, with the reason", who: "owner", method: "POST", path: "/app/admin/knowledge",
				form: url.Values{"title": {"Refund again"}, "slug": {"refund-policy"}, "body": {"my text <b>"}}, status: 400,
				want: []string{`data-testid="kb-error"`, "already exists", `value="Refund again"`, "my text &lt;b&gt;"}},
			{name: "listed", who: "owner", method: "GET", path: "/app/admin/knowledge", status: 200, want: []string{"Refund policy", "Secret plans", "Draft"}},
			{name: "search, stemmed", who: "owner", method: "GET", path: "/app/admin/knowledge?q=refunds", status: 200,
				want: []string{"Refund policy"}, forbid: []string{"Secret plans"}},
			{name: "help page", who: "anon", method: "GET", path: "/help/articles/refund-policy", status: 200,
				want:   []string{"<h1>Refund policy</h1>", "<strong>30 days</strong>", `href="https://shop.example/form"`},
				forbid: []string{"<script>alert", "javascript:"}},
			{name: "draft is not public", who: "anon", method: "GET", path: "/help/articles/secret-plans", status: 404},
			{name: "unknown slug", who: "anon", method: "GET", path: "/help/articles/nope", status: 404},
			{name: "bad slug", who: "anon", method: "GET", path: "/help/articles/..%2Fetc", status: 404},
			{name: "picker", who: "agent", method: "GET", path: "/app/knowledge/picker?q=refund", hx: true, status: 200,
				want: []string{`data-kb-insert="Refund policy: ` + e.App.BaseURL() + `/help/articles/refund-policy"`}, forbid: []string{"Secret plans"}},
			{name: "picker: nothing", who: "agent", method: "GET", path: "/app/knowledge/picker?q=zzzz", hx: true, status: 200, want: []string{"No published article matches."}},
			{name: "composer has the picker", who: "agent", method: "GET", path: "/app/conversations/" + strconv.FormatInt(e.convID, 10), status: 200,
				want: []string{`data-testid="kb-picker"`, "knowledge"}},
		})
		a, err := e.App.DB.ArticleBySlug(bg, "refund-policy")
		if err != nil || strings.Join(a.Tags, ",") != "billing,refunds" {
			t.Fatalf("stored: %+v, %v", a, err)
		}
		path := "/app/admin/knowledge/" + strconv.FormatInt(a.ID, 10)
		runScenarios(t, e, cs, []scenario{
			{name: "edit page", who: "owner", method: "GET", path: path, status: 200, want: []string{`value="Refund policy"`, "/help/articles/refund-policy"}},
			{name: "update", who: "owner", method: "POST", path: path,
				form: url.Values{"title": {"Refunds"}, "slug": {"refund-policy"}, "body": {"Five days."}, "lang": {"en"}, "status": {"draft"}}, status: 303},
			{name: "now a draft", who: "anon", method: "GET", path: "/help/articles/refund-policy", status: 404},
			{name: "refused update", who: "owner", method: "POST", path: path, form: url.Values{"title": {""}, "status": {"draft"}}, status: 400, want: []string{"needs a title"}},
			{name: "agent may not delete", who: "agent", method: "POST", path: path + "/delete", form: url.Values{}, status: 403},
			{name: "delete", who: "owner", method: "POST", path: path + "/delete", form: url.Values{}, status: 303},
			{name: "gone", who: "owner", method: "GET", path: path, status: 404},
		})
		if got, _ := e.App.DB.Article(bg, a.ID); got.ID != 0 {
			t.Fatalf("still stored: %+v", got)
		}
		if _, err := e.App.DB.ArticleBySlug(bg, "secret-plans"); parley.ErrorCode(err) != "" {
			t.Fatalf("the draft: %v", err)
		}
	})
}
