package web

import (
	"fmt"
	"net/http"

	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/resumable"
)

// Resumable uploads from the composer (a screen recording, a large file):
// the tus protocol of internal/resumable, owned by the signed-in agent.
// Errors answer in JSON, as the protocol's clients expect, not as pages.

func (s *Server) startUpload(w http.ResponseWriter, r *http.Request) error {
	_, err := s.Resumable.Create(w, r, agentOwner(r), s.MaxUploadBytes)
	return tusError(w, r, err)
}

func (s *Server) continueUpload(step func(http.ResponseWriter, *http.Request, string) error) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		return tusError(w, r, step(w, r, agentOwner(r)))
	}
}

func agentOwner(r *http.Request) string {
	u, _ := userFrom(r)
	return fmt.Sprintf("agent:%d", u.Agent.ID)
}

func tusError(w http.ResponseWriter, r *http.Request, err error) error {
	if err != nil {
		jsonhttp.Error(w, r, err)
	}
	return nil
}

// tusBody reports whether r carries a piece of a resumable upload, whose
// body may be as large as a file.
func tusBody(r *http.Request) bool {
	return r.Header.Get("Content-Type") == "application/offset+octet-stream" && r.Header.Get("Tus-Resumable") == resumable.Version
}
