package blob

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

func TestFS(t *testing.T) {
	fs, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 100)...)
	info, err := fs.Put(bytes.NewReader(png), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if info.ContentType != "image/png" || info.Size != int64(len(png)) || !ValidSHA(info.SHA256) {
		t.Fatalf("info = %+v", info)
	}
	again, err := fs.Put(bytes.NewReader(png), 1000)
	if err != nil || again != info {
		t.Fatalf("second put = %+v, %v; want the same blob", again, err)
	}
	r, err := fs.Open(info.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, png) {
		t.Fatal("read back different bytes")
	}

	t.Run("TooLarge", func(t *testing.T) {
		_, err := fs.Put(strings.NewReader(strings.Repeat("x", 1001)), 1000)
		if parley.ErrorCode(err) != parley.ETOOLARGE {
			t.Fatalf("err = %v, want too_large", err)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		if _, err := fs.Put(strings.NewReader(""), 1000); parley.ErrorCode(err) != parley.EINVALID {
			t.Fatalf("err = %v, want invalid", err)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		for _, sha := range []string{"../../etc/passwd", strings.Repeat("a", 64)} {
			if _, err := fs.Open(sha); parley.ErrorCode(err) != parley.ENOTFOUND {
				t.Fatalf("Open(%q) err = %v, want not_found", sha, err)
			}
		}
	})
}
