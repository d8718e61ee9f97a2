package flow

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// fourSteps checks the stock, decides, makes a label and remembers it:
// two calls to the simulated shop (one a side effect with its
// idempotency key), a branch and a set.
const fourSteps = `
name: Four steps
trigger: {event: manual}
steps:
  - id: stock
    kind: http
    method: GET
    url: "{{ input.shop }}/inventory/BLENDER-1"
    keep: {available: available}
  - id: in_stock
    kind: if
    when: steps.stock.available > 0
    else: end
  - id: label
    kind: http
    method: POST
    url: "{{ input.shop }}/returns"
    body: {order_id: A1001, reason: damaged}
    keep: {id: return_id}
  - id: done
    kind: set
    values: {label: "{{ steps.label.id }}"}
`

// BenchmarkFourStepRuns: runs of a four-step workflow against the local
// simulated shop, started b.N at once and run by one job runner (8 at a
// time, as in Parley), from the first start to the last run's end.
//
//	go test ./internal/flow -run '^$' -bench FourStep -benchtime 2000x
//	PARLEY_TEST_POSTGRES_URL=… go test ./internal/flow -run '^$' -bench FourStep -benchtime 2000x
func BenchmarkFourStepRuns(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) { benchFourSteps(b, dialect) })
	}
}

func benchFourSteps(b *testing.B, dialect string) {
	{
		r := newRig(b, dialect)
		ctx := context.Background()
		w, err := r.engine.Save(ctx, fourSteps)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		start := time.Now()
		ids := make([]int64, b.N)
		for i := range b.N {
			run, _, err := r.engine.Start(ctx, w.ID, fmt.Sprintf("bench/%d", i), map[string]any{"shop": r.url}, nil)
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = run.ID
		}
		r.run(b)
		for _, id := range ids {
			for {
				run, err := r.db.FlowRun(ctx, id)
				if err != nil {
					b.Fatal(err)
				}
				if run.Status == "succeeded" {
					break
				}
				if run.Status != "running" {
					b.Fatalf("run %d: %+v", id, run)
				}
				time.Sleep(2 * time.Millisecond)
			}
		}
		el := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(b.N)/el.Seconds(), "runs/s")
		if c := r.shop.Counts(); c.Labels != b.N {
			b.Fatalf("%d labels for %d runs", c.Labels, b.N)
		}
	}
}

// BenchmarkTriggerLatency: from the commit of a customer's message to the
// commit of the run it starts, through the hub's wake-up and the trigger
// consumer, one message at a time. Reports the median and p99.
//
//	go test ./internal/flow -run '^$' -bench TriggerLatency -benchtime 300x
func BenchmarkTriggerLatency(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) { benchTriggerLatency(b, dialect) })
	}
}

func benchTriggerLatency(b *testing.B, dialect string) {
	{
		r := newRig(b, dialect)
		ctx := context.Background()
		if _, err := r.engine.Save(ctx, "name: On any message\ntrigger: {event: message.created}\nsteps:\n  - id: s\n    kind: set\n    values: {x: \"1\"}\n"); err != nil {
			b.Fatal(err)
		}
		hub := live.NewHub(r.db)
		hctx, stop := context.WithCancel(ctx)
		done := make(chan struct{}, 2)
		go func() { hub.Run(hctx); done <- struct{}{} }()
		go func() { r.engine.RunTriggers(hctx, hub); done <- struct{}{} }()
		defer func() { stop(); <-done; <-done }()
		time.Sleep(200 * time.Millisecond) // the consumer's first look puts its cursor at the end
		svc := r.engine.Inbox
		in, err := svc.CreateInbox(ctx, inbox.System, parley.Inbox{Name: "B", ChannelType: parley.ChannelAPI}, nil)
		if err != nil {
			b.Fatal(err)
		}
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := range b.N {
			t0 := time.Now()
			got, err := svc.Receive(ctx, in.ID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: fmt.Sprint("c", i)}, Text: "hello"})
			if err != nil {
				b.Fatal(err)
			}
			for {
				runs, err := r.db.FlowRuns(ctx, store.FlowRunFilter{ConversationID: got.ConversationID, Limit: 1})
				if err != nil {
					b.Fatal(err)
				}
				if len(runs) == 1 {
					break
				}
				if time.Since(t0) > 10*time.Second {
					b.Fatal("no run started")
				}
				time.Sleep(200 * time.Microsecond)
			}
			lat = append(lat, time.Since(t0))
		}
		b.StopTimer()
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}
