package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/report"
	"github.com/parleyhq/parley/internal/store"
)

// reportCmd measures how long reports take over many conversations. It
// seeds the fact tables once (report.SeedFacts: synthetic conversations
// spread over --days, as the projector would store them), then times
// report.Build — the path of GET /api/v1/reports and the reports page —
// for several periods and filters, --runs times each, and prints medians.
func reportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("parley-load report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "", "SQLite data dir (kept: a second run reuses the seeded facts)")
	databaseURL := fs.String("database-url", "", "a postgres:// URL")
	conversations := fs.Int("conversations", 1_000_000, "conversations to seed")
	days := fs.Int("days", 90, "days the conversations are spread over (ending now)")
	runs := fs.Int("runs", 5, "runs of each report")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	db, err := openStore(ctx, *dataDir, *databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	inboxes, err := db.Inboxes(ctx)
	if err != nil {
		return err
	}
	var now time.Time
	if len(inboxes) == 0 {
		if now, err = seedReport(ctx, db, *conversations, *days, stdout); err != nil {
			return err
		}
		if inboxes, err = db.Inboxes(ctx); err != nil {
			return err
		}
	} else {
		// The seed's "now" is stored as the report cursor's time.
		_, now, err = db.ReportCursor(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "reusing the facts seeded up to %s\n", now.Format(time.RFC3339))
	}
	db.Now = func() time.Time { return now }
	agents, err := db.Agents(ctx)
	if err != nil {
		return err
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		return err
	}
	utcDay := func(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
	full := now.Add(-time.Duration(*days) * 24 * time.Hour)
	cases := []struct {
		name     string
		from, to time.Time
		loc      *time.Location
		f        report.Filter
	}{
		{"all days, UTC, unfiltered", full, now, time.UTC, report.Filter{}},
		{"all days, New York days", full, now, ny, report.Filter{}},
		{"previous period (the page's comparison)", full.Add(-now.Sub(full)), full, time.UTC, report.Filter{}},
		{"last 7 days", utcDay(now).Add(-7 * 24 * time.Hour), now, time.UTC, report.Filter{}},
		{"all days, one inbox", full, now, time.UTC, report.Filter{InboxIDs: []int64{inboxes[0].ID}}},
		{"all days, one channel", full, now, time.UTC, report.Filter{Channels: []parley.ChannelType{inboxes[1].ChannelType}}},
		{"all days, urgent", full, now, time.UTC, report.Filter{Priority: parley.PriorityUrgent}},
		{"all days, one agent", full, now, time.UTC, report.Filter{AgentID: agents[0].ID}},
		{"all days, label vip", full, now, time.UTC, report.Filter{Label: "vip"}},
	}
	fmt.Fprintf(stdout, "%-42s %10s %10s %10s  %s\n", "report", "median", "min", "max", "conversations (created, or listed)")
	for _, c := range cases {
		var times []time.Duration
		var rep report.Report
		for range *runs {
			start := time.Now()
			rep, err = report.Build(ctx, db, c.from, c.to, c.loc, c.f)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		fmt.Fprintf(stdout, "%-42s %10s %10s %10s  %d\n", c.name, ms(times[len(times)/2]), ms(times[0]), ms(times[len(times)-1]), rep.Volume.Total)
	}
	// The drill-down behind a card: the 500 slowest resolutions of the period.
	for _, d := range []report.Drill{report.DrillResolution, report.DrillCreated} {
		var times []time.Duration
		var total int
		for range *runs {
			start := time.Now()
			if _, total, err = report.DrillDown(ctx, db, full, now, report.Filter{}, d, 500); err != nil {
				return err
			}
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		fmt.Fprintf(stdout, "%-42s %10s %10s %10s  %d\n", "drill-down "+string(d)+", 500 of all days", ms(times[len(times)/2]), ms(times[0]), ms(times[len(times)-1]), total)
	}
	return nil
}

// seedReport creates inboxes of five channels, three teams and fifty
// agents, then n conversations' facts over days ending now.
func seedReport(ctx context.Context, db *store.DB, n, days int, w io.Writer) (time.Time, error) {
	now := time.Now().UTC().Truncate(time.Second)
	var o report.SeedOptions
	err := db.Write(ctx, func(tx *store.Tx) error {
		o = report.SeedOptions{}
		for i, ch := range []parley.ChannelType{parley.ChannelWhatsApp, parley.ChannelEmail, parley.ChannelWidget, parley.ChannelSMS, parley.ChannelAPI} {
			in := parley.Inbox{Name: fmt.Sprintf("%s %d", ch, i+1), ChannelType: ch}
			if err := tx.CreateInbox(&in, "", ""); err != nil {
				return err
			}
			o.Inboxes = append(o.Inboxes, in.ID)
		}
		for i := range 3 {
			t := parley.Team{Name: fmt.Sprintf("Team %d", i+1)}
			if err := tx.CreateTeam(&t); err != nil {
				return err
			}
			o.Teams = append(o.Teams, t.ID)
		}
		for i := range 50 {
			a := parley.Agent{Email: fmt.Sprintf("agent%d@example.com", i+1), Name: fmt.Sprintf("Agent %d", i+1), Role: parley.RoleAgent}
			if err := tx.CreateAgent(&a, ""); err != nil {
				return err
			}
			o.Agents = append(o.Agents, a.ID)
		}
		return nil
	})
	if err != nil {
		return now, err
	}
	o.Conversations, o.Days, o.End, o.Seed = n, days, now, 1
	start := time.Now()
	last := start
	o.Progress = func(done int) {
		if time.Since(last) > 5*time.Second || done == n {
			last = time.Now()
			fmt.Fprintf(w, "seeded the facts of %d/%d conversations (%.0f/s)\n", done, n, float64(done)/time.Since(start).Seconds())
		}
	}
	if err := report.SeedFacts(ctx, db, o); err != nil {
		return now, err
	}
	// Mark the log as projected (it is empty) and remember the seed's now.
	db.Now = func() time.Time { return now }
	err = db.Write(ctx, func(tx *store.Tx) error { return tx.ApplyProjection(store.Projection{}) })
	fmt.Fprintf(w, "seeded in %.0fs\n", time.Since(start).Seconds())
	return now, err
}
