package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestClips: a canned response or an article keeps a clip only if the
// upload exists, reads it back, and the orphan cleanup spares the file
// while either still names it; removing the clip lets the cleanup take
// it. Both databases.
func TestClips(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		write := func(f func(tx *store.Tx) error) error { return db.Write(ctx, f) }
		shaCanned, shaArticle, shaLoose := strings.Repeat("a", 64), strings.Repeat("b", 64), strings.Repeat("c", 64)
		for _, sha := range []string{shaCanned, shaArticle, shaLoose} {
			if err := write(func(tx *store.Tx) error { return tx.RegisterUpload(sha, 10, "video/webm", 0) }); err != nil {
				t.Fatal(err)
			}
		}
		// A clip naming no upload is refused and stores nothing.
		ghost := store.CannedResponse{Shortcut: "ghost", Title: "G", Body: "b", Clip: &parley.Clip{UploadID: strings.Repeat("d", 64), Filename: "x.webm"}}
		if err := write(func(tx *store.Tx) error { return tx.CreateCanned(&ghost) }); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("a clip of nothing: %v", err)
		}
		bad := store.CannedResponse{Shortcut: "bad", Title: "B", Body: "b", Clip: &parley.Clip{UploadID: "../etc/passwd"}}
		if err := write(func(tx *store.Tx) error { return tx.CreateCanned(&bad) }); parley.ErrorCode(err) != parley.EINVALID {
			t.Fatalf("a clip id that is not one: %v", err)
		}
		c := store.CannedResponse{Shortcut: "reset", Title: "Reset", Body: "Here is how", Clip: &parley.Clip{UploadID: shaCanned, Filename: "how\x00to.webm"}}
		if err := write(func(tx *store.Tx) error { return tx.CreateCanned(&c) }); err != nil {
			t.Fatal(err)
		}
		got, err := db.Canned(ctx, c.ID)
		if err != nil || got.Clip == nil || got.Clip.UploadID != shaCanned || strings.ContainsRune(got.Clip.Filename, 0) || got.Clip.Filename == "" {
			t.Fatalf("canned read back: %+v %v", got.Clip, err)
		}
		a := parley.Article{Slug: "reset", Title: "Reset", Body: "b", Lang: "en", Status: parley.ArticlePublished, Clip: &parley.Clip{UploadID: shaArticle, Filename: "shot.png"}}
		if err := write(func(tx *store.Tx) error { return tx.CreateArticle(&a, "reset") }); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Article(ctx, a.ID); err != nil || got.Clip == nil || *got.Clip != *a.Clip {
			t.Fatalf("article read back: %+v %v", got.Clip, err)
		}
		orphans := func() []string {
			t.Helper()
			var shas []string
			if err := write(func(tx *store.Tx) (err error) {
				shas, err = tx.DeleteOrphanBlobs(time.Now().Add(48*time.Hour), 100)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return shas
		}
		if got := orphans(); len(got) != 1 || got[0] != shaLoose {
			t.Fatalf("the cleanup took %v, want only the loose upload", got)
		}
		// Without their clips, both files are orphans.
		c.Clip, a.Clip = nil, nil
		if err := write(func(tx *store.Tx) error { return tx.UpdateCanned(&c) }); err != nil {
			t.Fatal(err)
		}
		if err := write(func(tx *store.Tx) error { return tx.UpdateArticle(&a, "reset") }); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Canned(ctx, c.ID); got.Clip != nil {
			t.Fatalf("canned clip after removal: %+v", got.Clip)
		}
		if got := orphans(); len(got) != 2 {
			t.Fatalf("after removing the clips the cleanup took %v", got)
		}
	})
}
