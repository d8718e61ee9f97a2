package store

import (
	"context"
	"database/sql"
	"strings"
)

// KnowledgeQuery asks the knowledge index for candidates. Terms are
// already reduced by the caller (internal/knowledge: folded words and
// their stems, letters and digits only); a document matches when it
// holds any of them, ranked by the engine: FTS5's bm25 on SQLite,
// ts_rank_cd on PostgreSQL.
type KnowledgeQuery struct {
	Terms         []string
	Kinds         []string // "article", "answer"; empty: both
	IncludeDrafts bool
	Limit         int
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
	terms := make([]string, 0, len(q.Terms))
	for _, t := range q.Terms {
		if t != "" && !strings.ContainsFunc(t, notTermRune) {
			terms = append(terms, t)
		}
	}
	if len(terms) > maxKnowledgeTerms {
		terms = terms[:maxKnowledgeTerms]
	}
	if len(terms) == 0 {
		return []KnowledgeHit{}, nil
	}
	d := db.dialect
	var w query
	w.where = append(w.where, d.kbWhere)
	w.args = append(w.args, d.kbQuery(terms))
	if !q.IncludeDrafts {
		w.where = append(w.where, "d.published = TRUE")
	}
	if len(q.Kinds) > 0 {
		ph := make([]string, len(q.Kinds))
		for i, k := range q.Kinds {
			ph[i] = w.next(k)
		}
		w.where = append(w.where, "d.kind IN ("+strings.Join(ph, ", ")+")")
	}
	if q.Limit <= 0 {
		q.Limit = 10
	}
	rows, err := db.read.QueryContext(ctx, "SELECT d.kind, d.ref_id, d.lang, "+d.kbRank+", d.terms FROM "+d.kbFrom+w.clause()+
		" ORDER BY "+d.kbOrder+" LIMIT "+w.next(q.Limit), w.args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r *sql.Rows) (h KnowledgeHit, err error) {
		err = r.Scan(&h.Kind, &h.RefID, &h.Lang, &h.Rank, &h.Terms)
		return h, err
	})
}

// notTermRune is anything a term may not hold: terms reach the engines'
// query syntax, so only letters and digits pass.
func notTermRune(r rune) bool { return !isLetterOrDigit(r) }
