package store_test

import (
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestKnowledgeIndex: articles and their index entries move together, and
// the document frequencies search relies on stay exact through creates,
// updates, deletes and slug conflicts, on both databases.
func TestKnowledgeIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		write := func(f func(tx *store.Tx) error) error { return db.Write(ctx, f) }
		df := func(terms ...string) (map[string]int64, int64) {
			t.Helper()
			m, total, err := db.KnowledgeTermDocs(ctx, terms)
			if err != nil {
				t.Fatal(err)
			}
			return m, total
		}
		a := parley.Article{Slug: "refund-policy", Title: "Refund policy", Body: "b", Lang: "en", Status: parley.ArticlePublished, Tags: []string{"billing"}}
		b := parley.Article{Slug: "shipping", Title: "Shipping", Body: "b", Lang: "fr", Status: parley.ArticleDraft}
		if err := write(func(tx *store.Tx) error { return tx.CreateArticle(&a, "refund refunds policy") }); err != nil {
			t.Fatal(err)
		}
		if err := write(func(tx *store.Tx) error { return tx.CreateArticle(&b, "shipping refund") }); err != nil {
			t.Fatal(err)
		}
		if m, total := df("refund", "refunds", "shipping", "nothing"); total != 2 || m["refund"] != 2 || m["refunds"] != 1 || m["shipping"] != 1 || len(m) != 3 {
			t.Fatalf("after create: %v total %d", m, total)
		}
		// A taken slug is ECONFLICT and changes nothing.
		dup := parley.Article{Slug: "shipping", Title: "Dup", Lang: "en", Status: parley.ArticlePublished}
		if err := write(func(tx *store.Tx) error { return tx.CreateArticle(&dup, "dup refund") }); parley.ErrorCode(err) != parley.ECONFLICT {
			t.Fatalf("duplicate slug: %v", err)
		}
		if m, total := df("refund", "dup"); total != 2 || m["refund"] != 2 || m["dup"] != 0 {
			t.Fatalf("after a refused create: %v total %d", m, total)
		}
		a.Title = "Returns"
		if err := write(func(tx *store.Tx) error { return tx.UpdateArticle(&a, "returns policy") }); err != nil {
			t.Fatal(err)
		}
		if m, total := df("refund", "refunds", "returns", "policy"); total != 2 || m["refund"] != 1 || m["refunds"] != 0 || m["returns"] != 1 || m["policy"] != 1 {
			t.Fatalf("after update: %v total %d", m, total)
		}
		// Drafts are found only when asked for, and a kind filter holds.
		search := func(q store.KnowledgeQuery) int {
			t.Helper()
			hits, err := db.SearchKnowledge(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			return len(hits)
		}
		if n := search(store.KnowledgeQuery{Groups: [][]string{{"refund"}}}); n != 0 {
			t.Fatalf("a draft was found: %d", n)
		}
		if n := search(store.KnowledgeQuery{Groups: [][]string{{"refund"}}, IncludeDrafts: true, Kinds: []string{"article"}}); n != 1 {
			t.Fatalf("drafts included: %d", n)
		}
		if n := search(store.KnowledgeQuery{Groups: [][]string{{"returns"}, {"policy"}}, All: true}); n != 1 {
			t.Fatalf("all words: %d", n)
		}
		if n := search(store.KnowledgeQuery{Groups: [][]string{{"returns"}, {"shipping"}}, All: true, IncludeDrafts: true}); n != 0 {
			t.Fatalf("all words, none holds both: %d", n)
		}
		if n := search(store.KnowledgeQuery{Groups: [][]string{{"returns"}}, Kinds: []string{"answer"}}); n != 0 {
			t.Fatalf("kind filter: %d", n)
		}
		// Terms that are not words never reach the engines.
		if n := search(store.KnowledgeQuery{Groups: [][]string{{`returns" OR "x`, "a:*", "b|c"}}}); n != 0 {
			t.Fatalf("syntax in terms: %d", n)
		}
		if err := write(func(tx *store.Tx) error { return tx.DeleteArticle(b.ID) }); err != nil {
			t.Fatal(err)
		}
		if m, total := df("refund", "shipping", "returns"); total != 1 || m["refund"] != 0 || m["shipping"] != 0 || m["returns"] != 1 {
			t.Fatalf("after delete: %v total %d", m, total)
		}
		if err := write(func(tx *store.Tx) error { return tx.DeleteArticle(b.ID) }); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("second delete: %v", err)
		}
		got, err := db.Article(ctx, a.ID)
		if err != nil || got.Title != "Returns" || got.Tags[0] != "billing" || got.Lang != "en" {
			t.Fatalf("read back: %+v, %v", got, err)
		}
	})
}
