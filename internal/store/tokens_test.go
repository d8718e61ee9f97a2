package store_test

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestAPITokens: scope and expiry round-trip, revocation is recorded once,
// and last use is written at most once a minute.
func TestAPITokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
		db.Now = func() time.Time { return now }
		a := mustAgent(t, db, "t@example.com", parley.RoleAgent)

		expires := now.Add(30 * 24 * time.Hour).Add(123 * time.Nanosecond) // stored to the microsecond
		read := parley.APIToken{Name: "dashboard", AgentID: &a.ID, Scope: parley.ScopeRead, ExpiresAt: &expires}
		full := parley.APIToken{Name: "legacy"} // no scope given: full
		mustWrite(t, db, func(tx *store.Tx) error {
			if err := tx.CreateAPIToken(&read, "hash-read"); err != nil {
				return err
			}
			return tx.CreateAPIToken(&full, "hash-full")
		})
		got, err := db.APITokenByHash(ctx, "hash-read")
		if err != nil || got.ID != read.ID || got.Scope != parley.ScopeRead || got.ExpiresAt == nil ||
			!got.ExpiresAt.Equal(*read.ExpiresAt) || got.RevokedAt != nil || got.LastUsedAt != nil || *got.AgentID != a.ID {
			t.Fatalf("APITokenByHash = %+v, %v (created %+v)", got, err, read)
		}
		if !got.Usable(now) || got.Usable(expires) {
			t.Errorf("usable now %v, at expiry %v", got.Usable(now), got.Usable(expires))
		}
		if got, _ := db.APITokenByHash(ctx, "hash-full"); got.Scope != parley.ScopeFull || got.ExpiresAt != nil {
			t.Errorf("token without scope or expiry = %+v", got)
		}
		if _, err := db.APITokenByHash(ctx, "nope"); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("unknown hash: %v", err)
		}

		// Revoke: once, and the first time stays.
		var rev parley.APIToken
		mustWrite(t, db, func(tx *store.Tx) (err error) { rev, err = tx.RevokeAPIToken(read.ID); return err })
		if rev.RevokedAt == nil || !rev.RevokedAt.Equal(now) || rev.Usable(now) || rev.Status(now) != "revoked" {
			t.Fatalf("revoked = %+v", rev)
		}
		first := now
		now = now.Add(time.Hour)
		mustWrite(t, db, func(tx *store.Tx) (err error) { rev, err = tx.RevokeAPIToken(read.ID); return err })
		if !rev.RevokedAt.Equal(first) {
			t.Errorf("second revoke moved revoked_at to %v", rev.RevokedAt)
		}
		if got, _ := db.APITokenByHash(ctx, "hash-read"); got.RevokedAt == nil || got.Usable(now) {
			t.Errorf("revoked token by hash = %+v", got)
		}
		err = db.Write(ctx, func(tx *store.Tx) error { _, err := tx.RevokeAPIToken(999999); return err })
		if parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("revoke unknown: %v", err)
		}
		if got, _ := db.APIToken(ctx, full.ID); got.RevokedAt != nil || got.Name != "legacy" {
			t.Errorf("the other token changed: %+v", got)
		}

		// Last use: recorded, then not again within a minute.
		touch := func() *time.Time {
			mustWrite(t, db, func(tx *store.Tx) error { return tx.TouchAPIToken(full.ID) })
			got, _ := db.APIToken(ctx, full.ID)
			return got.LastUsedAt
		}
		used := now
		if u := touch(); u == nil || !u.Equal(used) {
			t.Fatalf("last used = %v, want %v", u, used)
		}
		now = now.Add(30 * time.Second)
		if u := touch(); !u.Equal(used) {
			t.Errorf("touched again within a minute: %v", u)
		}
		now = now.Add(31 * time.Second)
		if u := touch(); !u.Equal(now) {
			t.Errorf("after a minute, last used = %v, want %v", u, now)
		}

		list, err := db.APITokens(ctx)
		if err != nil || len(list) != 2 || list[0].ID != full.ID || list[1].Scope != parley.ScopeRead || list[1].RevokedAt == nil {
			t.Errorf("APITokens = %+v, %v", list, err)
		}
	})
}
