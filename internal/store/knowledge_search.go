package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
)

// KnowledgeQuery asks the knowledge index for candidates. Groups are
// query words, each as the terms that stand for it (internal/knowledge:
// a folded word and its stems, letters and digits only). A document
// matches when it holds a term of any group, or with All of every group;
// matches are ranked by the engine: FTS5's bm25 on SQLite, ts_rank on
// PostgreSQL.
type KnowledgeQuery struct {
	Groups        [][]string
	All           bool
	Kinds         []string // "article", "answer"; empty or both: both
	IncludeDrafts bool
	Limit         int
	// Rank is how many matches at most the engine ranks (see dialect
	// kbTop); 1,000 when zero.
	Rank int
}

// KnowledgeHit is one candidate: which document, its engine rank
// (higher is better; only comparable within one query on one engine) and
// its indexed terms, so the caller can score it the same way on both.
type KnowledgeHit struct {
	Kind  string
	RefID int64
	Lang  string
	Rank  float64
	Terms string
}

// maxKnowledgeTerms bounds the OR-query: a long customer message gives
// many words, and each costs a posting-list walk.
const maxKnowledgeTerms = 64

// SearchKnowledge returns up to q.Limit documents matching any of
// q.Terms, best first.
func (db *DB) SearchKnowledge(ctx context.Context, q KnowledgeQuery) (_ []KnowledgeHit, err error) {
	defer wrap(&err, "store: SearchKnowledge")
	var groups [][]string
	n := 0
	for _, g := range q.Groups {
		var kept []string
		for _, t := range g {
			if t != "" && !strings.ContainsFunc(t, notTermRune) && n < maxKnowledgeTerms {
				kept = append(kept, t)
				n++
			}
		}
		if len(kept) > 0 {
			groups = append(groups, kept)
		}
	}
	if len(groups) == 0 {
		return []KnowledgeHit{}, nil
	}
	d := db.dialect
	if q.Limit <= 0 {
		q.Limit = 10
	}
	if q.Rank <= 0 {
		q.Rank = 1000
	}
	// Filters are terms too (see KnowledgeFilterTerms), so the engine
	// applies them inside its own index, and only the best rows are ever
	// joined to kb_docs. Each is written to walk the shorter posting
	// list: drafts and articles are few, answers many.
	var must, mustNot []string
	if !q.IncludeDrafts {
		mustNot = append(mustNot, termDraft)
	}
	if len(q.Kinds) == 1 && q.Kinds[0] == "article" {
		must = append(must, termArticle)
	} else if len(q.Kinds) == 1 {
		mustNot = append(mustNot, termArticle)
	}
	// Ranked first, read by id after: a join in one statement was planned
	// as a scan of kb_docs on PostgreSQL before the table was analyzed.
	rows, err := db.read.QueryContext(ctx, d.kbTop, d.kbQuery(groups, q.All, must, mustNot), q.Limit, q.Rank)
	if err != nil {
		return nil, err
	}
	type scored struct {
		id    int64
		score float64
	}
	top, err := collect(rows, func(r *sql.Rows) (s scored, err error) { err = r.Scan(&s.id, &s.score); return s, err })
	if err != nil || len(top) == 0 {
		return []KnowledgeHit{}, err
	}
	args := make([]any, len(top))
	score := make(map[int64]float64, len(top))
	for i, t := range top {
		args[i], score[t.id] = t.id, t.score
	}
	rows, err = db.read.QueryContext(ctx, "SELECT d.id, d.kind, d.ref_id, d.lang, d.terms FROM kb_docs d WHERE d.id IN ("+placeholders(1, len(args))+")", args...)
	if err != nil {
		return nil, err
	}
	hits, err := collect(rows, func(r *sql.Rows) (h KnowledgeHit, err error) {
		var id int64
		err = r.Scan(&id, &h.Kind, &h.RefID, &h.Lang, &h.Terms)
		h.Rank = score[id]
		return h, err
	})
	slices.SortFunc(hits, func(a, b KnowledgeHit) int { return cmp.Compare(b.Rank, a.Rank) })
	return hits, err
}

// Filter terms: an article's indexed terms end with termArticle, and a
// draft's with termDraft too. They cannot clash with a word: real terms
// are folded words, and no language has these.
const (
	termArticle = "zzkindarticle"
	termDraft   = "zzdraft"
)

// knowledgeFilterTerms returns the filter terms of a document.
func knowledgeFilterTerms(kind string, published bool) string {
	switch {
	case kind != "article":
		return ""
	case published:
		return " " + termArticle
	}
	return " " + termArticle + " " + termDraft
}

// notTermRune is anything a term may not hold: terms reach the engines'
// query syntax, so only letters and digits pass.
func notTermRune(r rune) bool { return !isLetterOrDigit(r) }
