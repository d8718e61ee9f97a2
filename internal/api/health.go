package api

import (
	"context"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/parley"
)

// DefaultMinFreeBytes is the free space below which /healthz reports
// storage_full: room for a few minutes of messages, or one large upload,
// so a load balancer or monitor hears of it before writes fail.
const DefaultMinFreeBytes = 64 << 20

// FullFor is how long /healthz reports storage_full after a write was
// refused for lack of space. A refused write proves the disk full; a later
// one that fits (an update in place) does not prove it has room again.
const FullFor = time.Minute

// storageWatcher is what the blob store tells health: the file system's
// free space and when a write last ran out of room (blob.FS).
type storageWatcher interface {
	Free() (uint64, error)
	FullAt() time.Time
}

// Health is /healthz's answer.
type Health struct {
	Status    string `json:"status"` // ok, storage_full
	Database  string `json:"database"`
	Storage   string `json:"storage"`              // ok, full (a write was refused lately), low (free space under the threshold)
	FreeBytes uint64 `json:"free_bytes,omitempty"` // on the data dir's disk, where known
	// FullAt is when the latest write refused for lack of space was.
	FullAt *time.Time `json:"full_at,omitempty"`
}

// health answers 200 when the database answers within two seconds and
// there is room to write; 503 with Retry-After and status storage_full
// when a database or file write was refused for lack of space in the
// last FullFor, or the data dir's disk has less free space than
// MinFreeBytes; 503 unavailable when the database does not answer.
func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		return parley.Errorf(parley.EUNAVAILABLE, "the database is not reachable")
	}
	h := Health{Status: "ok", Database: s.DB.Dialect(), Storage: "ok"}
	fullAt := s.DB.StorageFullAt()
	if bw, ok := s.Blobs.(storageWatcher); ok {
		if at := bw.FullAt(); at.After(fullAt) {
			fullAt = at
		}
		min := s.MinFreeBytes
		if min == 0 {
			min = DefaultMinFreeBytes
		}
		if free, err := bw.Free(); err == nil {
			h.FreeBytes = free
			if free < min {
				h.Status, h.Storage = "storage_full", "low"
			}
		}
	}
	if !fullAt.IsZero() && s.DB.Now().Sub(fullAt) < FullFor {
		h.Status, h.Storage, h.FullAt = "storage_full", "full", &fullAt
	}
	if h.Status != "ok" {
		jsonhttp.SetRetryAfter(w.Header(), parley.ESTORAGEFULL)
		return writeJSON(w, http.StatusServiceUnavailable, h)
	}
	return writeJSON(w, http.StatusOK, h)
}
