package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
)

// Knowledge articles. Every article has a row in kb_docs, the full-text
// index it shares with learned answers; the caller computes the indexed
// terms (internal/knowledge) and they are written in the same statement
// group as the article, so the index never disagrees with the table.

const articleColumns = `a.id, a.slug, a.title, a.body, a.tags, a.lang, a.status, a.source, a.clip_sha256, a.clip_name, a.created_at, a.updated_at`

func scanArticle(row interface{ Scan(...any) error }) (parley.Article, error) {
	var a parley.Article
	var tags, clip, clipName string
	var created, updated int64
	err := row.Scan(&a.ID, &a.Slug, &a.Title, &a.Body, &tags, &a.Lang, &a.Status, &a.Source, &clip, &clipName, &created, &updated)
	a.Tags = splitTags(tags)
	a.Clip = clipOf(clip, clipName)
	a.CreatedAt, a.UpdatedAt = fromTS(created), fromTS(updated)
	return a, err
}

// Tags are kept as one comma-joined column: they are shown and indexed
// (through the terms), never filtered on alone, so a table of their own
// would buy nothing. parley.Article.Validate refuses commas in a tag.
func splitTags(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func slugConflict(err error, slug string) error {
	if isUniqueViolation(err) {
		return parley.Errorf(parley.ECONFLICT, "an article with slug %q already exists", slug)
	}
	return err
}

// CreateArticle stores a new article and its index entry (terms). It sets
// ID and the times. Returns ECONFLICT when the slug is taken.
func (tx *Tx) CreateArticle(a *parley.Article, terms string) (err error) {
	defer wrap(&err, "store: CreateArticle")
	a.CreatedAt, a.UpdatedAt = tx.now, tx.now
	if err := tx.checkClip(a.Clip); err != nil {
		return err
	}
	sha, name := clipColumns(a.Clip)
	err = tx.queryRow(`INSERT INTO kb_articles (slug, title, body, tags, lang, status, source, clip_sha256, clip_name, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
		a.Slug, a.Title, a.Body, strings.Join(a.Tags, ","), a.Lang, a.Status, a.Source, sha, name, ts(tx.now)).Scan(&a.ID)
	if err != nil {
		return slugConflict(err, a.Slug)
	}
	pub := a.Status == parley.ArticlePublished
	d := termDelta{}
	if err := tx.addDoc(d, "article", a.ID, a.Lang, pub, terms+knowledgeFilterTerms("article", pub)); err != nil {
		return err
	}
	return tx.applyTerms(d)
}

// UpdateArticle saves every field of an existing article and its index
// entry, and sets UpdatedAt. Returns ENOTFOUND for an unknown id and
// ECONFLICT when the new slug is another article's.
func (tx *Tx) UpdateArticle(a *parley.Article, terms string) (err error) {
	defer wrap(&err, "store: UpdateArticle(%d)", a.ID)
	a.UpdatedAt = tx.now
	if err := tx.checkClip(a.Clip); err != nil {
		return err
	}
	sha, name := clipColumns(a.Clip)
	res, err := tx.exec(`UPDATE kb_articles SET slug = $2, title = $3, body = $4, tags = $5, lang = $6, status = $7, source = $8,
		clip_sha256 = $9, clip_name = $10, updated_at = $11
		WHERE id = $1`, a.ID, a.Slug, a.Title, a.Body, strings.Join(a.Tags, ","), a.Lang, a.Status, a.Source, sha, name, ts(tx.now))
	if err != nil {
		return slugConflict(err, a.Slug)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return parley.Errorf(parley.ENOTFOUND, "article %d not found", a.ID)
	}
	if err := tx.removeDocs("kind = 'article' AND ref_id = $1", a.ID); err != nil {
		return err
	}
	pub := a.Status == parley.ArticlePublished
	d := termDelta{}
	if err := tx.addDoc(d, "article", a.ID, a.Lang, pub, terms+knowledgeFilterTerms("article", pub)); err != nil {
		return err
	}
	return tx.applyTerms(d)
}

// DeleteArticle removes an article and its index entry. Returns
// ENOTFOUND for an unknown id.
func (tx *Tx) DeleteArticle(id int64) (err error) {
	defer wrap(&err, "store: DeleteArticle(%d)", id)
	if err := tx.removeDocs("kind = 'article' AND ref_id = $1", id); err != nil {
		return err
	}
	res, err := tx.exec(`DELETE FROM kb_articles WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return parley.Errorf(parley.ENOTFOUND, "article %d not found", id)
	}
	return nil
}

// Article returns one article, locked for update on PostgreSQL. Returns
// ENOTFOUND for an unknown id.
func (tx *Tx) Article(id int64) (parley.Article, error) {
	a, err := scanArticle(tx.queryRow("SELECT "+articleColumns+" FROM kb_articles a WHERE a.id = $1"+tx.db.dialect.forUpdate, id))
	return a, notFound(err, "article", id)
}

// ArticleBySlug returns the article with a slug, locked for update on
// PostgreSQL. Returns ENOTFOUND when there is none.
func (tx *Tx) ArticleBySlug(slug string) (parley.Article, error) {
	a, err := scanArticle(tx.queryRow("SELECT "+articleColumns+" FROM kb_articles a WHERE a.slug = $1"+tx.db.dialect.forUpdate, slug))
	return a, notFound(err, "article", slug)
}

// Article returns one article. Returns ENOTFOUND for an unknown id.
func (db *DB) Article(ctx context.Context, id int64) (parley.Article, error) {
	a, err := scanArticle(db.read.QueryRowContext(ctx, "SELECT "+articleColumns+" FROM kb_articles a WHERE a.id = $1", id))
	return a, wrapf(notFound(err, "article", id), "store: Article")
}

// ArticleBySlug returns the article with a slug. Returns ENOTFOUND when
// there is none.
func (db *DB) ArticleBySlug(ctx context.Context, slug string) (parley.Article, error) {
	a, err := scanArticle(db.read.QueryRowContext(ctx, "SELECT "+articleColumns+" FROM kb_articles a WHERE a.slug = $1", slug))
	return a, wrapf(notFound(err, "article", slug), "store: ArticleBySlug")
}

// ArticleFilter selects articles for a list; zero fields do not filter.
type ArticleFilter struct {
	Status parley.ArticleStatus
	Lang   string
	IDs    []int64 // only these (the order of the answer is still newest first)
	Limit  int     // 100 when zero
}

// Articles lists articles, most recently updated first.
func (db *DB) Articles(ctx context.Context, f ArticleFilter) (_ []parley.Article, err error) {
	defer wrap(&err, "store: Articles")
	var q query
	if f.Status != "" {
		q.add("a.status = ?", f.Status)
	}
	if f.Lang != "" {
		q.add("a.lang = ?", f.Lang)
	}
	if f.IDs != nil {
		if len(f.IDs) == 0 {
			return []parley.Article{}, nil
		}
		ph := make([]string, len(f.IDs))
		for i, id := range f.IDs {
			ph[i] = q.next(id)
		}
		q.where = append(q.where, "a.id IN ("+strings.Join(ph, ", ")+")")
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := db.read.QueryContext(ctx, "SELECT "+articleColumns+" FROM kb_articles a"+q.clause()+
		" ORDER BY a.updated_at DESC, a.id DESC LIMIT "+q.next(f.Limit), q.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (parley.Article, error) { return scanArticle(r) })
}
