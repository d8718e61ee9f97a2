package knowledge

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// SeedAnswers stores a synthetic learned answer for each of n seeded
// conversations (ids first … first+n-1, as store.Seed made them, each
// with its one message), with text(i) giving the i-th question and
// answer: for benchmarks and load tests of retrieval at scale. It
// bypasses the learning job (nothing is masked) but indexes exactly as
// learning does.
func SeedAnswers(ctx context.Context, s *Service, first int64, n int, text func(i int) (question, answer string)) error {
	const batch = 2000
	for done := 0; done < n; done += batch {
		k := min(batch, n-done)
		ids := make([]int64, k)
		for i := range ids {
			ids[i] = first + int64(done+i)
		}
		msgs, err := s.DB.Messages(ctx, ids)
		if err != nil {
			return fmt.Errorf("knowledge: SeedAnswers: %w", err)
		}
		byConv := make(map[int64]parley.Message, len(msgs))
		for _, m := range msgs {
			byConv[m.ConversationID] = m
		}
		list := make([]parley.LearnedAnswer, k)
		for i := range list {
			q, a := text(done + i)
			m := byConv[ids[i]]
			list[i] = parley.LearnedAnswer{ConversationID: ids[i], MessageID: m.ID, InboxID: m.InboxID, Question: q, Answer: a, Lang: "en"}
		}
		terms := make([]string, k)
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		for w := range workers {
			wg.Go(func() {
				for i := w; i < k; i += workers {
					terms[i] = docTerms(list[i].Question, list[i].Answer, nil)
				}
			})
		}
		wg.Wait()
		err = s.DB.Write(ctx, func(tx *store.Tx) error {
			for i := range list {
				c, err := tx.Conversation(ids[i])
				if err != nil {
					return err
				}
				if c.ResolvedAt != nil {
					list[i].ResolvedAt = *c.ResolvedAt
				} else {
					list[i].ResolvedAt = c.LastActivityAt
				}
			}
			return tx.AddLearnedAnswers(list, terms)
		})
		if err != nil {
			return fmt.Errorf("knowledge: SeedAnswers: %w", err)
		}
	}
	return s.DB.AnalyzeKnowledge(ctx)
}
