package assisteval

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/assist"
)

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadArticleFormat(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "kb/Returns.md", "---\ntags: [returns, label]\nlang: fr\nstatus: draft\n---\n# Retours\n\nCorps.\n")
	write(t, dir, "kb/plain.md", "No heading here.\n")
	write(t, dir, "conversations.json", `[{"id":"c1","lang":"fr","turns":[{"author":"customer","channel":"sms","text":"Bonjour","at":"2026-03-01T10:00:00Z"}],"facts":[{"kind":"order","value":"1"}],"article":"returns"}]`)
	write(t, dir, "replies.json", `[{"id":"r1","conversation":"c1","label":"good","text":"x","expect":[]}]`)
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := set.Articles
	if len(a) != 2 || a[0].Slug != "returns" || a[0].Title != "Retours" || a[0].Lang != "fr" || a[0].Status != "draft" ||
		strings.Join(a[0].Tags, "|") != "returns|label" || a[0].Body != "Corps." {
		t.Errorf("article 0: %+v", a[0])
	}
	if a[1].Slug != "plain" || a[1].Title != "plain" || a[1].Lang != "en" || a[1].Status != "published" {
		t.Errorf("article 1 defaults: %+v", a[1])
	}
	th := set.Conversations[0].Thread()
	if len(th.Turns) != 1 || th.Turns[0].Author != assist.Customer || th.Turns[0].Channel != "sms" || th.Now.IsZero() {
		t.Errorf("thread: %+v", th)
	}
}

func TestLoadErrors(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"Broken.md:3":  {"kb/Broken.md": "---\ntitle: x\nno colon here\n---\n", "conversations.json": "[]", "replies.json": "[]"},
		"not closed":   {"kb/open.md": "---\ntitle: x\n", "conversations.json": "[]", "replies.json": "[]"},
		"no article":   {"conversations.json": `[{"id":"c1","article":"ghost"}]`, "replies.json": "[]"},
		"conversation": {"conversations.json": "[]", "replies.json": `[{"id":"r1","conversation":"c9"}]`},
		"replies.json": {"conversations.json": "[]", "replies.json": "{"},
	} {
		dir := t.TempDir()
		for f, body := range files {
			write(t, dir, f, body)
		}
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

func TestFactPresentFolds(t *testing.T) {
	s := assist.Summary{Facts: []assist.Fact{{Kind: "amount", Value: "39,90 €"}, {Kind: "product", Value: "grille pain"}, {Kind: "order", Value: "10234"}}}
	for _, f := range []Fact{{"amount", "39,90"}, {"product", "grille-pain"}, {"order", "#10234"}} {
		if !FactPresent(s, f) {
			t.Errorf("%+v not found", f)
		}
	}
	if FactPresent(s, Fact{"order", "39,90"}) || FactPresent(s, Fact{"amount", "10234"}) {
		t.Error("facts of another kind must not count")
	}
}

func TestCheckScoring(t *testing.T) {
	set := Set{
		Conversations: []Conversation{{ID: "c"}},
		Replies: []Reply{
			{ID: "g", Conversation: "c", Label: "good"},
			{ID: "p", Conversation: "c", Label: "ping-pong", Expect: []string{assist.CheckOnlyQuestion}},
			{ID: "v", Conversation: "c", Label: "vague", Expect: []string{assist.CheckBarePromise}},
		},
		byID: map[string]int{"c": 0},
	}
	// A checker that flags everything with only_question.
	sc := CheckPrecisionRecall(set, func(string, *assist.Thread) []assist.Finding {
		return []assist.Finding{{Check: assist.CheckOnlyQuestion}}
	})
	// Pairs: p right; g and v wrong findings; v's bare_promise missed.
	if sc.PairPrecision != 1.0/3 || sc.PairRecall != 0.5 {
		t.Errorf("pairs: %+v", sc)
	}
	// Labels: p flagged by its family; v not (only_question is not vague's); g flagged wrongly.
	if sc.LabelPrecision != 0.5 || sc.LabelRecall != 0.5 || len(sc.Mistakes) != 2 {
		t.Errorf("labels: %+v", sc)
	}
}
