package store_test

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestTakeRate: a burst is allowed whole, then one place per interval;
// a refusal says when the next place frees, and changes nothing.
func TestTakeRate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
		iv, burst := 100*time.Millisecond, 300*time.Millisecond // 10/s, bursts of 3
		take := func() (bool, time.Duration) {
			ok, retry, err := db.TakeRate(ctx, "k", now, iv, burst)
			if err != nil {
				t.Fatal(err)
			}
			return ok, retry
		}
		for i := range 3 {
			if ok, _ := take(); !ok {
				t.Fatalf("place %d of the burst refused", i+1)
			}
		}
		ok, retry := take()
		if ok || retry != iv {
			t.Fatalf("4th at once = %v, retry %v; want refused, retry %v", ok, retry, iv)
		}
		if ok, retry2 := take(); ok || retry2 != retry {
			t.Fatalf("a refusal changed the row: %v, %v", ok, retry2)
		}
		now = now.Add(iv)
		if ok, _ := take(); !ok {
			t.Fatal("refused after an interval")
		}
		if ok, _ := take(); ok {
			t.Fatal("two places after one interval")
		}
		now = now.Add(10 * time.Second) // idle: the bucket is full again, not fuller
		for i := range 3 {
			if ok, _ := take(); !ok {
				t.Fatalf("after idling, place %d refused", i+1)
			}
		}
		if ok, _ := take(); ok {
			t.Fatal("idling saved up more than the burst")
		}
		if _, _, err := db.TakeRate(ctx, "k", now, iv, iv/2); err == nil {
			t.Error("a burst under one interval was accepted")
		}
		if n, err := db.PruneLimits(ctx, now.Add(time.Hour)); err != nil || n != 1 {
			t.Errorf("PruneLimits = %d, %v", n, err)
		}
	})
}

// TestTakeRateConcurrent: many clients racing for one key's places get
// exactly the burst, never more.
func TestTakeRateConcurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
		var granted atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 5 {
					ok, _, err := db.TakeRate(ctx, "hot", now, time.Second, 10*time.Second)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						granted.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if granted.Load() != 10 {
			t.Errorf("40 racing takes of a burst of 10 granted %d", granted.Load())
		}
	})
}

// TestStrikes: failures count per key, start over once forgotten, and a
// cleared key has none.
func TestStrikes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
		for i := 1; i <= 3; i++ {
			got, err := db.AddStrikes(ctx, []string{"a", "b"}, now, time.Hour)
			if err != nil || got["a"].N != i || got["b"].N != i || !got["a"].Last.Equal(now) {
				t.Fatalf("strike %d = %+v, %v", i, got, err)
			}
			now = now.Add(time.Minute)
		}
		got, err := db.Strikes(ctx, []string{"a", "b", "c"}, now.Add(-time.Hour))
		if err != nil || len(got) != 2 || got["a"].N != 3 {
			t.Fatalf("Strikes = %+v, %v", got, err)
		}
		if err := db.ClearLimit(ctx, "b"); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Strikes(ctx, []string{"b"}, now.Add(-time.Hour)); len(got) != 0 {
			t.Errorf("cleared key still has %+v", got)
		}
		now = now.Add(2 * time.Hour)
		if got, _ := db.Strikes(ctx, []string{"a"}, now.Add(-time.Hour)); len(got) != 0 {
			t.Errorf("forgotten key still has %+v", got)
		}
		if got, _ := db.AddStrikes(ctx, []string{"a"}, now, time.Hour); got["a"].N != 1 {
			t.Errorf("a forgotten key starts at %d", got["a"].N)
		}
	})
}

// TestBlobChunks: a blob written in chunks reads back chunk by chunk;
// the same bytes put twice are kept once and marked written again;
// removal honours that mark.
func TestBlobChunks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
		data := bytes.Repeat([]byte("0123456789"), 25) // 250 bytes, 3 chunks of 100
		put := func(at time.Time) {
			w, err := db.CreateBlob(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			for off := 0; off < len(data); off += 100 {
				if err := w.WriteChunk(data[off:min(off+100, len(data))]); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Commit("sha-a", int64(len(data)), at); err != nil {
				t.Fatal(err)
			}
		}
		put(now)
		put(now.Add(time.Hour)) // again, later
		h, err := db.BlobHead(ctx, "sha-a")
		if err != nil || h.Size != 250 || h.ChunkSize != 100 || h.Chunks() != 3 {
			t.Fatalf("BlobHead = %+v, %v", h, err)
		}
		var got []byte
		for n := range h.Chunks() {
			c, err := db.BlobChunk(ctx, h.ContentID, n, nil)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, c...)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("read back %q", got)
		}
		if chunks, err := store.CountRows(db, "blob_chunks"); err != nil || chunks != 3 {
			t.Errorf("the second put left %d chunks (%v), want the first's 3", chunks, err)
		}
		// Decided unused before the second put: kept.
		if err := db.RemoveBlob(ctx, "sha-a", now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.BlobHead(ctx, "sha-a"); err != nil {
			t.Fatalf("a blob put again since was removed: %v", err)
		}
		if err := db.RemoveBlob(ctx, "sha-a", now.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.BlobHead(ctx, "sha-a"); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("removed blob: %v", err)
		}
		if _, err := db.BlobChunk(ctx, h.ContentID, 0, nil); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("removed blob's chunk: %v", err)
		}
		if err := db.RemoveBlob(ctx, "sha-a", now.Add(2*time.Hour)); err != nil {
			t.Fatalf("removing a missing blob: %v", err)
		}
		// An aborted write leaves nothing.
		w, _ := db.CreateBlob(ctx, 100)
		w.WriteChunk(data[:100])
		w.Abort()
		if chunks, err := store.CountRows(db, "blob_chunks"); err != nil || chunks != 0 {
			t.Errorf("%d chunks left (%v)", chunks, err)
		}
	})
}

// TestBlobRace: puts of the same bytes racing each other all succeed
// and keep one copy.
func TestBlobRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w, err := db.CreateBlob(ctx, 8)
				if err != nil {
					t.Error(err)
					return
				}
				if err := w.WriteChunk([]byte("same")); err != nil {
					t.Error(err)
					w.Abort()
					return
				}
				if err := w.Commit("sha-same", 4, now.Add(time.Duration(i))); err != nil {
					t.Error(fmt.Errorf("put %d: %w", i, err))
				}
			}()
		}
		wg.Wait()
		blobs, _ := store.CountRows(db, "blob_contents")
		chunks, _ := store.CountRows(db, "blob_chunks")
		if blobs != 1 || chunks != 1 {
			t.Errorf("%d blobs, %d chunks; want one of each", blobs, chunks)
		}
	})
}
