package knowledge

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/assist"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/triage"
)

// Source kinds.
const (
	KindArticle = "article"
	KindAnswer  = "answer"
)

// Query is a knowledge search: Text is the question (a customer's
// message will do), Lang the language to prefer ("en", "fr"...; results
// in other languages count a little less, since a team may have written
// an answer only once), Kinds what to search (both when empty).
type Query struct {
	Text          string
	Lang          string
	Limit         int // 1 to 50; 5 when zero
	Kinds         []string
	IncludeDrafts bool
}

// candidatesPerResult is how many engine candidates are rescored for each
// result wanted: enough for the coverage score to reorder them, few
// enough that loading them stays cheap.
const candidatesPerResult = 6

// rankBudget bounds the documents an engine ranks for one search: the
// query uses the question's rarest words while the documents holding
// them add up to at most this many. A ranking costs a few microseconds a
// match on either engine, so a question of common words over 100,000
// answers would otherwise take a second.
const rankBudget = 1000

// otherLang is the weight of a result in a language other than the
// query's.
const otherLang = 0.8

// hit is a document with its final score.
type hit struct {
	store.KnowledgeHit
	Score float64
}

// Search returns the best articles and learned answers for a query, as
// sources a draft can cite, best first. Only published articles are
// searched unless IncludeDrafts. Score is from 0 to 1 and means the same
// for both kinds and on both databases: the share of the query's words
// the source holds (in any inflection), weighted by the engine's
// relevance rank relative to the best candidate (bm25 on SQLite,
// ts_rank on PostgreSQL), so a source holding every word scores
// between 0.5 and 1. Returns EINVALID for an unknown kind or a bad
// limit; a query with no searchable words finds nothing.
func (s *Service) Search(ctx context.Context, q Query) ([]assist.Source, error) {
	if q.Limit == 0 {
		q.Limit = 5
	}
	if q.Limit < 1 || q.Limit > 50 {
		return nil, parley.Errorf(parley.EINVALID, "limit must be from 1 to 50")
	}
	// A few more than asked for: answers whose resolution no longer
	// stands are only found out below, and are dropped.
	want := q.Limit
	q.Limit += staleSlack
	hits, err := s.rank(ctx, q)
	if err != nil {
		return nil, err
	}
	var articleIDs, answerIDs []int64
	for _, h := range hits {
		if h.Kind == KindArticle {
			articleIDs = append(articleIDs, h.RefID)
		} else {
			answerIDs = append(answerIDs, h.RefID)
		}
	}
	articles := map[int64]parley.Article{}
	if len(articleIDs) > 0 {
		list, err := s.DB.Articles(ctx, store.ArticleFilter{IDs: articleIDs, Limit: len(articleIDs)})
		if err != nil {
			return nil, fmt.Errorf("knowledge: Search: %w", err)
		}
		for _, a := range list {
			articles[a.ID] = a
		}
	}
	answers := map[int64]parley.LearnedAnswer{}
	if len(answerIDs) > 0 {
		list, err := s.DB.LearnedAnswers(ctx, answerIDs) // stale ones are left out
		if err != nil {
			return nil, fmt.Errorf("knowledge: Search: %w", err)
		}
		for _, a := range list {
			answers[a.ID] = a
		}
	}
	out := make([]assist.Source, 0, len(hits))
	for _, h := range hits {
		if h.Kind == KindArticle {
			if a, ok := articles[h.RefID]; ok {
				out = append(out, s.articleSource(a, h.Score))
			}
		} else if a, ok := answers[h.RefID]; ok {
			out = append(out, s.answerSource(a, h.Score))
		}
	}
	return out[:min(len(out), want)], nil
}

// staleSlack is how many extra results Search ranks to make up for
// stale answers not yet pruned.
const staleSlack = 5

// rank finds and scores candidates; it returns at most q.Limit, best
// first (ties by kind then id, so the order is the same every time).
func (s *Service) rank(ctx context.Context, q Query) ([]hit, error) {
	if q.Limit == 0 {
		q.Limit = 5
	}
	if q.Limit < 1 || q.Limit > 500 {
		return nil, parley.Errorf(parley.EINVALID, "limit must be from 1 to 500")
	}
	for _, k := range q.Kinds {
		if k != KindArticle && k != KindAnswer {
			return nil, parley.Errorf(parley.EINVALID, "kind %q must be \"article\" or \"answer\"", k)
		}
	}
	cands, weights, err := s.candidates(ctx, q)
	if err != nil || len(cands) == 0 {
		return []hit{}, err
	}
	best := 0.0
	for _, c := range cands {
		best = max(best, c.Rank)
	}
	lang := strings.ToLower(q.Lang)
	out := make([]hit, len(cands))
	for i, c := range cands {
		rel := 1.0
		if best > 0 {
			rel = c.Rank / best
		}
		sc := coverage(weights, c.Terms) * (0.5 + 0.5*rel)
		if lang != "" && c.Lang != "" && c.Lang != lang {
			sc *= otherLang
		}
		c.Terms = "" // not needed any more: let it go
		out[i] = hit{KnowledgeHit: c, Score: sc}
	}
	slices.SortStableFunc(out, func(a, b hit) int {
		switch {
		case a.Score != b.Score:
			if a.Score > b.Score {
				return -1
			}
			return 1
		case a.Kind != b.Kind:
			return strings.Compare(a.Kind, b.Kind)
		}
		return int(a.RefID - b.RefID)
	})
	return out[:min(len(out), q.Limit)], nil
}

