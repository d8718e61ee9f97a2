package api

import (
	"net/http"

	"github.com/parleyhq/parley/internal/llm"
	"github.com/parleyhq/parley/internal/parley"
)

// The workspace's language model: owners and admins read and replace the
// settings, and test them. The API key is write-only: answers say whether
// one is set, never what it is.

// aiModelView is the settings as the API shows them.
type aiModelView struct {
	Enabled        bool   `json:"enabled"`
	BaseURL        string `json:"base_url"`
	Model          string `json:"model"`
	APIKeySet      bool   `json:"api_key_set"`
	TimeoutSeconds int    `json:"timeout_seconds"`
	MaskContacts   bool   `json:"mask_contacts"`
	Configured     bool   `json:"configured"`
}

func viewAIModel(s llm.Settings) aiModelView {
	return aiModelView{Enabled: s.Enabled, BaseURL: s.BaseURL, Model: s.Model, APIKeySet: s.APIKey != "",
		TimeoutSeconds: s.TimeoutSeconds, MaskContacts: s.MaskContacts, Configured: s.Configured()}
}

// aiModelInput is a PUT body. An absent api_key keeps the stored one and
// "" removes it; absent enabled and mask_contacts mean true (a model is
// saved to be used, and masking is on unless turned off).
type aiModelInput struct {
	Enabled        *bool   `json:"enabled"`
	BaseURL        string  `json:"base_url"`
	Model          string  `json:"model"`
	APIKey         *string `json:"api_key"`
	TimeoutSeconds int     `json:"timeout_seconds"`
	MaskContacts   *bool   `json:"mask_contacts"`
}

func (s *Server) getAIModel(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	if s.LLM == nil {
		return writeJSON(w, http.StatusOK, viewAIModel(llm.DefaultSettings()))
	}
	set, err := s.LLM.Settings(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewAIModel(set))
}

func (s *Server) putAIModel(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	var in aiModelInput
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if s.LLM == nil {
		return parley.Errorf(parley.EUNAVAILABLE, "this Parley has no model provider wired in")
	}
	set := llm.Settings{Enabled: in.Enabled == nil || *in.Enabled, BaseURL: in.BaseURL, Model: in.Model,
		TimeoutSeconds: in.TimeoutSeconds, MaskContacts: in.MaskContacts == nil || *in.MaskContacts}
	if in.APIKey != nil {
		set.APIKey = *in.APIKey
	}
	saved, err := s.LLM.Save(r.Context(), actorFrom(r).Role, set, in.APIKey == nil)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewAIModel(saved))
}

// testAIModel sends one tiny request with the saved settings. A model
// that fails is still a 200: the answer says what went wrong.
func (s *Server) testAIModel(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	if s.LLM == nil {
		return parley.Errorf(parley.EUNAVAILABLE, "this Parley has no model provider wired in")
	}
	set, err := s.LLM.Settings(r.Context())
	if err != nil {
		return err
	}
	res, err := s.LLM.Test(r.Context(), actorFrom(r).Role, set, false)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}
