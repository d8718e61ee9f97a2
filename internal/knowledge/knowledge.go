// Package knowledge is Parley's knowledge base: articles (Markdown help
// pages, written in Settings or imported from files), answers learned
// from the team's replies in resolved conversations, and the retrieval
// that drafts cite them through.
//
// Articles and learned answers share one full-text index (store
// kb_docs): FTS5 on SQLite, a tsvector on PostgreSQL, both over terms
// computed here (terms.go), so a query finds the same documents on both
// and ranks articles and answers on one scale.
package knowledge

import (
	"context"
	"fmt"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Service holds the knowledge base's use cases.
type Service struct {
	DB *store.DB
	// BaseURL, when set, returns Parley's public address, so the links
	// in search results (help pages, conversations) are absolute and can
	// go into a reply as they are.
	BaseURL func() string
}

// ArticlePatch is a change to an article: nil fields keep their value.
type ArticlePatch struct {
	Slug   *string
	Title  *string
	Body   *string
	Tags   *[]string
	Lang   *string
	Status *parley.ArticleStatus
	// Clip: nil leaves the article's clip as it is; a pointer to nil
	// removes it; a pointer to a clip sets it.
	Clip **parley.Clip
}

// requireAdmin refuses knowledge-base changes to anyone but owners and
// admins: articles are shown to customers on the help pages.
func requireAdmin(role parley.Role) error {
	if !role.IsAdmin() {
		return parley.Errorf(parley.EFORBIDDEN, "only owners and admins may change the knowledge base")
	}
	return nil
}

// CreateArticle validates and stores a new article. Returns EFORBIDDEN
// for a role that is not an admin's, EINVALID for a bad article and
// ECONFLICT when its slug is taken.
func (s *Service) CreateArticle(ctx context.Context, role parley.Role, a parley.Article) (parley.Article, error) {
	if err := requireAdmin(role); err != nil {
		return a, err
	}
	a.ID = 0
	if a.Slug == "" {
		a.Slug = parley.Slugify(strings.Join(wordsOf(a.Title), " "))
	}
	a.Normalize()
	if err := a.Validate(); err != nil {
		return a, err
	}
	err := s.DB.Write(ctx, func(tx *store.Tx) error { return tx.CreateArticle(&a, articleTerms(a)) })
	if err != nil {
		return a, fmt.Errorf("knowledge: CreateArticle: %w", err)
	}
	return a, nil
}

// UpdateArticle applies a patch to an article. Returns EFORBIDDEN,
// ENOTFOUND, EINVALID (nothing changes) or ECONFLICT (the new slug is
// another article's).
func (s *Service) UpdateArticle(ctx context.Context, role parley.Role, id int64, p ArticlePatch) (parley.Article, error) {
	if err := requireAdmin(role); err != nil {
		return parley.Article{}, err
	}
	var a parley.Article
	err := s.DB.Write(ctx, func(tx *store.Tx) (err error) {
		if a, err = tx.Article(id); err != nil {
			return err
		}
		p.Apply(&a)
		a.Normalize()
		if err := a.Validate(); err != nil {
			return err
		}
		return tx.UpdateArticle(&a, articleTerms(a))
	})
	if err != nil {
		return a, fmt.Errorf("knowledge: UpdateArticle(%d): %w", id, err)
	}
	return a, nil
}

// Apply copies the fields p sets onto a.
func (p ArticlePatch) Apply(a *parley.Article) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&a.Slug, p.Slug)
	set(&a.Title, p.Title)
	set(&a.Body, p.Body)
	set(&a.Lang, p.Lang)
	if p.Tags != nil {
		a.Tags = *p.Tags
	}
	if p.Status != nil {
		a.Status = *p.Status
	}
	if p.Clip != nil {
		a.Clip = *p.Clip
	}
}

// DeleteArticle removes an article. Returns EFORBIDDEN or ENOTFOUND.
func (s *Service) DeleteArticle(ctx context.Context, role parley.Role, id int64) error {
	if err := requireAdmin(role); err != nil {
		return err
	}
	if err := s.DB.Write(ctx, func(tx *store.Tx) error { return tx.DeleteArticle(id) }); err != nil {
		return fmt.Errorf("knowledge: DeleteArticle(%d): %w", id, err)
	}
	return nil
}

// Article returns one article. Returns ENOTFOUND.
func (s *Service) Article(ctx context.Context, id int64) (parley.Article, error) {
	return s.DB.Article(ctx, id)
}

// PublishedArticle returns the published article with a slug, for the
// public help page. A draft is ENOTFOUND, like an unknown slug, so a
// draft's existence is not revealed.
func (s *Service) PublishedArticle(ctx context.Context, slug string) (parley.Article, error) {
	if !parley.ValidSlug(slug) {
		return parley.Article{}, parley.Errorf(parley.ENOTFOUND, "article %s not found", slug)
	}
	a, err := s.DB.ArticleBySlug(ctx, slug)
	if err == nil && a.Status != parley.ArticlePublished {
		err = parley.Errorf(parley.ENOTFOUND, "article %s not found", slug)
	}
	return a, err
}

// ListFilter selects articles for a list. With Q, the articles are the
// best matches of a search (drafts included), best first; otherwise the
// most recently updated come first.
type ListFilter struct {
	Q      string
	Status parley.ArticleStatus
	Lang   string
	Limit  int // 1 to 500; 100 when zero
}

// Articles lists articles. Returns EINVALID for a bad status or limit.
func (s *Service) Articles(ctx context.Context, f ListFilter) ([]parley.Article, error) {
	if f.Status != "" && f.Status != parley.ArticlePublished && f.Status != parley.ArticleDraft {
		return nil, parley.Errorf(parley.EINVALID, "status must be \"published\" or \"draft\"")
	}
	if f.Limit == 0 {
		f.Limit = 100
	}
	if f.Limit < 1 || f.Limit > 500 {
		return nil, parley.Errorf(parley.EINVALID, "limit must be from 1 to 500")
	}
	if strings.TrimSpace(f.Q) == "" {
		return s.DB.Articles(ctx, store.ArticleFilter{Status: f.Status, Lang: f.Lang, Limit: f.Limit})
	}
	hits, err := s.rank(ctx, Query{Text: f.Q, Lang: f.Lang, Limit: f.Limit, Kinds: []string{KindArticle}, IncludeDrafts: true})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.RefID
	}
	list, err := s.DB.Articles(ctx, store.ArticleFilter{Status: f.Status, Lang: f.Lang, IDs: ids, Limit: len(ids) + 1})
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]parley.Article, len(list))
	for _, a := range list {
		byID[a.ID] = a
	}
	out := make([]parley.Article, 0, len(list))
	for _, id := range ids {
		if a, ok := byID[id]; ok {
			out = append(out, a)
		}
	}
	return out, nil
}

func articleTerms(a parley.Article) string { return docTerms(a.Title, a.Body, a.Tags) }

// url makes a link absolute when Parley knows its public address.
func (s *Service) url(path string) string {
	if s.BaseURL == nil {
		return path
	}
	return strings.TrimRight(s.BaseURL(), "/") + path
}
