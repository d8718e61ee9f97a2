package knowledge_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/parleyhq/parley/internal/knowledge"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func TestImportDir(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newService(t, dialect)
		r, err := s.ImportDir(bg, parley.RoleOwner, "testdata/kb")
		if err != nil {
			t.Fatal(err)
		}
		if r.Summary() != "imported 5, updated 0, unchanged 0, failed 4" {
			t.Fatalf("%s: %v", r.Summary(), r.Failures)
		}
		var failures []string
		for _, f := range r.Failures {
			failures = append(failures, f.String())
		}
		want := []string{
			"broken/bad-front-matter.md:3: front matter lines must be \"key: value\"",
			"broken/empty-title.md:3: the title is empty",
			"broken/latin1.md:4: the file is not valid UTF-8",
			"broken/unclosed.md:1: the front matter opened here is never closed with a \"---\" line",
		}
		if !slices.Equal(failures, want) {
			t.Fatalf("failures:\n%s\nwant:\n%s", strings.Join(failures, "\n"), strings.Join(want, "\n"))
		}
		get := func(slug string) parley.Article {
			t.Helper()
			a, err := s.DB.ArticleBySlug(bg, slug)
			if err != nil {
				t.Fatalf("%s: %v", slug, err)
			}
			return a
		}
		refund := get("refund-policy")
		if refund.Title != "Refund policy" || strings.Join(refund.Tags, ",") != "billing,refunds" || refund.Source != "refund-policy.md" ||
			!strings.HasPrefix(refund.Body, "We refund any order within **30 days**") {
			t.Fatalf("refund: %+v", refund)
		}
		if a := get("shipping"); a.Title != "Shipping times" || strings.HasPrefix(a.Body, "#") || a.Source != "guides/shipping.md" {
			t.Fatalf("title from the heading: %+v", a)
		}
		if a := get("delai-remboursement"); a.Title != "Délai de remboursement" || a.Lang != "fr" || strings.Join(a.Tags, ",") != "facturation,remboursements" {
			t.Fatalf("fr: %+v", a)
		}
		pw := get("password")
		if pw.Title != "Reset your password" || pw.Lang != "en" || strings.Contains(pw.Body, "alert") || strings.Contains(pw.Body, "Home") ||
			!strings.Contains(pw.Body, "[reset page](https://shop.example/reset)") || !strings.Contains(pw.Body, "## Still stuck?") ||
			!strings.Contains(pw.Body, "- Check your spam folder.") {
			t.Fatalf("html: %+v", pw)
		}
		if a := get("draft-gift-cards"); a.Status != parley.ArticleDraft {
			t.Fatalf("draft: %+v", a)
		}
		// Importing again changes nothing and duplicates nothing.
		r, err = s.ImportDir(bg, parley.RoleOwner, "testdata/kb")
		if err != nil || r.Summary() != "imported 0, updated 0, unchanged 5, failed 4" {
			t.Fatalf("again: %s, %v", r.Summary(), err)
		}
		// A changed file updates its article, found by slug.
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "refund-policy.md"), []byte("---\ntitle: Refund policy\n---\nRefunds now take 3 days."), 0o644)
		r, err = s.ImportDir(bg, parley.RoleOwner, dir)
		if err != nil || r.Summary() != "imported 0, updated 1, unchanged 0, failed 0" {
			t.Fatalf("changed: %s, %v", r.Summary(), err)
		}
		if a := get("refund-policy"); a.ID != refund.ID || a.Body != "Refunds now take 3 days." {
			t.Fatalf("updated: %+v", a)
		}
		if list, _ := s.Articles(bg, knowledge.ListFilter{}); len(list) != 5 {
			t.Fatalf("%d articles after three imports", len(list))
		}
		res, _ := s.Search(bg, knowledge.Query{Text: "how long do refunds take"})
		if len(res) == 0 || res[0].ID != refund.ID {
			t.Fatalf("search after import: %v", titles(res))
		}
	})
}

func TestImportEdgeCases(t *testing.T) {
	s := newService(t, "sqlite")
	fsys := fstest.MapFS{
		"a/Refund Policy.md": {Data: []byte("Plain text, no heading.")},
		"b/refund-policy.md": {Data: []byte("# Another\nSame slug as a/Refund Policy.md once slugified.")},
		"c.md":               {Data: []byte("---\nstatus: hidden\n---\nx")},
		"d.md":               {Data: []byte("---\r\ntitle: Windows line ends\r\n---\r\nBody\r\n")},
	}
	r, err := s.ImportFS(bg, parley.RoleOwner, fsys)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary() != "imported 2, updated 0, unchanged 0, failed 2" {
		t.Fatalf("%s %v", r.Summary(), r.Failures)
	}
	if r.Failures[0].File != "b/refund-policy.md" || !strings.Contains(r.Failures[0].Reason, "a/Refund Policy.md") ||
		r.Failures[1].File != "c.md" || r.Failures[1].Line != 2 {
		t.Fatalf("failures: %+v", r.Failures)
	}
	if a, err := s.DB.ArticleBySlug(bg, "refund-policy"); err != nil || a.Title != "Refund Policy" {
		t.Fatalf("title from the file name: %+v, %v", a, err)
	}
	if a, err := s.DB.ArticleBySlug(bg, "d"); err != nil || a.Title != "Windows line ends" || a.Body != "Body" {
		t.Fatalf("CRLF: %+v, %v", a, err)
	}
	if _, err := s.ImportFS(bg, parley.RoleAgent, fsys); parley.ErrorCode(err) != parley.EFORBIDDEN {
		t.Fatalf("agent import: %v", err)
	}
	if _, err := s.ImportDir(bg, parley.RoleOwner, "testdata/nope"); parley.ErrorCode(err) != parley.EINVALID {
		t.Fatalf("missing dir: %v", err)
	}
}
