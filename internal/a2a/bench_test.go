package a2a_test

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/a2aproject/a2a-go/v2/a2a"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/parley"
)

// BenchmarkSendMessage is the A2A SendMessage round trip on loopback,
// through the official client and Parley's real server (token check,
// JSON-RPC, the message stored in its conversation, the task read back
// with its state, the audit row): each call adds a message to a task, as
// an agent keeping a customer's conversation going does, and every 20th
// opens a new task. Reported: p50 and p99 of the round trip.
// PARLEY_BENCH_DB=postgres runs it on PostgreSQL.
func BenchmarkSendMessage(b *testing.B) {
	dialect := "sqlite"
	if os.Getenv("PARLEY_BENCH_DB") == "postgres" {
		dialect = "postgres"
	}
	e := apptest.Start(b, dialect, nil)
	_, secret := token(b, e, "bench", parley.ScopeAgent)
	c := client(b, e, secret)
	lat := make([]time.Duration, 0, b.N)
	var task a2a.TaskID
	b.ResetTimer()
	for i := range b.N {
		if i%20 == 0 {
			task = ""
		}
		began := time.Now()
		res, err := c.SendMessage(ctx, say(fmt.Sprintf("Message %d about order A1001", i), fmt.Sprintf("bench-%d", i), task))
		lat = append(lat, time.Since(began))
		if err != nil {
			b.Fatal(err)
		}
		task = res.(*a2a.Task).ID
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
