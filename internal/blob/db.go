package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// DefaultChunkSize is how many bytes of a blob one database row holds.
// Larger chunks mean fewer round trips per file and more memory per open
// reader; see docs/PERFORMANCE.md for the measurements behind it.
const DefaultChunkSize = 512 << 10

// DB stores blobs in the database (store's blob_contents and
// blob_chunks), so that every Parley process on one PostgreSQL reads
// what any of them received. Bytes stream through in chunks: a Put holds
// one chunk in memory, an open reader one chunk.
type DB struct {
	Store *store.DB
	// ChunkSize is the bytes per chunk of new blobs; zero:
	// DefaultChunkSize. Blobs keep the size they were written with.
	ChunkSize int
	// Legacy, when set, is the directory store that held blobs before
	// they moved into the database: a hash the database lacks is read
	// from it (on the node that has the file), until `parley blobs
	// import` has copied everything in.
	Legacy *FS
	// TempDir is where Put spools a file before copying it in; "" is
	// os.TempDir.
	TempDir string
	// CreateTemp makes the spool file; nil means os.CreateTemp. Tests
	// make writes fail through it as a full disk would.
	CreateTemp func(dir, pattern string) (Spool, error)
	// Timeout bounds each statement (a Put's whole transaction, a read's
	// chunk); zero: one minute.
	Timeout time.Duration

	full fullState // the spool's disk (full.go)
}

func (d *DB) chunkSize() int {
	if d.ChunkSize > 0 {
		return d.ChunkSize
	}
	return DefaultChunkSize
}

func (d *DB) timeout() time.Duration {
	if d.Timeout > 0 {
		return d.Timeout
	}
	return time.Minute
}

// Spool is the temporary file a DB's Put writes to; *os.File is one.
type Spool interface {
	io.ReadWriteSeeker
	io.Closer
	Name() string
}

func (d *DB) createTemp(dir, pattern string) (Spool, error) {
	if d.CreateTemp != nil {
		return d.CreateTemp(dir, pattern)
	}
	return os.CreateTemp(dir, pattern)
}

// FullAt returns when a Put last failed for lack of space on the spool's
// disk; zero if never. (The database's own refusals are the store's.)
func (d *DB) FullAt() time.Time {
	at := d.full.at.Load()
	if at == 0 {
		return time.Time{}
	}
	return time.UnixMicro(at).UTC()
}

// Free returns the bytes free on the spool's disk.
func (d *DB) Free() (uint64, error) {
	dir := d.TempDir
	if dir == "" {
		dir = os.TempDir()
	}
	free, err := freeBytes(dir)
	if err != nil {
		return 0, fmt.Errorf("blob: free space: %w", err)
	}
	return free, nil
}

// Put implements Store. The bytes are spooled to a temporary file first,
// hashing as they come: a client sending slowly must not hold a database
// transaction open, and bytes already stored need not be sent again.
// Then they are copied in one chunk at a time, in one transaction that
// commits only once complete, so a failure or a crash leaves nothing.
func (d *DB) Put(r io.Reader, limit int64) (info Info, err error) {
	defer d.full.note(&err)
	tmp, err := d.createTemp(d.TempDir, "upload-*")
	if err != nil {
		return info, fmt.Errorf("blob: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
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
	info = Info{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n, ContentType: http.DetectContentType(sniff.buf)}
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout())
	defer cancel()
	if ok, err := d.Store.TouchBlob(ctx, info.SHA256, d.Store.Now()); err != nil || ok {
		return info, err // stored already (and now marked written again)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return info, fmt.Errorf("blob: %w", err)
	}
	w, err := d.Store.CreateBlob(ctx, d.chunkSize())
	if err != nil {
		return info, fmt.Errorf("blob: %w", err)
	}
	buf := make([]byte, d.chunkSize())
	for {
		k, rerr := io.ReadFull(tmp, buf)
		if k > 0 {
			if err := w.WriteChunk(buf[:k]); err != nil {
				w.Abort()
				return info, fmt.Errorf("blob: %w", err)
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			w.Abort()
			return info, fmt.Errorf("blob: %w", rerr)
		}
	}
	if err := w.Commit(info.SHA256, n, d.Store.Now()); err != nil {
		return info, fmt.Errorf("blob: %w", err)
	}
	return info, nil
}

// Open implements Store. The reader fetches the chunk under its position
// when read, so seeking (range requests, video) costs nothing until then.
func (d *DB) Open(sha string) (io.ReadSeekCloser, error) {
	if !ValidSHA(sha) {
		return nil, parley.Errorf(parley.ENOTFOUND, "file %q not found", sha)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout())
	defer cancel()
	h, err := d.Store.BlobHead(ctx, sha)
	if parley.ErrorCode(err) == parley.ENOTFOUND && d.Legacy != nil {
		return d.Legacy.Open(sha)
	}
	if err != nil {
		return nil, err
	}
	return &dbReader{d: d, head: h, cur: -1}, nil
}

// Remove implements Store: the blob goes unless it was put again at or
// after writtenBefore (a Put of bytes already stored marks them written).
func (d *DB) Remove(sha string, writtenBefore time.Time) error {
	if !ValidSHA(sha) {
		return parley.Errorf(parley.EINVALID, "file %q is not a blob", sha)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout())
	defer cancel()
	if err := d.Store.RemoveBlob(ctx, sha, writtenBefore); err != nil {
		return fmt.Errorf("blob: %w", err)
	}
	if d.Legacy != nil {
		return d.Legacy.Remove(sha, writtenBefore)
	}
	return nil
}

// dbReader reads a stored blob chunk by chunk.
type dbReader struct {
	d    *DB
	head store.BlobHead
	pos  int64
	cur  int    // the chunk in buf; -1 for none
	buf  []byte // chunk cur's bytes
}

func (r *dbReader) Read(p []byte) (int, error) {
	if r.pos >= r.head.Size {
		return 0, io.EOF
	}
	cs := int64(r.head.ChunkSize)
	if n := int(r.pos / cs); n != r.cur {
		ctx, cancel := context.WithTimeout(context.Background(), r.d.timeout())
		b, err := r.d.Store.BlobChunk(ctx, r.head.ContentID, n, r.buf)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("blob: read: %w", err)
		}
		r.buf, r.cur = b, n
	}
	off := int(r.pos % cs)
	if off >= len(r.buf) {
		return 0, fmt.Errorf("blob: read: chunk %d holds %d bytes, want more than %d", r.cur, len(r.buf), off)
	}
	k := copy(p, r.buf[off:])
	r.pos += int64(k)
	return k, nil
}

func (r *dbReader) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.pos + offset
	case io.SeekEnd:
		abs = r.head.Size + offset
	default:
		return 0, errors.New("blob: seek: bad whence")
	}
	if abs < 0 {
		return 0, errors.New("blob: seek: negative position")
	}
	r.pos = abs
	return abs, nil
}

func (r *dbReader) Close() error {
	r.buf = nil
	return nil
}
