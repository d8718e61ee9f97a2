package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
)

// Document frequencies of the knowledge index's terms (kb_terms).

// termDelta collects changes to kb_terms within one write.
type termDelta map[string]int64

// add counts each distinct term of terms by sign (+1 for a document
// written, -1 for one removed), and the document itself under "".
func (d termDelta) add(terms string, sign int64) {
	if terms == "" {
		return
	}
	seen := map[string]bool{}
	for t := range strings.FieldsSeq(terms) {
		if !seen[t] {
			seen[t] = true
			d[t] += sign
		}
	}
	d[""] += sign
}

// termRowsPerUpsert bounds one statement's rows (two parameters each).
const termRowsPerUpsert = 500

// apply writes the changes in term order, so that parallel writers on
// PostgreSQL lock shared rows in the same order and cannot deadlock.
func (tx *Tx) applyTerms(d termDelta) error {
	keys := make([]string, 0, len(d))
	for k, v := range d {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), termRowsPerUpsert)]
		keys = keys[len(chunk):]
		var b strings.Builder
		args := make([]any, 0, 2*len(chunk))
		for i, k := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + placeholders(2*i+1, 2) + ")")
			args = append(args, k, d[k])
		}
		if _, err := tx.exec(`INSERT INTO kb_terms (term, docs) VALUES `+b.String()+
			` ON CONFLICT (term) DO UPDATE SET docs = kb_terms.docs + excluded.docs`, args...); err != nil {
			return err
		}
	}
	return nil
}

// removeDocs deletes the index entries matching where and takes them
// out of kb_terms.
func (tx *Tx) removeDocs(where string, args ...any) error {
	rows, err := tx.query(`SELECT terms FROM kb_docs WHERE `+where, args...)
	if err != nil {
		return err
	}
	list, err := collect(rows, func(r *sql.Rows) (s string, err error) { err = r.Scan(&s); return s, err })
	if err != nil || len(list) == 0 {
		return err
	}
	d := termDelta{}
	for _, t := range list {
		d.add(t, -1)
	}
	if _, err := tx.exec(`DELETE FROM kb_docs WHERE `+where, args...); err != nil {
		return err
	}
	return tx.applyTerms(d)
}

// addDoc inserts an index entry and counts its terms.
func (tx *Tx) addDoc(d termDelta, kind string, refID int64, lang string, published bool, terms string) error {
	d.add(terms, 1)
	_, err := tx.exec(`INSERT INTO kb_docs (kind, ref_id, lang, published, terms) VALUES ($1, $2, $3, $4, $5)`,
		kind, refID, lang, published, terms)
	return err
}

// KnowledgeTermDocs returns how many documents hold each of terms (terms
// no document holds are left out) and how many documents there are.
func (db *DB) KnowledgeTermDocs(ctx context.Context, terms []string) (_ map[string]int64, total int64, err error) {
	defer wrap(&err, "store: KnowledgeTermDocs")
	args := make([]any, 0, len(terms)+1)
	args = append(args, "")
	for _, t := range terms {
		args = append(args, t)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT term, docs FROM kb_terms WHERE term IN (`+placeholders(1, len(args))+`) AND docs > 0`, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := make(map[string]int64, len(terms))
	for rows.Next() {
		var t string
		var n int64
		if err := rows.Scan(&t, &n); err != nil {
			return nil, 0, err
		}
		if t == "" {
			total = n
		} else {
			out[t] = n
		}
	}
	return out, total, rows.Err()
}

// AnalyzeKnowledge gathers PostgreSQL's statistics on the knowledge
// tables after a bulk load, as Seed does for its own (autovacuum would,
// some time later). SQLite needs nothing.
func (db *DB) AnalyzeKnowledge(ctx context.Context) error {
	if db.dialect.name != "postgres" {
		return nil
	}
	_, err := db.write.ExecContext(ctx, "ANALYZE kb_articles, kb_answers, kb_docs, kb_terms")
	return wrapf(err, "store: AnalyzeKnowledge")
}
