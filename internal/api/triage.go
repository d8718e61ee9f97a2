package api

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/triage"
)

// The triage rules are one JSON array, read and written whole: GET shows
// the rules in force, PUT replaces them, DELETE restores the defaults.
// Each answers with the rules in force afterwards.

func (s *Server) getTriageRules(w http.ResponseWriter, r *http.Request) error {
	rules, err := s.Inbox.TriageRules(r.Context())
	if err != nil {
		return err
	}
	return writeTriageRules(w, rules)
}

func (s *Server) putTriageRules(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	body, err := s.readJSON(w, r, min(s.MaxJSONBytes, triage.MaxRulesJSONBytes))
	if err != nil {
		return err
	}
	rules, err := triage.Parse(body)
	if err != nil {
		return err
	}
	if err := s.Inbox.SetTriageRules(r.Context(), actorFrom(r), rules); err != nil {
		return err
	}
	return writeTriageRules(w, rules)
}

func (s *Server) deleteTriageRules(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	if err := s.Inbox.SetTriageRules(r.Context(), actorFrom(r), nil); err != nil {
		return err
	}
	return s.getTriageRules(w, r)
}

func writeTriageRules(w http.ResponseWriter, rules triage.Rules) error {
	if rules == nil {
		rules = triage.Rules{}
	}
	return writeJSON(w, http.StatusOK, rules)
}

// readJSON reads a JSON body that is not an object (decode reads
// objects), with decode's checks of Content-Type and size.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return nil, parley.Errorf(parley.EINVALID, "Content-Type must be application/json, not %q", ct)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, parley.Errorf(parley.ETOOLARGE, "body is larger than the %d-byte limit", limit)
	}
	return body, err
}
