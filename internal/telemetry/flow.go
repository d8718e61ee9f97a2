package telemetry

import "github.com/prometheus/client_golang/prometheus"

// flowMetrics count workflow runs and steps (internal/flow).
type flowMetrics struct {
	runs      *prometheus.CounterVec // event: started, succeeded, failed
	steps     *prometheus.CounterVec // kind, outcome: done, failed, retry
	approvals prometheus.Counter
}

func newFlowMetrics() *flowMetrics {
	f := &flowMetrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_flow_runs_total",
			Help: "Workflow runs started, and ended by status (succeeded, failed).",
		}, []string{"event"}),
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_flow_steps_total",
			Help: "Workflow steps by kind and outcome: done, failed (the run ended), retry (an outside system failed; tried again).",
		}, []string{"kind", "outcome"}),
		approvals: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_flow_approval_waits_total",
			Help: "Workflow steps that waited for a person's approval (a policy matched).",
		}),
	}
	for _, e := range []string{"started", "succeeded", "failed"} {
		f.runs.WithLabelValues(e) // a 0 before the first run, for rate()
	}
	return f
}

// RunStarted counts a workflow run started (flow.Meter).
func (r *Registry) RunStarted() { r.flow.runs.WithLabelValues("started").Inc() }

// RunEnded counts a run that ended with status.
func (r *Registry) RunEnded(status string) { r.flow.runs.WithLabelValues(status).Inc() }

// StepFinished counts one step's outcome.
func (r *Registry) StepFinished(kind, outcome string) {
	r.flow.steps.WithLabelValues(kind, outcome).Inc()
}

// ApprovalWait counts a step that waits for approval.
func (r *Registry) ApprovalWait() { r.flow.approvals.Inc() }
