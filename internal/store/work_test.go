package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func TestLeases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		clock := newClock()
		db.Now = clock.Now
		acquire := func(holder string) (l store.Lease, ok bool) {
			mustWrite(t, db, func(tx *store.Tx) (err error) { l, ok, err = tx.AcquireLease("x", holder, 10*time.Second); return err })
			return l, ok
		}
		renew := func(l store.Lease) (ok bool) {
			mustWrite(t, db, func(tx *store.Tx) (err error) { _, ok, err = tx.RenewLease(l, 10*time.Second); return err })
			return ok
		}
		holds := func(l store.Lease) (ok bool) {
			mustWrite(t, db, func(tx *store.Tx) (err error) { ok, err = tx.HoldsLease(l); return err })
			return ok
		}
		if _, err := db.Lease(ctx, "x"); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("a lease nobody took: %v", err)
		}
		a, ok := acquire("A")
		if !ok || a.Holder != "A" || a.Token != 1 || !a.ExpiresAt.Equal(clock.Now().Add(10*time.Second)) {
			t.Fatalf("A takes a free lease: %+v %v", a, ok)
		}
		if b, ok := acquire("B"); ok || b.Holder != "A" || !b.ExpiresAt.Equal(a.ExpiresAt) {
			t.Fatalf("B takes A's live lease: %+v %v", b, ok)
		}
		clock.Add(8 * time.Second)
		if !renew(a) || !holds(a) {
			t.Fatal("A cannot renew or hold its own lease")
		}
		clock.Add(8 * time.Second) // 16 s: alive only because A renewed at 8
		if _, ok := acquire("B"); ok {
			t.Fatal("B took a lease A renewed")
		}
		clock.Add(3 * time.Second) // 19 s: expired at 18
		if holds(a) {
			t.Fatal("an expired lease still fences A's writes")
		}
		b, ok := acquire("B")
		if !ok || b.Token != 2 {
			t.Fatalf("B takes an expired lease: %+v %v", b, ok)
		}
		if renew(a) || holds(a) {
			t.Fatal("A renews or holds a lease B took")
		}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.ReleaseLease(a) }) // stale: changes nothing
		if got, _ := db.Lease(ctx, "x"); got.Holder != "B" || got.Token != 2 {
			t.Fatalf("A's stale release changed B's lease: %+v", got)
		}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.ReleaseLease(b) })
		if a2, ok := acquire("A"); !ok || a2.Token != 3 {
			t.Fatalf("A takes a released lease at once, with a new token: %+v %v", a2, ok)
		}
		err := db.Write(ctx, func(tx *store.Tx) error { return tx.ClearLeases() })
		if dialect == "sqlite" {
			if err != nil {
				t.Fatal(err)
			}
			if b2, ok := acquire("B"); !ok || b2.Token != 4 {
				t.Fatalf("after ClearLeases: %+v %v", b2, ok)
			}
		} else if err == nil {
			t.Fatal("ClearLeases on PostgreSQL, where other processes hold leases")
		}
		err = db.Write(ctx, func(tx *store.Tx) error { _, _, err := tx.AcquireLease("", "A", time.Second); return err })
		if err == nil {
			t.Fatal("a lease without a name")
		}
	})
}

func TestEventCursors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		if seq, at, err := db.EventCursor(ctx, "c"); err != nil || seq != 0 || !at.IsZero() {
			t.Fatalf("a cursor never stored: %d %v %v", seq, at, err)
		}
		move := func(from, to int64) error {
			return db.Write(ctx, func(tx *store.Tx) error { return tx.MoveEventCursor("c", from, to) })
		}
		if err := move(0, 5); err != nil {
			t.Fatal(err)
		}
		if err := move(0, 7); !errors.Is(err, store.ErrCursorMoved) {
			t.Fatalf("a move from where the cursor no longer is: %v", err)
		}
		if err := move(5, 7); err != nil {
			t.Fatal(err)
		}
		if seq, at, _ := db.EventCursor(ctx, "c"); seq != 7 || at.IsZero() {
			t.Fatalf("cursor = %d at %v", seq, at)
		}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.SetEventCursor("c", 0) })
		if err := move(7, 9); !errors.Is(err, store.ErrCursorMoved) {
			t.Fatalf("a move after the cursor was sent back: %v", err)
		}
		// A failed transaction leaves the cursor where it was.
		boom := errors.New("boom")
		if err := db.Write(ctx, func(tx *store.Tx) error {
			if err := tx.MoveEventCursor("c", 0, 3); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if seq, _, _ := db.EventCursor(ctx, "c"); seq != 0 {
			t.Fatalf("a rolled-back move stuck: %d", seq)
		}
		// The report projector's cursor is one of these.
		mustWrite(t, db, func(tx *store.Tx) error { return tx.MoveEventCursor(store.ReportConsumer, 0, 4) })
		if seq, _, _ := db.ReportCursor(ctx); seq != 4 {
			t.Fatalf("report cursor = %d", seq)
		}
		mustWrite(t, db, func(tx *store.Tx) error { return tx.ReprojectReports() })
		if seq, _, _ := db.ReportCursor(ctx); seq != 0 {
			t.Fatalf("report cursor after ReprojectReports = %d", seq)
		}
	})
}
