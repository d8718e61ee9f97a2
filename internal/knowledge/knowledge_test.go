package knowledge_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/assist"
	"github.com/parleyhq/parley/internal/knowledge"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

var bg = context.Background()

func newService(t testing.TB, dialect string) *knowledge.Service {
	db := storetest.Open(t, dialect)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	return &knowledge.Service{DB: db}
}

func mustCreate(t testing.TB, s *knowledge.Service, a parley.Article) parley.Article {
	t.Helper()
	a, err := s.CreateArticle(bg, parley.RoleAdmin, a)
	if err != nil {
		t.Fatalf("create %q: %v", a.Title, err)
	}
	return a
}

func titles(list []assist.Source) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s.Title
	}
	return out
}

func TestArticleCRUD(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newService(t, dialect)
		a := mustCreate(t, s, parley.Article{Title: "Politique de remboursement", Body: "Les remboursements prennent 5 jours.",
			Tags: []string{"Billing", "billing", " refunds "}, Lang: "FR"})
		if a.ID == 0 || a.Slug != "politique-de-remboursement" || a.Lang != "fr" || a.Status != parley.ArticlePublished ||
			strings.Join(a.Tags, ",") != "billing,refunds" {
			t.Fatalf("created %+v", a)
		}
		got, err := s.Article(bg, a.ID)
		if err != nil || got.Title != a.Title || got.Body != a.Body || strings.Join(got.Tags, ",") != "billing,refunds" {
			t.Fatalf("read back %+v, %v", got, err)
		}
		// The slug is unique.
		_, err = s.CreateArticle(bg, parley.RoleAdmin, parley.Article{Title: "Other", Slug: a.Slug})
		if parley.ErrorCode(err) != parley.ECONFLICT {
			t.Fatalf("duplicate slug: %v", err)
		}
		// Agents read, only admins write.
		if _, err := s.CreateArticle(bg, parley.RoleAgent, parley.Article{Title: "Nope"}); parley.ErrorCode(err) != parley.EFORBIDDEN {
			t.Fatalf("agent create: %v", err)
		}
		draft := parley.ArticleDraft
		title := "Remboursements et retours"
		u, err := s.UpdateArticle(bg, parley.RoleOwner, a.ID, knowledge.ArticlePatch{Title: &title, Status: &draft})
		if err != nil || u.Title != title || u.Status != draft || u.Slug != a.Slug {
			t.Fatalf("update: %+v, %v", u, err)
		}
		if _, err := s.PublishedArticle(bg, a.Slug); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("a draft is not public: %v", err)
		}
		// A bad patch changes nothing.
		bad := "line\x00break"
		if _, err := s.UpdateArticle(bg, parley.RoleOwner, a.ID, knowledge.ArticlePatch{Title: &bad}); parley.ErrorCode(err) != parley.EINVALID {
			t.Fatalf("control character: %v", err)
		}
		if got, _ := s.Article(bg, a.ID); got.Title != title {
			t.Fatalf("a refused patch changed the title to %q", got.Title)
		}
		list, err := s.Articles(bg, knowledge.ListFilter{Status: parley.ArticleDraft})
		if err != nil || len(list) != 1 || list[0].ID != a.ID {
			t.Fatalf("drafts: %+v, %v", list, err)
		}
		if err := s.DeleteArticle(bg, parley.RoleAgent, a.ID); parley.ErrorCode(err) != parley.EFORBIDDEN {
			t.Fatalf("agent delete: %v", err)
		}
		if err := s.DeleteArticle(bg, parley.RoleAdmin, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteArticle(bg, parley.RoleAdmin, a.ID); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("second delete: %v", err)
		}
		if res, _ := s.Search(bg, knowledge.Query{Text: "remboursement", IncludeDrafts: true}); len(res) != 0 {
			t.Fatalf("a deleted article is still found: %v", titles(res))
		}
	})
}

func TestArticleValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newService(t, dialect)
		for name, a := range map[string]parley.Article{
			"no title":       {Body: "x"},
			"title too long": {Title: strings.Repeat("a", parley.MaxArticleTitle+1)},
			"control char":   {Title: "Bell\a"},
			"bad utf8 body":  {Title: "T", Body: "\xff"},
			"control body":   {Title: "T", Body: "a\x1bb"},
			"bad slug":       {Title: "T", Slug: "Not A Slug"},
			"bad status":     {Title: "T", Status: "hidden"},
			"bad lang":       {Title: "T", Lang: "english"},
			"comma tag":      {Title: "T", Tags: []string{"a,b"}},
			"body too long":  {Title: "T", Body: strings.Repeat("a", parley.MaxArticleBody+1)},
		} {
			if _, err := s.CreateArticle(bg, parley.RoleAdmin, a); parley.ErrorCode(err) != parley.EINVALID {
				t.Errorf("%s: %v", name, err)
			}
		}
		if list, _ := s.Articles(bg, knowledge.ListFilter{}); len(list) != 0 {
			t.Fatalf("refused articles were stored: %d", len(list))
		}
	})
}

