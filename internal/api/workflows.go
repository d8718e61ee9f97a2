package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/parleyhq/parley/internal/flow"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/report"
	"github.com/parleyhq/parley/internal/store"
)

// Workflows: anyone with a full token reads them and their runs; owners
// and admins save them and start runs by hand (internal/flow).

func (s *Server) listWorkflows(w http.ResponseWriter, r *http.Request) error {
	list, err := s.DB.Workflows(r.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.Workflow{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"workflows": list})
}

type workflowSave struct {
	Source string `json:"source"`
}

// saveWorkflow stores a document as the newest version of the workflow it
// names. A refused document changes nothing; the error lists every
// problem with its line and field.
func (s *Server) saveWorkflow(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	var req workflowSave
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	wf, err := s.Flow.Save(r.Context(), req.Source)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if wf.Version == 1 {
		status = http.StatusCreated
	}
	return writeJSON(w, status, wf)
}

func (s *Server) getWorkflow(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "workflow_id")
	if err != nil {
		return err
	}
	wf, err := s.DB.Workflow(r.Context(), id)
	if err != nil {
		return err
	}
	src, err := s.DB.WorkflowSource(r.Context(), wf.ID, wf.Version)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"workflow": wf, "source": src})
}

type runStart struct {
	Key            string          `json:"key"`
	Input          json.RawMessage `json:"input"`
	ConversationID *int64          `json:"conversation_id"`
}

// startRun starts a run by hand. The key names this start: the same key
// again answers the run it started (200) instead of starting another.
func (s *Server) startRun(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	id, err := pathID(r, "workflow_id")
	if err != nil {
		return err
	}
	var req runStart
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	input := map[string]any{}
	if len(req.Input) > 0 && string(req.Input) != "null" {
		if err := json.Unmarshal(req.Input, &input); err != nil {
			return parley.Errorf(parley.EINVALID, "input must be a JSON object")
		}
	}
	if req.ConversationID != nil {
		if _, err := s.DB.Conversation(r.Context(), *req.ConversationID); err != nil {
			return err
		}
	}
	run, started, err := s.Flow.Start(r.Context(), id, "api/"+req.Key, input, req.ConversationID)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if started {
		status = http.StatusCreated
	}
	return writeJSON(w, status, run)
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 100, 1, 500)
	if err != nil {
		return err
	}
	wf, err := queryInt(r, "workflow_id", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	conv, err := queryInt(r, "conversation_id", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	switch status {
	case "", "running", "succeeded", "failed", "cancelled":
	default:
		return parley.Errorf(parley.EINVALID, "status must be running, succeeded, failed or cancelled")
	}
	runs, err := s.DB.FlowRuns(r.Context(), store.FlowRunFilter{Status: status, WorkflowID: wf, ConversationID: conv, Limit: int(limit)})
	if err != nil {
		return err
	}
	if runs == nil {
		runs = []store.FlowRun{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"runs": runs})
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "run_id")
	if err != nil {
		return err
	}
	run, err := s.DB.FlowRun(r.Context(), id)
	if err != nil {
		return err
	}
	steps, err := s.DB.FlowSteps(r.Context(), id)
	if err != nil {
		return err
	}
	if steps == nil {
		steps = []store.FlowStep{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"run": run, "steps": steps})
}

type inboundEvent struct {
	Name           string          `json:"name"`
	Key            string          `json:"key"`
	Data           json.RawMessage `json:"data"`
	ConversationID *int64          `json:"conversation_id"`
}

// inboundEvent takes an event from the business's own systems
// ("order.delivered", "payment.failed") and starts the workflows whose
// trigger is inbound:<name>. The key is the sender's id for the event:
// sending it again starts nothing new and answers the same runs.
func (s *Server) inboundEvent(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	return s.startInbound(w, r)
}

// startInbound reads an inbound event's body and starts the workflows
// waiting for it: what the token and the signed routes share.
func (s *Server) startInbound(w http.ResponseWriter, r *http.Request) error {
	var req inboundEvent
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	data := map[string]any{}
	if len(req.Data) > 0 && string(req.Data) != "null" {
		if err := json.Unmarshal(req.Data, &data); err != nil {
			return parley.Errorf(parley.EINVALID, "data must be a JSON object")
		}
	}
	if req.ConversationID != nil {
		if _, err := s.DB.Conversation(r.Context(), *req.ConversationID); err != nil {
			return err
		}
	}
	runs, err := s.Flow.Inbound(r.Context(), req.Name, req.Key, data, req.ConversationID)
	if err != nil {
		return err
	}
	if runs == nil {
		runs = []store.FlowRun{}
	}
	return writeJSON(w, http.StatusAccepted, map[string]any{"runs": runs})
}

