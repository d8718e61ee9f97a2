package blob_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestDB: the database store keeps the Store contract of the file store:
// content addressing, limits, seeking, serving ranges, and removal that
// spares bytes put again since.
func TestDB(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		s := &blob.DB{Store: db, ChunkSize: 1000, TempDir: t.TempDir()}
		data := make([]byte, 4500) // 5 chunks, the last half full
		rand.Read(data)
		copy(data, "%PDF-1.7\n")
		info, err := s.Put(bytes.NewReader(data), 10_000)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size != 4500 || info.ContentType != "application/pdf" || !blob.ValidSHA(info.SHA256) {
			t.Fatalf("info = %+v", info)
		}
		if again, err := s.Put(bytes.NewReader(data), 10_000); err != nil || again != info {
			t.Fatalf("second put = %+v, %v", again, err)
		}
		if _, n, _, _ := db.BlobStats(t.Context()); n != 5 {
			t.Errorf("%d chunks stored for one 4,500-byte blob in chunks of 1,000", n)
		}
		f, err := s.Open(info.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(f)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read %d bytes, %v", len(got), err)
		}
		// Seek into the middle of a chunk, across a chunk boundary.
		if pos, err := f.Seek(1990, io.SeekStart); err != nil || pos != 1990 {
			t.Fatal(pos, err)
		}
		part := make([]byte, 20)
		if _, err := io.ReadFull(f, part); err != nil || !bytes.Equal(part, data[1990:2010]) {
			t.Fatalf("read across a boundary: %v", err)
		}
		if end, _ := f.Seek(0, io.SeekEnd); end != 4500 {
			t.Errorf("end at %d", end)
		}
		f.Close()

		// Served with a range, as a video player asks.
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/f", nil)
		req.Header.Set("Range", "bytes=2999-3001")
		if err := blob.Serve(rec, req, s, parley.Attachment{SHA256: info.SHA256, ContentType: info.ContentType, Filename: "a.pdf"}, false); err != nil {
			t.Fatal(err)
		}
		if rec.Code != http.StatusPartialContent || !bytes.Equal(rec.Body.Bytes(), data[2999:3002]) {
			t.Fatalf("range answer %d, %q", rec.Code, rec.Body.Bytes())
		}

		if _, err := s.Put(bytes.NewReader(data), 4499); parley.ErrorCode(err) != parley.ETOOLARGE {
			t.Errorf("over the limit: %v", err)
		}
		if _, err := s.Put(bytes.NewReader(nil), 10); parley.ErrorCode(err) != parley.EINVALID {
			t.Errorf("empty: %v", err)
		}
		if _, err := s.Open("0000000000000000000000000000000000000000000000000000000000000000"); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("unknown hash: %v", err)
		}
		if _, err := s.Open("../../etc/passwd"); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Errorf("not a hash: %v", err)
		}

		// Removal spares a blob put again after the caller's cutoff.
		cutoff := db.Now().Add(-time.Minute)
		if err := s.Remove(info.SHA256, cutoff); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(info.SHA256); err != nil {
			t.Fatalf("a blob written after the cutoff was removed: %v", err)
		}
		if err := s.Remove(info.SHA256, db.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(info.SHA256); parley.ErrorCode(err) != parley.ENOTFOUND {
			t.Fatalf("removed blob opens: %v", err)
		}
		if _, n, _, _ := db.BlobStats(t.Context()); n != 0 {
			t.Errorf("%d chunks left after removal", n)
		}
	})
}

// TestDBLegacy: a blob that only the node's old directory has is still
// served (until `parley blobs import` copies it in), and Import copies
// every file in, once.
func TestDBLegacy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		db := storetest.Open(t, dialect)
		fs, err := blob.NewFS(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		old, err := fs.Put(bytes.NewReader([]byte("kept on one node's disk")), 100)
		if err != nil {
			t.Fatal(err)
		}
		s := &blob.DB{Store: db, Legacy: fs, TempDir: t.TempDir()}
		f, err := s.Open(old.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(f)
		f.Close()
		if string(got) != "kept on one node's disk" {
			t.Fatalf("legacy read %q", got)
		}
		for range 2 { // a second run finds everything in already
			if _, err := blob.Import(s, fs); err != nil {
				t.Fatal(err)
			}
		}
		if n, _, _, _ := db.BlobStats(t.Context()); n != 1 {
			t.Fatalf("%d blobs imported", n)
		}
		// Now readable without the old directory, as another node reads it.
		other := &blob.DB{Store: db, TempDir: t.TempDir()}
		f, err = other.Open(old.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		got, _ = io.ReadAll(f)
		if string(got) != "kept on one node's disk" {
			t.Fatalf("imported read %q", got)
		}
	})
}

// BenchmarkDB measures a round trip of one attachment through the
// database store: Put (spool, then chunks in one transaction) and a whole
// read. sizes: a 100 KB image, a 5 MB document.
func BenchmarkDB(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		for _, size := range []int{100 << 10, 5 << 20} {
			b.Run(dialect+"/"+sizeName(size), func(b *testing.B) {
				db := storetest.Open(b, dialect)
				s := &blob.DB{Store: db, TempDir: b.TempDir()}
				data := make([]byte, size)
				b.SetBytes(int64(size))
				b.Run("put", func(b *testing.B) {
					for b.Loop() {
						rand.Read(data[:64]) // new bytes each time: no dedupe
						if _, err := s.Put(bytes.NewReader(data), int64(size)); err != nil {
							b.Fatal(err)
						}
					}
				})
				info, err := s.Put(bytes.NewReader(data), int64(size))
				if err != nil {
					b.Fatal(err)
				}
				b.Run("read", func(b *testing.B) {
					for b.Loop() {
						f, err := s.Open(info.SHA256)
						if err != nil {
							b.Fatal(err)
						}
						if n, err := io.Copy(io.Discard, f); err != nil || n != int64(size) {
							b.Fatal(n, err)
						}
						f.Close()
					}
				})
			})
		}
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return strconv.Itoa(n>>20) + "MB"
	}
	return strconv.Itoa(n>>10) + "KB"
}

// BenchmarkFS is BenchmarkDB's baseline: the same files through the file
// store that SQLite deployments use.
func BenchmarkFS(b *testing.B) {
	for _, size := range []int{100 << 10, 5 << 20} {
		b.Run(sizeName(size), func(b *testing.B) {
			s, err := blob.NewFS(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			data := make([]byte, size)
			b.SetBytes(int64(size))
			b.Run("put", func(b *testing.B) {
				for b.Loop() {
					rand.Read(data[:64])
					if _, err := s.Put(bytes.NewReader(data), int64(size)); err != nil {
						b.Fatal(err)
					}
				}
			})
			info, _ := s.Put(bytes.NewReader(data), int64(size))
			b.Run("read", func(b *testing.B) {
				for b.Loop() {
					f, err := s.Open(info.SHA256)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, f)
					f.Close()
				}
			})
		})
	}
}
