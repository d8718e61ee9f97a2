package api

import (
	"fmt"
	"net/http"

	"github.com/parleyhq/parley/internal/resumable"
)

// Uploads in pieces (tus 1.0.0, internal/resumable): for large files over
// connections that drop. An upload belongs to the token that started it.

func (s *Server) startResumable(w http.ResponseWriter, r *http.Request) error {
	_, err := s.resumableServer().Create(w, r, tokenOwner(r), s.MaxUploadBytes)
	return err
}

func (s *Server) resumableOptions(w http.ResponseWriter, r *http.Request) error {
	s.resumableServer().Options(w, s.MaxUploadBytes)
	return nil
}

// resumableStep serves HEAD, PATCH or DELETE, given as a method
// expression ((*resumable.Server).Patch).
func (s *Server) resumableStep(step func(*resumable.Server, http.ResponseWriter, *http.Request, string) error) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		return step(s.resumableServer(), w, r, tokenOwner(r))
	}
}

func tokenOwner(r *http.Request) string { return fmt.Sprintf("token:%d", actorFrom(r).TokenID) }

// resumableServer is the one the app passed, or (set in Register) one
// with the package's defaults over the same database and uploads.
func (s *Server) resumableServer() *resumable.Server { return s.Resumable }