// cancelRun ends a running run; retryRun runs a failed one again from
// the step that failed. Owners and admins.
func (s *Server) cancelRun(w http.ResponseWriter, r *http.Request) error {
	return s.changeRun(w, r, s.Flow.Cancel)
}

func (s *Server) retryRun(w http.ResponseWriter, r *http.Request) error {
	return s.changeRun(w, r, s.Flow.Retry)
}

func (s *Server) changeRun(w http.ResponseWriter, r *http.Request, change func(context.Context, int64, string) (store.FlowRun, error)) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	id, err := pathID(r, "run_id")
	if err != nil {
		return err
	}
	who := "an API client"
	if a := actorFrom(r); a.AgentID != nil {
		if ag, err := s.DB.Agent(r.Context(), *a.AgentID); err == nil {
			who = ag.Name
		}
	}
	run, err := change(r.Context(), id, who)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, run)
}

// listTemplates returns the built-in workflows, each a document ready to
// save and edit.
func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]any{"templates": flow.Templates()})
}

// Workflow secrets: their names are listed, their values never shown
// again once saved. Owners and admins.
func (s *Server) listWorkflowSecrets(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	names, err := s.Flow.SecretNames(r.Context())
	if err != nil {
		return err
	}
	if names == nil {
		names = []string{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"names": names})
}

func (s *Server) putWorkflowSecret(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	var req struct {
		Value string `json:"value"`
	}
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.Value == "" {
		return parley.Errorf(parley.EINVALID, "a secret needs a value (DELETE removes one)")
	}
	if err := s.Flow.SetSecret(r.Context(), r.PathValue("name"), req.Value); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deleteWorkflowSecret(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	if err := s.Flow.SetSecret(r.Context(), r.PathValue("name"), ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// dryRun shows what a workflow would do for a conversation (or an input),
// touching nothing. Owners and admins.
func (s *Server) dryRun(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	id, err := pathID(r, "workflow_id")
	if err != nil {
		return err
	}
	var req flow.DryRun
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	plan, err := s.Flow.DryRun(r.Context(), id, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, plan)
}

// workflowReport sums up the workflows of a period (?from=&to=, as the
// main report): runs by outcome, their median time, and the conversations
// they resolved alone against those a person finished. Owners and admins.
func (s *Server) workflowReport(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	from, to, _, _, err := report.ParseQuery(r.URL.Query(), s.DB.Now().UTC())
	if err != nil {
		return err
	}
	st, err := s.DB.FlowStats(r.Context(), from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "workflows": st})
}

// signedEvent is inboundEvent for a system that signs instead of holding
// an API token: X-Parley-Signature is "sha256=" and the hex HMAC-SHA256
// of the body under the workflow secret events_signing_key. A missing or
// wrong signature changes nothing.
func (s *Server) signedEvent(w http.ResponseWriter, r *http.Request) error {
	limit := s.MaxJSONBytes
	if limit <= 0 {
		limit = 1 << 20
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return parley.Errorf(parley.EINVALID, "the body could not be read")
	}
	if int64(len(body)) > limit {
		return parley.Errorf(parley.ETOOLARGE, "the body is larger than %d bytes", limit)
	}
	key, err := s.Flow.Secret(r.Context(), eventsSigningKey)
	if err != nil {
		return err
	}
	sig, ok := strings.CutPrefix(r.Header.Get("X-Parley-Signature"), "sha256=")
	want := hmac.New(sha256.New, []byte(key))
	want.Write(body)
	got, decErr := hex.DecodeString(sig)
	if key == "" || !ok || decErr != nil || !hmac.Equal(got, want.Sum(nil)) {
		return parley.Errorf(parley.EUNAUTHORIZED, "X-Parley-Signature must be sha256= and the HMAC-SHA256 of the body under the workflow secret %s", eventsSigningKey)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return s.startInbound(w, r)
}

// eventsSigningKey is the workflow secret signed events are checked with.
const eventsSigningKey = "events_signing_key"
