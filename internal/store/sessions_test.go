package store_test

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func mustAgent(t *testing.T, db *store.DB, email string, role parley.Role) parley.Agent {
	t.Helper()
	a := parley.Agent{Email: email, Name: "Agent " + email, Role: role}
	mustWrite(t, db, func(tx *store.Tx) error { return tx.CreateAgent(&a, "hash-"+email) })
	return a
}

func TestSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		a := mustAgent(t, db, "a@example.com", parley.RoleAgent)
		s := store.Session{AgentID: a.ID, CSRFToken: "csrf", UserAgent: "ua", ExpiresAt: now.Add(time.Hour)}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.CreateSession(&s, "h1") })
		got, agent, err := db.SessionByHash(ctx, "h1")
		if err != nil || got.ID != s.ID || got.CSRFToken != "csrf" || !got.ExpiresAt.Equal(s.ExpiresAt) || agent.ID != a.ID || !agent.Active {
			t.Fatalf("SessionByHash = %+v %+v %v", got, agent, err)
		}
		if _, _, err := db.SessionByHash(ctx, "nope"); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("unknown hash: %v", err)
		}
		later := now.Add(48 * time.Hour)
		mustWrite(t, db, func(tx *store.Tx) error { return tx.RenewSession(s.ID, later) })
		got, _, _ = db.SessionByHash(ctx, "h1")
		if !got.ExpiresAt.Equal(later) {
			t.Errorf("renew: expires %v", got.ExpiresAt)
		}
		s2 := store.Session{AgentID: a.ID, CSRFToken: "c2", ExpiresAt: now.Add(-time.Minute)}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.CreateSession(&s2, "h2") })
		mustWrite(t, db, func(tx *store.Tx) error { return tx.DeleteExpiredSessions() })
		if _, _, err := db.SessionByHash(ctx, "h2"); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("expired session kept: %v", err)
		}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.DeleteAgentSessions(a.ID, 0) })
		if _, _, err := db.SessionByHash(ctx, "h1"); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("agent's sessions kept: %v", err)
		}
	})
}

func TestAgentAdminAndPresence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		owner := mustAgent(t, db, "o@example.com", parley.RoleOwner)
		a := mustAgent(t, db, "a@example.com", parley.RoleAgent)
		mustWrite(t, db, func(tx *store.Tx) error { return tx.SetAgentPassword(a.ID, "newhash") })
		if h, err := db.AgentPasswordHash(ctx, a.ID); err != nil || h != "newhash" {
			t.Errorf("password = %q, %v", h, err)
		}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.SetAgentRole(a.ID, parley.RoleAdmin) })
		mustWrite(t, db, func(tx *store.Tx) error { return tx.SetAgentActive(a.ID, false) })
		got, _ := db.Agent(ctx, a.ID)
		if got.Role != parley.RoleAdmin || got.Active {
			t.Errorf("agent = %+v", got)
		}
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.SetAgentRole(999, parley.RoleAgent) }); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("unknown agent: %v", err)
		}
		var owners int
		mustWrite(t, db, func(tx *store.Tx) (err error) { owners, err = tx.CountActiveOwners(); return err })
		if owners != 1 {
			t.Errorf("owners = %d", owners)
		}
		// Presence: only active agents seen since the cut-off count.
		mustWrite(t, db, func(tx *store.Tx) error { return tx.TouchAgent(owner.ID) })
		mustWrite(t, db, func(tx *store.Tx) error { return tx.TouchAgent(a.ID) })
		if n, err := db.AgentsOnline(ctx, now.Add(-time.Minute)); err != nil || n != 1 {
			t.Errorf("online = %d, %v (the deactivated agent must not count)", n, err)
		}
		if n, _ := db.AgentsOnline(ctx, now.Add(time.Minute)); n != 0 {
			t.Errorf("online after the cut-off = %d", n)
		}
		seen, err := db.AgentsLastSeen(ctx)
		if err != nil || !seen[owner.ID].Equal(now) {
			t.Errorf("last seen = %v, %v", seen, err)
		}
	})
}