func TestSearchRanking(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newService(t, dialect)
		refund := mustCreate(t, s, parley.Article{Title: "Refund policy", Tags: []string{"billing"},
			Body: "We refund any order within 30 days. A refund reaches your card in 5 to 10 business days."})
		mustCreate(t, s, parley.Article{Title: "Shipping times",
			Body: "Orders ship within 2 days. Delivery takes 3 to 5 days; you get a tracking number by email."})
		mustCreate(t, s, parley.Article{Title: "Reset your password",
			Body: "Use the link on the sign-in page to reset your password."})
		fr := mustCreate(t, s, parley.Article{Title: "Délai de remboursement", Lang: "fr",
			Body: "Nous remboursons votre commande sous 30 jours ; le remboursement apparaît sur votre carte en 5 jours."})
		es := mustCreate(t, s, parley.Article{Title: "Devoluciones", Lang: "es",
			Body: "Puede devolver cualquier pedido en 30 días. Los reembolsos tardan 5 días."})
		draft := mustCreate(t, s, parley.Article{Title: "Refunds for gift cards", Status: parley.ArticleDraft,
			Body: "Gift cards cannot be refunded."})

		// Stemming: "refunds" finds "refund", the title weighs most.
		res, err := s.Search(bg, knowledge.Query{Text: "Where are my refunds?", Lang: "en"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) == 0 || res[0].ID != refund.ID || res[0].Kind != "article" || res[0].URL != "/help/articles/refund-policy" {
			t.Fatalf("refunds: %v", titles(res))
		}
		for _, r := range res {
			if r.ID == draft.ID {
				t.Fatal("a draft was found without IncludeDrafts")
			}
			if r.Score <= 0 || r.Score > 1 {
				t.Fatalf("score %v out of (0, 1]", r.Score)
			}
		}
		if res, _ := s.Search(bg, knowledge.Query{Text: "refunded gift card", IncludeDrafts: true}); len(res) == 0 || res[0].ID != draft.ID {
			t.Fatalf("drafts included: %v", titles(res))
		}
		// French, accents or none, inflected: "remboursé" and "rembourse" meet "remboursement".
		for _, q := range []string{"Je n'ai pas été remboursé", "REMBOURSEMENTS", "quand est-ce que je serai rembourse"} {
			res, err := s.Search(bg, knowledge.Query{Text: q, Lang: "fr"})
			if err != nil || len(res) == 0 || res[0].ID != fr.ID {
				t.Fatalf("%q: %v, %v", q, titles(res), err)
			}
		}
		// Spanish.
		if res, _ := s.Search(bg, knowledge.Query{Text: "¿Cuándo llega mi reembolso?", Lang: "es"}); len(res) == 0 || res[0].ID != es.ID {
			t.Fatalf("es: %v", titles(res))
		}
		// Nothing relevant: nothing found, not the closest junk.
		if res, _ := s.Search(bg, knowledge.Query{Text: "hello, thanks!"}); len(res) != 0 {
			t.Fatalf("greeting found %v", titles(res))
		}
		if res, _ := s.Search(bg, knowledge.Query{Text: "quantum chromodynamics"}); len(res) != 0 {
			t.Fatalf("unrelated found %v", titles(res))
		}
		// Query syntax of either engine is only words.
		for _, q := range []string{`refund" OR "x`, "refund & !password", "refund:* | (", "NEAR(refund password)", "*"} {
			if _, err := s.Search(bg, knowledge.Query{Text: q}); err != nil {
				t.Fatalf("%q: %v", q, err)
			}
		}
		if _, err := s.Search(bg, knowledge.Query{Text: "x", Kinds: []string{"page"}}); parley.ErrorCode(err) != parley.EINVALID {
			t.Fatalf("bad kind: %v", err)
		}
		// A list with q searches, drafts included.
		list, err := s.Articles(bg, knowledge.ListFilter{Q: "gift card refunds"})
		if err != nil || len(list) == 0 || list[0].ID != draft.ID {
			t.Fatalf("list q: %+v, %v", list, err)
		}
	})
}
