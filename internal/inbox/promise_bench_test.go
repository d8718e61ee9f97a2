package inbox_test

import (
	"os"
	"testing"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// BenchmarkExpectedReply: the cost of one fresh estimate (the reuse window
// is stepped over on every iteration) over 100,000 conversations spread
// across two inboxes, with one agent online and auto-assign on. Runs on
// PostgreSQL too when PARLEY_TEST_POSTGRES_URL is set.
func BenchmarkExpectedReply(b *testing.B) {
	dialects := []string{"sqlite"}
	if os.Getenv(storetest.PostgresEnv) != "" {
		dialects = append(dialects, "postgres")
	}
	for _, d := range dialects {
		b.Run(d, func(b *testing.B) {
			f := setupTB(b, d)
			other, err := f.svc.CreateInbox(bg, inbox.System, parley.Inbox{Name: "Other", ChannelType: parley.ChannelAPI}, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.svc.DB.Seed(bg, store.SeedOptions{Conversations: 100_000, InboxIDs: []int64{f.inbox.ID, other.ID}}); err != nil {
				b.Fatal(err)
			}
			f.inbox.Routing.AutoAssign = true
			if _, err := f.svc.UpdateInbox(bg, inbox.System, f.inbox, nil); err != nil {
				b.Fatal(err)
			}
			a, _, err := f.svc.CreateAgent(bg, inbox.System, parley.Agent{Email: "maya@example.com", Name: "Maya", Role: parley.RoleAgent}, "a long enough password")
			if err != nil {
				b.Fatal(err)
			}
			if err := f.svc.SetAvailability(bg, inbox.System, a.ID, parley.Online, "bench"); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				f.clock.Add(inbox.ExpectedTTL)
				if _, err := f.svc.ExpectedReply(bg, f.inbox.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
