package knowledge_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/assist"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// BenchmarkAssistDrafts is the target for the offline assistant:
// a conversation of 300 messages (customer and agent, over days), a
// knowledge base of 10,000 articles and 100,000 learned answers; each
// iteration the customer writes once more and the agent asks for the
// summary and three drafts (so the summary is recomputed every time, as
// after any new message). Reports p50/p95/p99 of that whole request:
// loading the conversation, summarising, retrieving, drafting, recording.
//
//	go test ./internal/knowledge/ -run '^$' -bench AssistDrafts -benchtime 100x
func BenchmarkAssistDrafts(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		s := seedKnowledge(b, dialect, envInt("PARLEY_BENCH_ARTICLES", 10000), envInt("PARLEY_BENCH_ANSWERS", 100000))
		in := &inbox.Service{DB: s.DB, Box: s.DB.Secrets}
		ib, err := in.CreateInbox(bg, inbox.System, parley.Inbox{Name: "Bench", ChannelType: parley.ChannelAPI}, nil)
		if err != nil {
			b.Fatal(err)
		}
		agent, _, err := in.CreateAgent(bg, inbox.System, parley.Agent{Name: "Bo", Email: "bo@example.com", Role: parley.RoleAgent}, "a long password 1")
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		key := store.ContactKey{Kind: parley.IdentityExternal, ExternalID: "bench-customer", Name: "Ana Diaz"}
		var conv int64
		for i := range 300 {
			topic := benchTopics[i%len(benchTopics)]
			if i%3 != 2 {
				r, err := in.Receive(bg, ib.ID, inbox.Incoming{Contact: key, Text: fmt.Sprintf("About order #%d: %s?", 40000+i, benchText(rng, topic, 25))})
				if err != nil {
					b.Fatal(err)
				}
				conv = r.ConversationID
				continue
			}
			if _, err := in.Reply(bg, inbox.Actor{AgentID: &agent.ID, Role: parley.RoleAgent}, conv,
				inbox.Outgoing{Text: "Hello Ana, " + benchText(rng, topic, 40) + ". I will email you tomorrow."}); err != nil {
				b.Fatal(err)
			}
		}
		svc := &assist.Service{DB: s.DB, Knowledge: s}
		b.Run(dialect, func(b *testing.B) {
			qs := benchQuestions()
			lat := make([]time.Duration, 0, b.N)
			for i := range b.N {
				b.StopTimer()
				if _, err := in.Receive(bg, ib.ID, inbox.Incoming{Contact: key, Text: qs[i%len(qs)]}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				t0 := time.Now()
				set, err := svc.MakeDrafts(bg, &agent.ID, conv)
				lat = append(lat, time.Since(t0))
				if err != nil || len(set.Drafts.Drafts) == 0 {
					b.Fatalf("drafts: %+v, %v", set, err)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}
