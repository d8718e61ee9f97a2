package app

import (
	"context"

	"github.com/parleyhq/parley/internal/report"
	"github.com/parleyhq/parley/internal/work"
)

// Lease names of the work that runs on one node at a time (besides each
// mailbox's, gateway.EmailLease).
const (
	LeaseRoutingSweep  = "inbox.routing-sweep"
	LeaseZaloTokens    = "gateway.zalo-tokens"
	LeaseWidgetReplies = "widget.replies"
	LeaseReports       = "report.projector"
	LeaseFlowTriggers  = "flow.triggers"
	LeaseFlowSchedule  = "flow.schedule"
)

// workers lists every background loop of a node, in one place. Those that
// must run once in the cluster are Leased: they run on the node that holds
// their lease and move to another within the lease's TTL when it dies.
// docs/ARCHITECTURE.md ("Durable work") says why each is where it is.
func (a *App) workers() []work.Worker {
	return []work.Worker{
		// Every node: each claims its own share of due jobs (SKIP LOCKED).
		{Name: "jobs", Run: a.Jobs.Run},
		// Every node: each serves its own agents' and visitors' streams.
		{Name: "live.hub", Run: a.Hub.Run},
		// Every node: a commit here kicks a drain here; the routing lock
		// keeps parallel drains within capacity.
		{Name: "inbox.routing", Run: loop(a.Inbox.RunRouting)},
		// Every node looks for email inboxes; each mailbox is read under
		// its own lease (gateway.EmailLease), so mailboxes spread over nodes.
		{Name: "gateway.email", Run: loop(a.Gateway.RunEmail)},
		// Every node: drops this node's caches when any node changes
		// what they hold (config.changed events).
		{Name: "live.changes", Run: loop(a.changes.Run)},
		// Every node: the presence of its own visitors' open streams.
		{Name: "widget.presence", Run: loop(a.Widget.RunPresence)},
		{Name: LeaseRoutingSweep, Leased: true, Run: loop(a.Inbox.SweepRouting)},
		{Name: LeaseZaloTokens, Leased: true, Run: loop(a.Gateway.KeepZaloTokens)},
		{Name: LeaseWidgetReplies, Leased: true, Run: a.Widget.Run},
		{Name: LeaseReports, Leased: true, Run: report.Projector(a.DB).Run},
		// Leased: starts workflow runs from the event log (each run is
		// keyed by its event, so a handover starts nothing twice).
		{Name: LeaseFlowTriggers, Leased: true, Run: func(ctx context.Context) error { return a.Flow.RunTriggers(ctx, a.Hub) }},
		// Leased: starts the runs of workflows on a schedule, one per period.
		{Name: LeaseFlowSchedule, Leased: true, Run: a.Flow.RunSchedule},
	}
}

// loop adapts a loop that runs until its context ends.
func loop(run func(ctx context.Context)) func(ctx context.Context) error {
	return func(ctx context.Context) error { run(ctx); return nil }
}
