// Package blob stores attachment bytes by their SHA-256, so the same file
// is kept once however often it is sent. Store is small on purpose: an
// S3-compatible implementation can stand beside FS later.
package blob

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Info describes a stored blob.
type Info struct {
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"` // sniffed from the first 512 bytes
}

// Store keeps blobs.
type Store interface {
	// Put reads r to the end and stores it. Returns ETOOLARGE (and stores
	// nothing) when r holds more than limit bytes, EINVALID when it is empty.
	Put(r io.Reader, limit int64) (Info, error)
	// Open returns the blob's bytes. Returns ENOTFOUND for an unknown hash.
	Open(sha string) (io.ReadSeekCloser, error)
	// Remove deletes the blob unless it was written at or after
	// writtenBefore: a file put again since (by an upload racing the
	// cleanup) is kept. A missing blob is not an error.
	Remove(sha string, writtenBefore time.Time) error
}

// FS stores blobs as files under a directory, fanned out by hash prefix.
type FS struct {
	Dir string
	// CreateTemp makes the file a Put writes to before renaming it into
	// place; nil means os.CreateTemp. Tests make writes fail through it
	// as a full disk would.
	CreateTemp func(dir, pattern string) (File, error)

	full fullState // full.go
}

// NewFS returns an FS rooted at dir, creating it if needed.
func NewFS(dir string) (*FS, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	return &FS{Dir: dir}, nil
}

// ValidSHA reports whether s is a lower-case hex SHA-256.
func ValidSHA(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

func (f *FS) path(sha string) string { return filepath.Join(f.Dir, sha[:2], sha[2:4], sha) }

// Put implements Store. The bytes go to a temporary file first and are
// renamed into place once complete, so a crash never leaves half a blob
// under a real hash.
func (f *FS) Put(r io.Reader, limit int64) (info Info, err error) {
	defer f.noteFull(&err)
	tmp, err := f.createTemp(f.Dir, "upload-*")
	if err != nil {
		return info, fmt.Errorf("blob: %w", err)
	}
	defer func() {
		tmp.Close()
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	sniff := &prefixWriter{max: 512}
	n, err := io.Copy(io.MultiWriter(tmp, h, sniff), io.LimitReader(r, limit+1))
	if err != nil {
		return info, fmt.Errorf("blob: write: %w", err)
	}
	if n > limit {
		return info, parley.Errorf(parley.ETOOLARGE, "file is larger than the %d-byte limit", limit)
	}
	if n == 0 {
		return info, parley.Errorf(parley.EINVALID, "file is empty")
	}
	if err := tmp.Sync(); err != nil {
		return info, fmt.Errorf("blob: sync: %w", err)
	}
	info = Info{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n, ContentType: http.DetectContentType(sniff.buf)}
	dst := f.path(info.SHA256)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return info, fmt.Errorf("blob: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return info, fmt.Errorf("blob: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return info, fmt.Errorf("blob: %w", err)
	}
	return info, nil
}

// Open implements Store.
func (f *FS) Open(sha string) (io.ReadSeekCloser, error) {
	if !ValidSHA(sha) {
		return nil, parley.Errorf(parley.ENOTFOUND, "file %q not found", sha)
	}
	file, err := os.Open(f.path(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, parley.Errorf(parley.ENOTFOUND, "file %s not found", sha)
	}
	return file, err
}

// Remove implements Store. Put renames a fresh file into place, so a
// modification time before writtenBefore means nobody has put these bytes
// again since the caller decided they were unused. The file is first
// renamed aside, which is atomic: a Put that lands after that leaves its
// own file in place, and one that landed just before shows in the
// aside file's time, which is then put back (the bytes are the same
// whichever copy wins, since the name is their hash).
func (f *FS) Remove(sha string, writtenBefore time.Time) error {
	if !ValidSHA(sha) {
		return parley.Errorf(parley.EINVALID, "file %q is not a blob", sha)
	}
	path := f.path(sha)
	aside := filepath.Join(f.Dir, "remove-"+sha+"-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if err := os.Rename(path, aside); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	st, err := os.Stat(aside)
	if err == nil && !st.ModTime().Before(writtenBefore) {
		err = os.Rename(aside, path)
	} else if err == nil {
		err = os.Remove(aside)
	}
	if err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	return nil
}

// prefixWriter keeps the first max bytes written to it.
type prefixWriter struct {
	buf []byte
	max int
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if room := p.max - len(p.buf); room > 0 {
		p.buf = append(p.buf, b[:min(room, len(b))]...)
	}
	return len(b), nil
}
