package knowledge_test

import (
	"context"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/assist"
	"github.com/parleyhq/parley/internal/assist/assisteval"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestEvalRecallAt3 is the headline retrieval figure of the offline
// assistant: the evaluation set's knowledge base imported with `parley kb
// import`'s own code, each conversation summarised, its query searched in
// this store, drafts made; the right article must be among the three
// sources a draft offers (drafts' citations first, then retrieval's
// order) for at least 80% of the conversations that have one. On both
// databases: their engines rank differently, the figure must hold on each.
func TestEvalRecallAt3(t *testing.T) {
	set, err := assisteval.Load("../assist/testdata/eval")
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		s := newService(t, dialect)
		res, err := s.ImportDir(ctx, parley.RoleOwner, "../assist/testdata/eval/kb")
		if err != nil {
			t.Fatal(err)
		}
		if res.Failed > 0 || res.Imported != len(set.Articles) {
			t.Fatalf("import: %s %v", res.Summary(), res.Failures)
		}
		recall, missed, err := assisteval.RecallAt3(set, func(query, lang string) ([]assist.Source, error) {
			return s.Retrieve(ctx, query, lang, 5)
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: recall@3 = %.3f over the conversations with an answering article; missed: %s", dialect, recall, strings.Join(missed, "; "))
		if recall < 0.8 {
			t.Errorf("recall@3 = %.3f, want ≥ 0.8", recall)
		}
	})
}
