package report_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/report"
)

// BenchmarkCompute replays synthetic conversations (created, a customer
// message, an agent reply, a resolution; one in ten reopened and resolved
// again) to measure the engine alone, without the database: the baseline
// for the 1,000,000-conversation report target.
func BenchmarkCompute(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("conversations=%d", n), func(b *testing.B) {
			var l events
			convs := map[int64]report.ConvInfo{}
			start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
			step := 7 * 24 * time.Hour / time.Duration(n)
			for i := range n {
				id := int64(i + 1)
				at := start.Add(time.Duration(i) * step)
				l.created(id, at)
				l.customer(id, at)
				l.assign(id, at.Add(time.Minute), int64(i%20+1))
				l.reply(id, at.Add(20*time.Minute), int64(i%20+1))
				l.status(id, at.Add(2*time.Hour), parley.StatusOpen, parley.StatusResolved, "agent")
				if i%10 == 0 {
					l.status(id, at.Add(3*time.Hour), parley.StatusResolved, parley.StatusOpen, "customer_message")
					l.status(id, at.Add(4*time.Hour), parley.StatusOpen, parley.StatusResolved, "agent")
				}
				convs[id] = report.ConvInfo{InboxID: int64(i%3 + 1), Channel: parley.ChannelAPI}
			}
			in := report.Input{Events: l.list, Conversations: convs}
			from, to := start, start.Add(8*24*time.Hour)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				r := report.Compute(in, from, to, report.Filter{})
				if r.Volume.Total != n {
					b.Fatalf("volume %d, want %d", r.Volume.Total, n)
				}
			}
			b.ReportMetric(float64(len(l.list)), "events")
		})
	}
}