func (s *Service) articleSource(a parley.Article, score float64) assist.Source {
	return assist.Source{Kind: KindArticle, ID: a.ID, Title: a.Title, URL: s.ArticleURL(a), Text: a.Body, Lang: a.Lang, Score: score}
}

func (s *Service) answerSource(a parley.LearnedAnswer, score float64) assist.Source {
	return assist.Source{Kind: KindAnswer, ID: a.ID, Title: answerTitle(a.Question),
		URL: s.url("/app/conversations/" + strconv.FormatInt(a.ConversationID, 10)), Text: a.Answer, Lang: a.Lang, Score: score}
}

// ArticleURL is an article's public help page.
func (s *Service) ArticleURL(a parley.Article) string { return s.url("/help/articles/" + a.Slug) }

// answerTitle names a learned answer by the question it answered, cut
// to a line.
func answerTitle(question string) string {
	q := strings.Join(strings.Fields(question), " ")
	if len(q) > 80 {
		q = parley.TruncateText(q, 80)
		if i := strings.LastIndexByte(q, ' '); i > 40 {
			q = q[:i]
		}
		q += "…"
	}
	return "Past reply: " + q
}

// weighted is a query word: its forms and its weight (rarer words weigh
// more, as in tf-idf).
type weighted struct {
	forms  []string
	docs   int64
	weight float64
}

// candidates asks the engine for the best documents, querying with the
// question's rarest words: as many as keep the documents to rank within
// rankBudget, or, when even the rarest word is that common, the
// documents holding the two rarest words together. It also returns every
// query word found in the index with its weight, for coverage.
func (s *Service) candidates(ctx context.Context, q Query) ([]store.KnowledgeHit, []weighted, error) {
	groups := queryGroups(q.Text)
	if len(groups) == 0 {
		return nil, nil, nil
	}
	docs, total, err := s.DB.KnowledgeTermDocs(ctx, flatten(groups))
	if err != nil {
		return nil, nil, fmt.Errorf("knowledge: Search: %w", err)
	}
	var words []weighted
	for _, g := range groups {
		w := weighted{}
		for _, f := range g {
			if n := docs[f]; n > 0 {
				w.forms = append(w.forms, f)
				w.docs = max(w.docs, n) // the forms mostly hold the same documents
			}
		}
		if w.docs > 0 {
			w.weight = math.Log(1 + float64(total)/float64(w.docs))
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return nil, nil, nil // no word of the question is in any document
	}
	byRarity := slices.Clone(words)
	slices.SortStableFunc(byRarity, func(a, b weighted) int { return int(a.docs - b.docs) })
	var chosen [][]string
	sum := int64(0)
	for _, w := range byRarity {
		if len(chosen) > 0 && sum+w.docs > rankBudget {
			break
		}
		chosen = append(chosen, w.forms)
		sum += w.docs
	}
	sq := store.KnowledgeQuery{Groups: chosen, Kinds: q.Kinds, IncludeDrafts: q.IncludeDrafts,
		Limit: min(q.Limit*candidatesPerResult, 200), Rank: rankBudget}
	if sum > rankBudget && len(byRarity) > 1 {
		sq.Groups, sq.All = [][]string{byRarity[0].forms, byRarity[1].forms}, true
	}
	cands, err := s.DB.SearchKnowledge(ctx, sq)
	if err == nil && len(cands) == 0 && sq.All {
		sq.Groups, sq.All = sq.Groups[:1], false // no document holds both: the rarer alone
		cands, err = s.DB.SearchKnowledge(ctx, sq)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("knowledge: Search: %w", err)
	}
	return cands, words, nil
}

func wordsOf(s string) []string { return triage.Words(s) }

// Retrieve is Search as the assistant asks it (assist.Retriever): the
// published articles and learned answers for a query, in lang first.
func (s *Service) Retrieve(ctx context.Context, query, lang string, limit int) ([]assist.Source, error) {
	return s.Search(ctx, Query{Text: query, Lang: lang, Limit: limit})
}