func TestCanned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		c := store.CannedResponse{Shortcut: "/Thanks", Title: "Thanks", Body: "Thanks {{contact.name}}"}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.CreateCanned(&c) })
		if c.Shortcut != "thanks" {
			t.Errorf("shortcut = %q", c.Shortcut)
		}
		dup := store.CannedResponse{Shortcut: "thanks", Title: "x", Body: "y"}
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateCanned(&dup) }); parley.ErrorCode(err) != parley.ECONFLICT {
			t.Errorf("duplicate: %v", err)
		}
		for _, bad := range []store.CannedResponse{{Shortcut: "a b", Title: "t", Body: "b"}, {Shortcut: "ok", Body: "b"}, {Shortcut: "ok", Title: "t", Body: " "}} {
			if err := db.Write(ctx, func(tx *store.Tx) error { return tx.CreateCanned(&bad) }); parley.ErrorCode(err) != parley.EINVALID {
				t.Errorf("%+v: %v", bad, err)
			}
		}
		c.Title = "Thank you"
		mustWrite(t, db, func(tx *store.Tx) error { return tx.UpdateCanned(&c) })
		list, err := db.CannedResponses(ctx)
		if err != nil || len(list) != 1 || list[0].Title != "Thank you" {
			t.Fatalf("list = %+v, %v", list, err)
		}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.DeleteCanned(c.ID) })
		if _, err := db.Canned(ctx, c.ID); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("deleted: %v", err)
		}
		if err := db.Write(ctx, func(tx *store.Tx) error { return tx.DeleteCanned(c.ID) }); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("delete again: %v", err)
		}
	})
}

func TestViewsData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		in := mustInbox(t, db)
		a := mustAgent(t, db, "a@example.com", parley.RoleAgent)
		var ids []int64
		for i, st := range []parley.Status{parley.StatusOpen, parley.StatusOpen, parley.StatusPending, parley.StatusResolved} {
			c, _ := findOrCreate(t, db, in.ID, store.ContactKey{Kind: parley.IdentityExternal, ExternalID: string(rune('a' + i)), Name: "C"})
			conv := parley.Conversation{InboxID: in.ID, ContactID: c.ID, Status: st}
			if i == 0 {
				conv.AssigneeID = &a.ID
			}
			mustWrite(t, db, func(tx *store.Tx) error {
				if err := tx.CreateConversation(&conv, nil); err != nil {
					return err
				}
				if err := tx.SetLabels(conv.ID, []string{"vip"}); err != nil {
					return err
				}
				m := parley.Message{Direction: parley.Incoming, Text: "hello " + string(st)}
				if err := tx.CreateMessage(&conv, &m); err != nil {
					return err
				}
				n := parley.Message{Direction: parley.Note, Text: "internal"}
				return tx.CreateMessage(&conv, &n)
			})
			ids = append(ids, conv.ID)
		}
		v, err := db.ViewCounts(ctx, a.ID)
		if err != nil || v.Mine != 1 || v.Unassigned != 1 || v.Status("open") != 2 || v.Status("pending") != 1 || v.Status("resolved") != 1 {
			t.Errorf("counts = %+v, %v", v, err)
		}
		labels, err := db.Labels(ctx)
		if err != nil || len(labels) != 1 || labels[0].Count != 4 {
			t.Errorf("labels = %+v, %v", labels, err)
		}
		p, err := db.Previews(ctx, ids)
		if err != nil || p[ids[2]].Text != "hello pending" || p[ids[2]].Direction != parley.Incoming {
			t.Errorf("previews = %+v, %v (notes must not be the preview)", p, err)
		}
		cs, err := db.ContactsByID(ctx, []int64{1, 2})
		if err != nil || len(cs) != 2 || cs[1].Name != "C" {
			t.Errorf("contacts = %+v, %v", cs, err)
		}
		team := parley.Team{Name: "T"}
		mustWrite(t, db, func(tx *store.Tx) error {
			if err := tx.CreateTeam(&team); err != nil {
				return err
			}
			return tx.AddTeamMember(team.ID, a.ID)
		})
		m, _ := db.TeamMembers(ctx)
		if len(m[team.ID]) != 1 {
			t.Errorf("members = %v", m)
		}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.RemoveTeamMember(team.ID, a.ID) })
		if m, _ := db.TeamMembers(ctx); len(m[team.ID]) != 0 {
			t.Errorf("members after removal = %v", m)
		}
		tok := parley.APIToken{Name: "t", AgentID: &a.ID}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.CreateAPIToken(&tok, "th") })
		toks, err := db.APITokens(ctx)
		if err != nil || len(toks) != 1 || toks[0].Name != "t" || *toks[0].AgentID != a.ID {
			t.Errorf("tokens = %+v, %v", toks, err)
		}
	})
}
