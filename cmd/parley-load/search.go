package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// searchCmd measures message search over a large database. It seeds up to
// --messages conversations of one message each (contacts, assignees skewed
// over --agents agents), times the first search while the full-text index
// still has the seed's backlog (SQLite indexes in the background), waits
// for the backlog, then times every case --runs times and prints the
// median, p99 and worst. The searches call store.DB.Search, the function
// behind GET /api/v1/search, so the figures leave out only HTTP and JSON.
func searchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("parley-load search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "", "SQLite data dir (kept: a second run reuses the seeded messages)")
	databaseURL := fs.String("database-url", "", "a postgres:// URL")
	messages := fs.Int64("messages", 2_000_000, "messages to seed up to (one per conversation)")
	agents := fs.Int("agents", 40, "agents the seeded conversations are assigned to")
	runs := fs.Int("runs", 200, "runs of each search")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if *runs < 1 || *agents < 2 || *messages < 1000 {
		return fmt.Errorf("--runs must be at least 1, --agents at least 2 and --messages at least 1000")
	}
	db, err := openStore(ctx, *dataDir, *databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	ids, err := seedAgents(ctx, db, *agents)
	if err != nil {
		return err
	}
	have, err := db.CountConversations(ctx)
	if err != nil {
		return err
	}
	if have < *messages {
		if err := seedSearch(ctx, db, int(*messages-have), ids, stdout); err != nil {
			return err
		}
		// The seed's backlog is the "first search after a bulk load" case:
		// it must answer at once and say it may be incomplete.
		start := time.Now()
		page, err := db.Search(ctx, store.SearchFilter{Query: "refund"})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "first search after the seed: %s, %d results, incomplete=%v, %d messages waiting for the index\n",
			ms(time.Since(start)), len(page.Results), page.Incomplete, page.Pending)
	}
	start := time.Now()
	for {
		page, err := db.Search(ctx, store.SearchFilter{Query: "refund", Limit: 1})
		if err != nil {
			return err
		}
		if !page.Incomplete {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
		fmt.Fprintf(stdout, "waiting for the background indexer: %d messages left (%s)\n", page.Pending, time.Since(start).Round(time.Second))
	}
	cases, err := searchCases(ctx, db, ids)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%-44s %9s %9s %9s %8s\n", "search", "median", "p99", "max", "results")
	for _, c := range cases {
		var times []time.Duration
		var n int
		for i := range *runs + 1 {
			start := time.Now()
			page, err := db.Search(ctx, c.f)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			if i > 0 { // the first run warms the cache
				times = append(times, time.Since(start))
			}
			n = len(page.Results)
		}
		slices.Sort(times)
		fmt.Fprintf(stdout, "%-44s %9s %9s %9s %8d\n", c.name, ms(times[len(times)/2]), ms(times[len(times)*99/100]), ms(times[len(times)-1]), n)
	}
	return nil
}

type searchCase struct {
	name string
	f    store.SearchFilter
}

// searchCases are the corners: common and rare words, no match, a prefix,
// and filters from broad to one contact.
func searchCases(ctx context.Context, db *store.DB, agentIDs []int64) ([]searchCase, error) {
	inboxes, err := db.Inboxes(ctx)
	if err != nil {
		return nil, err
	}
	top, err := db.Conversations(ctx, parley.ConversationFilter{})
	if err != nil || len(top.Conversations) == 0 {
		return nil, fmt.Errorf("no conversations to search: %v", err)
	}
	newest := top.Conversations[0].ID
	// A contact near the middle of the table: one conversation, one message.
	c, err := db.Conversation(ctx, newest/2)
	if err != nil {
		return nil, err
	}
	week := time.Now().Add(-7 * 24 * time.Hour)
	last := agentIDs[len(agentIDs)-1]
	return []searchCase{
		{"refund (in ~8% of messages)", store.SearchFilter{Query: "refund"}},
		{"refund warranty", store.SearchFilter{Query: "refund warranty"}},
		{"refund warranty courier", store.SearchFilter{Query: "refund warranty courier"}},
		{"warr* (prefix)", store.SearchFilter{Query: "warr*"}},
		{"a word that matches nothing", store.SearchFilter{Query: "zzzunknownword"}},
		{"refund zzzunknownword", store.SearchFilter{Query: "refund zzzunknownword"}},
		{"refund, open conversations", store.SearchFilter{Query: "refund", Status: parley.StatusOpen}},
		{"refund, one inbox", store.SearchFilter{Query: "refund", InboxID: inboxes[0].ID}},
		{"refund, busiest agent", store.SearchFilter{Query: "refund", AssigneeID: agentIDs[0]}},
		{"refund, agent at the busy quarter", store.SearchFilter{Query: "refund", AssigneeID: agentIDs[len(agentIDs)/4]}},
		{"refund, agent in the middle", store.SearchFilter{Query: "refund", AssigneeID: agentIDs[len(agentIDs)/2]}},
		{"refund, agent at the quiet quarter", store.SearchFilter{Query: "refund", AssigneeID: agentIDs[3*len(agentIDs)/4]}},
		{"refund, quietest agent", store.SearchFilter{Query: "refund", AssigneeID: last}},
		{"refund warranty, quietest agent", store.SearchFilter{Query: "refund warranty", AssigneeID: last}},
		{"refund, quietest agent, open", store.SearchFilter{Query: "refund", AssigneeID: last, Status: parley.StatusOpen}},
		{"refund, one contact", store.SearchFilter{Query: "refund", ContactID: c.ContactID}},
		{"zzzunknownword, one contact", store.SearchFilter{Query: "zzzunknownword", ContactID: c.ContactID}},
		{"refund, last 7 days", store.SearchFilter{Query: "refund", From: week}},
		{"refund, a week a year ago", store.SearchFilter{Query: "refund", From: week.AddDate(-1, 0, 7), To: week.AddDate(-1, 0, 14)}},
		{"refund, page 2000 (before_id)", store.SearchFilter{Query: "refund", BeforeID: newest / 1000}},
	}, nil
}

// seedAgents returns the ids of n agents, creating them on an empty database.
func seedAgents(ctx context.Context, db *store.DB, n int) ([]int64, error) {
	have, err := db.Agents(ctx)
	if err != nil {
		return nil, err
	}
	if len(have) == 0 {
		err = db.Write(ctx, func(tx *store.Tx) error {
			for i := range n {
				a := parley.Agent{Email: "seed-agent-" + strconv.Itoa(i+1) + "@example.com", Name: "Seed agent " + strconv.Itoa(i+1), Role: parley.RoleAgent}
				if err := tx.CreateAgent(&a, "!"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if have, err = db.Agents(ctx); err != nil {
			return nil, err
		}
	}
	ids := make([]int64, len(have))
	for i, a := range have {
		ids[i] = a.ID
	}
	return ids, nil
}

func seedSearch(ctx context.Context, db *store.DB, n int, agentIDs []int64, w io.Writer) error {
	start, last := time.Now(), time.Now()
	_, err := db.Seed(ctx, store.SeedOptions{Conversations: n, AssigneeIDs: agentIDs, Seed: uint64(time.Now().UnixNano()),
		Progress: func(done int) {
			if time.Since(last) > 10*time.Second || done == n {
				last = time.Now()
				fmt.Fprintf(w, "seeded %d/%d messages (%.0f/s)\n", done, n, float64(done)/time.Since(start).Seconds())
			}
		}})
	return err
}
