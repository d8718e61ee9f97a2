package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

// testKnowledge: admins write the knowledge base, agents and read tokens
// read and search it; bad input is refused and writes nothing.
func testKnowledge(t *testing.T, dialect string) {
	e := start(t, dialect)
	_, agent := e.agentToken("kb-agent@example.com", parley.RoleAgent)
	var refund struct {
		ID   int64  `json:"id"`
		Slug string `json:"slug"`
	}
	e.call("POST", "/api/v1/knowledge", map[string]any{"title": "Refund policy", "body": "We **refund** any order within 30 days.",
		"tags": []string{"billing"}}, 201, &refund)
	var draft struct{ ID int64 }
	e.call("POST", "/api/v1/knowledge", map[string]any{"title": "Remboursement des cartes cadeaux", "lang": "fr", "status": "draft",
		"body": "Les cartes cadeaux ne sont pas remboursées."}, 201, &draft)
	one := fmt.Sprintf("/api/v1/knowledge/%d", refund.ID)
	clip := e.upload(pngBytes, nil).UploadID
	e.run([]scenario{
		{name: "create: slug from the title, defaults", method: "POST", path: "/api/v1/knowledge",
			body: map[string]any{"title": "Shipping times", "body": "Orders ship in 2 days."}, status: 201,
			want: []string{`"slug":"shipping-times"`, `"lang":"en"`, `"status":"published"`, `"tags":[]`, `"source":""`}},
		{name: "create: agent refused", method: "POST", path: "/api/v1/knowledge", token: agent,
			body: map[string]any{"title": "Nope"}, status: 403},
		{name: "create: no title", method: "POST", path: "/api/v1/knowledge", body: map[string]any{"body": "x"}, status: 400},
		{name: "create: control character", method: "POST", path: "/api/v1/knowledge", body: map[string]any{"title": "a\u0007b"}, status: 400},
		{name: "create: bad slug", method: "POST", path: "/api/v1/knowledge", body: map[string]any{"title": "T", "slug": "Bad Slug"}, status: 400},
		{name: "create: bad status", method: "POST", path: "/api/v1/knowledge", body: map[string]any{"title": "T", "status": "secret"}, status: 400},
		{name: "create: slug taken", method: "POST", path: "/api/v1/knowledge", body: map[string]any{"title": "T", "slug": "refund-policy"}, status: 409},
		{name: "create: unknown field", method: "POST", path: "/api/v1/knowledge", body: map[string]any{"title": "T", "author": "me"}, status: 400},
		{name: "create: too long", method: "POST", path: "/api/v1/knowledge", body: map[string]any{"title": strings.Repeat("t", 301)}, status: 400},

		{name: "list", method: "GET", path: "/api/v1/knowledge", token: agent, status: 200,
			want: []string{`"title":"Refund policy"`, `"title":"Remboursement des cartes cadeaux"`}},
		{name: "list: drafts", method: "GET", path: "/api/v1/knowledge?status=draft", status: 200,
			want: []string{`"status":"draft"`}, notWant: []string{`"Refund policy"`}},
		{name: "list: lang", method: "GET", path: "/api/v1/knowledge?lang=fr", status: 200,
			want: []string{"cartes cadeaux"}, notWant: []string{`"Refund policy"`}},
		{name: "list: q searches, stemmed", method: "GET", path: "/api/v1/knowledge?q=refunds", status: 200,
			want: []string{`"Refund policy"`}, notWant: []string{"Shipping"}},
		{name: "list: bad status", method: "GET", path: "/api/v1/knowledge?status=gone", status: 400},
		{name: "list: bad limit", method: "GET", path: "/api/v1/knowledge?limit=0", status: 400},

		{name: "get", method: "GET", path: one, token: agent, status: 200, want: []string{`"body":"We **refund** any order within 30 days."`}},
		{name: "get: unknown", method: "GET", path: "/api/v1/knowledge/999999", status: 404},
		{name: "get: bad id", method: "GET", path: "/api/v1/knowledge/abc", status: 400},

		{name: "search: articles only published, with URL", method: "GET", path: "/api/v1/knowledge/search?q=my+refunds&lang=en", token: agent,
			status: 200, want: []string{`"kind":"article"`, `"url":"` + e.App.BaseURL() + `/help/articles/refund-policy"`, `"score":`},
			notWant: []string{"cartes cadeaux"}},
		{name: "search: kinds", method: "GET", path: "/api/v1/knowledge/search?q=refund&kinds=answer", status: 200, want: []string{`{"sources":[]}`}},
		{name: "search: bad kind", method: "GET", path: "/api/v1/knowledge/search?q=refund&kinds=page", status: 400},
		{name: "search: no q", method: "GET", path: "/api/v1/knowledge/search", status: 400},
		{name: "search: no token", method: "GET", path: "/api/v1/knowledge/search?q=refund", token: noToken, status: 401},

		{name: "update", method: "PATCH", path: one, body: map[string]any{"body": "Refunds take 5 days.", "tags": []string{"billing", "money"}},
			status: 200, want: []string{`"body":"Refunds take 5 days."`, `"tags":["billing","money"]`, `"title":"Refund policy"`}},
		{name: "update: a clip", method: "PATCH", path: one, body: map[string]any{"clip": map[string]any{"upload_id": clip, "filename": "where.png"}},
			status: 200, want: []string{`"clip":{"upload_id":"` + clip + `","filename":"where.png"}`, `"body":"Refunds take 5 days."`}},
		{name: "update: other fields keep the clip", method: "PATCH", path: one, body: map[string]any{"title": "Refund policy"},
			status: 200, want: []string{`"clip":{"upload_id":"` + clip + `"`}},
		{name: "update: a clip of nothing", method: "PATCH", path: one, body: map[string]any{"clip": map[string]any{"upload_id": strings.Repeat("e", 64)}}, status: 404},
		{name: "update: a clip id that is not one", method: "PATCH", path: one, body: map[string]any{"clip": map[string]any{"upload_id": "../x"}}, status: 400},
		{name: "update: null removes the clip", method: "PATCH", path: one, body: map[string]any{"clip": nil},
			status: 200, notWant: []string{`"clip"`}},
		{name: "create: with a clip", method: "POST", path: "/api/v1/knowledge", body: map[string]any{"title": "Where the button is", "clip": map[string]any{"upload_id": clip}},
			status: 201, want: []string{`"clip":{"upload_id":"` + clip + `","filename":"file"}`}},
		{name: "update: agent refused", method: "PATCH", path: one, token: agent, body: map[string]any{"title": "X"}, status: 403},
		{name: "update: empty", method: "PATCH", path: one, body: map[string]any{}, status: 400},
		{name: "update: bad lang", method: "PATCH", path: one, body: map[string]any{"lang": "english"}, status: 400},
		{name: "update: slug taken", method: "PATCH", path: one, body: map[string]any{"slug": "shipping-times"}, status: 409},
		{name: "update: unknown", method: "PATCH", path: "/api/v1/knowledge/999999", body: map[string]any{"title": "X"}, status: 404},

		{name: "delete: agent refused", method: "DELETE", path: one, token: agent, status: 403},
		{name: "delete", method: "DELETE", path: fmt.Sprintf("/api/v1/knowledge/%d", draft.ID), status: 204},
		{name: "delete: again", method: "DELETE", path: fmt.Sprintf("/api/v1/knowledge/%d", draft.ID), status: 404},
	})
}
