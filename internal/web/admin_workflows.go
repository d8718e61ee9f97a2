package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/parleyhq/parley/internal/flow"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// The admin's workflow pages: the workflows with their documents (saved
// with every problem shown by line), the built-in templates to start
// from, and the runs, with retry and cancel (internal/flow).

type workflowsView struct {
	Page
	Workflows []store.Workflow
	Names     map[int64]string
	Templates []flow.Template
	Runs      []store.FlowRun
	Status    string // the runs filter
	Source    string // the document in the editor
	Problems  []flow.Problem
	Error     string
	Editing   *store.Workflow
	Steps     []*flow.Step
	Stats     store.FlowStats // the last 30 days
}

func (s *Server) workflowsView(r *http.Request) (workflowsView, error) {
	v := workflowsView{Page: s.page(r, "Workflows", "workflows"), Templates: flow.Templates(), Names: map[int64]string{}}
	var err error
	if v.Workflows, err = s.DB.Workflows(r.Context()); err != nil {
		return v, err
	}
	for _, w := range v.Workflows {
		v.Names[w.ID] = w.Name
	}
	v.Status = r.URL.Query().Get("status")
	switch v.Status {
	case "", "running", "succeeded", "failed", "cancelled":
	default:
		v.Status = ""
	}
	if v.Runs, err = s.DB.FlowRuns(r.Context(), store.FlowRunFilter{Status: v.Status, Limit: 50}); err != nil {
		return v, err
	}
	now := s.DB.Now()
	v.Stats, err = s.DB.FlowStats(r.Context(), now.Add(-30*24*time.Hour), now.Add(time.Second))
	return v, err
}

func (s *Server) workflowsPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.workflowsView(r)
	if err != nil {
		return err
	}
	if t := r.URL.Query().Get("template"); t != "" {
		for _, tm := range v.Templates {
			if tm.Name == t {
				v.Source = tm.Source
			}
		}
	}
	if id, err := strconv.ParseInt(r.URL.Query().Get("edit"), 10, 64); err == nil && id > 0 {
		wf, err := s.DB.Workflow(r.Context(), id)
		if err != nil {
			return err
		}
		if v.Source, err = s.DB.WorkflowSource(r.Context(), wf.ID, wf.Version); err != nil {
			return err
		}
		v.Editing = &wf
		if d, err := flow.Parse(v.Source); err == nil {
			v.Steps = d.Steps
		}
	}
	return s.render(w, r, http.StatusOK, "admin_workflows", "", v)
}

func (s *Server) saveWorkflow(w http.ResponseWriter, r *http.Request) error {
	src := r.PostFormValue("source")
	wf, err := s.Flow.Save(r.Context(), src)
	var inv *flow.InvalidError
	if errors.As(err, &inv) || parley.ErrorCode(err) == parley.EINVALID {
		v, verr := s.workflowsView(r)
		if verr != nil {
			return verr
		}
		v.Source, v.Error = src, parley.ErrorMessage(err)
		if inv != nil {
			v.Problems, v.Error = inv.Problems, "The workflow was not saved: fix these and save again."
		}
		return s.render(w, r, http.StatusBadRequest, "admin_workflows", "", v)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/app/admin/workflows?edit=%d&flash=saved", wf.ID), http.StatusSeeOther)
	return nil
}

func (s *Server) setWorkflowEnabled(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return parley.Errorf(parley.EINVALID, "no such workflow")
	}
	on := r.PostFormValue("enabled") == "1"
	if err := s.DB.Write(r.Context(), func(tx *store.Tx) error { return tx.SetWorkflowEnabled(id, on) }); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/app/admin/workflows?edit=%d&flash=saved", id), http.StatusSeeOther)
	return nil
}

type runView struct {
	Page
	Run      store.FlowRun
	Workflow string
	Steps    []store.FlowStep
}

func (s *Server) runPage(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return parley.Errorf(parley.ENOTFOUND, "no such run")
	}
	v := runView{Page: s.page(r, "Workflow run", "workflows")}
	if v.Run, err = s.DB.FlowRun(r.Context(), id); err != nil {
		return err
	}
	if wf, err := s.DB.Workflow(r.Context(), v.Run.WorkflowID); err == nil {
		v.Workflow = wf.Name
	}
	if v.Steps, err = s.DB.FlowSteps(r.Context(), id); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_run", "", v)
}

// changeRun retries or cancels a run and shows it again.
func (s *Server) changeRun(retry bool) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			return parley.Errorf(parley.ENOTFOUND, "no such run")
		}
		who := "an admin"
		if u, ok := userFrom(r); ok {
			who = u.Agent.Name
		}
		if retry {
			_, err = s.Flow.Retry(r.Context(), id, who)
		} else {
			_, err = s.Flow.Cancel(r.Context(), id, who)
		}
		if err != nil {
			return err
		}
		http.Redirect(w, r, fmt.Sprintf("/app/admin/runs/%d?flash=saved", id), http.StatusSeeOther)
		return nil
	}
}
