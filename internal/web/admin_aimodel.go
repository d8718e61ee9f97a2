package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/llm"
	"github.com/parleyhq/parley/internal/parley"
)

// aiModelView is Settings → AI model. The API key never reaches the
// browser: KeySet says whether one is stored, and an empty field keeps it.
type aiModelView struct {
	Page
	Settings llm.Settings // APIKey always empty here
	KeySet   bool
	// KeyTyped: the form shown again held a key, which is not echoed.
	KeyTyped bool
	Error    string
	// Test is the result of "Test connection", when it was pressed.
	Test *llm.TestResult
}

func (s *Server) aiModelPage(w http.ResponseWriter, r *http.Request) error {
	v := aiModelView{Page: s.page(r, "AI model", "ai-model"), Settings: llm.DefaultSettings()}
	if s.LLM != nil {
		set, err := s.LLM.Settings(r.Context())
		if err != nil {
			return err
		}
		v.Settings, v.KeySet = set, set.APIKey != ""
		v.Settings.APIKey = ""
	}
	return s.render(w, r, http.StatusOK, "admin_aimodel", "", v)
}

// aiModelForm reads the form; keepKey is true unless a new key was typed
// or "remove the key" was ticked.
func aiModelForm(r *http.Request) (set llm.Settings, keepKey bool, err error) {
	set = llm.Settings{Enabled: r.PostFormValue("enabled") != "", BaseURL: trimmed(r, "base_url"), Model: trimmed(r, "model"),
		APIKey: strings.TrimSpace(r.PostFormValue("api_key")), MaskContacts: r.PostFormValue("mask_contacts") != ""}
	if t := trimmed(r, "timeout_seconds"); t != "" {
		if set.TimeoutSeconds, err = strconv.Atoi(t); err != nil {
			return set, false, parley.Errorf(parley.EINVALID, "the timeout must be a whole number of seconds")
		}
	}
	return set, set.APIKey == "" && r.PostFormValue("remove_key") == "", nil
}

// saveAIModel saves the form, or with action=test sends one tiny request
// with what was typed (saved or not) and shows the result beside it.
func (s *Server) saveAIModel(w http.ResponseWriter, r *http.Request) error {
	if s.LLM == nil {
		return parley.Errorf(parley.EUNAVAILABLE, "this Parley has no model provider wired in")
	}
	set, keepKey, err := aiModelForm(r)
	v := aiModelView{Page: s.page(r, "AI model", "ai-model"), Settings: set}
	// The page says what is stored: a key typed into a form that is
	// shown again (a test, a refusal) is not saved, and is not echoed.
	if stored, serr := s.LLM.Settings(r.Context()); serr == nil {
		v.KeySet = stored.APIKey != ""
	}
	v.KeyTyped, v.Settings.APIKey = set.APIKey != "", ""
	if err == nil && r.PostFormValue("action") == "test" {
		var res llm.TestResult
		res, err = s.LLM.Test(r.Context(), actorFrom(r).Role, set, keepKey)
		if err == nil {
			v.Test = &res
			return s.render(w, r, http.StatusOK, "admin_aimodel", "", v)
		}
	}
	if err == nil {
		_, err = s.LLM.Save(r.Context(), actorFrom(r).Role, set, keepKey)
	}
	if parley.ErrorCode(err) == parley.EINVALID {
		v.Error = parley.ErrorMessage(err)
		return s.render(w, r, http.StatusBadRequest, "admin_aimodel", "", v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/app/admin/ai-model?flash=saved", http.StatusSeeOther)
	return nil
}
