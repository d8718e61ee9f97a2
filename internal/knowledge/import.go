package knowledge

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// ImportResult says what an import did. Failed files are listed in
// Failures and the rest are imported all the same.
type ImportResult struct {
	Imported  int // new articles
	Updated   int // articles whose file changed since the last import
	Unchanged int
	Failed    int
	Failures  []ImportFailure
}

// ImportFailure is one file that could not be imported.
type ImportFailure struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"` // 0: the whole file
	Reason string `json:"reason"`
}

func (f ImportFailure) String() string {
	if f.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.Reason)
	}
	return f.File + ": " + f.Reason
}

// Summary is the one line the CLI prints.
func (r ImportResult) Summary() string {
	return fmt.Sprintf("imported %d, updated %d, unchanged %d, failed %d", r.Imported, r.Updated, r.Unchanged, r.Failed)
}

// importable reports whether a file name is one the import reads.
func importable(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown", ".html", ".htm":
		return !strings.HasPrefix(path.Base(name), ".")
	}
	return false
}

// ImportDir imports every Markdown and HTML file under dir (recursively).
// Returns an error only when dir itself cannot be read.
func (s *Service) ImportDir(ctx context.Context, role parley.Role, dir string) (ImportResult, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return ImportResult{}, parley.Errorf(parley.EINVALID, "cannot read %s: %v", dir, errors.Unwrap(err))
	}
	if !st.IsDir() {
		return ImportResult{}, parley.Errorf(parley.EINVALID, "%s is not a directory", dir)
	}
	return s.ImportFS(ctx, role, os.DirFS(dir))
}

// ImportFS imports every Markdown and HTML file of fsys, in path order.
// An article is matched to what is stored by its slug: a changed file
// updates it, an unchanged one is left alone, so importing again never
// duplicates. Each article is written on its own, so one that fails
// (bad front matter, unreadable, invalid UTF-8, no title, a slug another
// file of the same import already used) is reported and the rest go in.
func (s *Service) ImportFS(ctx context.Context, role parley.Role, fsys fs.FS) (ImportResult, error) {
	var r ImportResult
	if err := requireAdmin(role); err != nil {
		return r, err
	}
	fail := func(name string, line int, reason string) {
		r.Failed++
		r.Failures = append(r.Failures, ImportFailure{File: name, Line: line, Reason: reason})
	}
	var names []string
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			fail(name, 0, "cannot be read: "+errText(err))
			if d != nil && d.IsDir() && name != "." {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() && importable(name) {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		return r, fmt.Errorf("knowledge: import: %w", err)
	}
	slices.Sort(names)
	bySlug := map[string]string{} // slug → the file that gave it in this import
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			fail(name, 0, "cannot be read: "+errText(err))
			continue
		}
		a, err := ParseFile(name, data)
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				fail(name, pe.Line, pe.Reason)
				continue
			}
			return r, err
		}
		if other, ok := bySlug[a.Slug]; ok {
			fail(name, 0, fmt.Sprintf("slug %q is already used by %s", a.Slug, other))
			continue
		}
		bySlug[a.Slug] = name
		outcome, err := s.upsert(ctx, a)
		switch {
		case err != nil && parley.ErrorCode(err) != parley.EINTERNAL:
			fail(name, 0, parley.ErrorMessage(err))
		case err != nil:
			return r, err
		case outcome == created:
			r.Imported++
		case outcome == updated:
			r.Updated++
		default:
			r.Unchanged++
		}
	}
	return r, nil
}

type upsertOutcome int

const (
	unchanged upsertOutcome = iota
	created
	updated
)

// upsert stores a parsed article by its slug.
func (s *Service) upsert(ctx context.Context, a parley.Article) (outcome upsertOutcome, err error) {
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		cur, err := tx.ArticleBySlug(a.Slug)
		if parley.ErrorCode(err) == parley.ENOTFOUND {
			outcome = created
			return tx.CreateArticle(&a, articleTerms(a))
		}
		if err != nil {
			return err
		}
		if sameArticle(cur, a) {
			outcome = unchanged
			return nil
		}
		a.ID, a.CreatedAt = cur.ID, cur.CreatedAt
		outcome = updated
		return tx.UpdateArticle(&a, articleTerms(a))
	})
	return outcome, err
}

func sameArticle(a, b parley.Article) bool {
	return a.Title == b.Title && a.Body == b.Body && slices.Equal(a.Tags, b.Tags) && a.Lang == b.Lang &&
		a.Status == b.Status && a.Source == b.Source
}

// errText is an error's message without the path fs already names.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
