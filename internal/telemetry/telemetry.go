// Package telemetry exposes Parley's operational metrics to Prometheus:
// HTTP requests by route, messages received, the job queue, open live
// streams, and the Go runtime and process. It keeps its own registry, not
// the client library's global one, so two Parleys in one process (tests)
// never share counters.
//
// Metrics carry no customer data. Every label comes from a small, fixed
// set: route patterns (never raw paths), methods, status codes, channel
// types, job kinds, and for language model calls features and inbox ids
// (both capped, see llm.go).
package telemetry

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Sources are what the gauges read at each scrape. A nil source leaves its
// gauge out.
type Sources struct {
	// JobCounts counts the jobs that are not done, by kind and status.
	JobCounts func(context.Context) ([]store.JobCount, error)
	// LiveStreams returns how many SSE streams are open now.
	LiveStreams func() int
	// ReportLag returns how many events the report projector has not
	// projected into facts yet.
	ReportLag func(context.Context) (int64, error)
}

// jobCountTimeout bounds the query behind parley_jobs, so a slow database
// delays a scrape by at most this much.
const jobCountTimeout = 2 * time.Second

// latencyBuckets span 0.5 ms (a cached read) to 10 s (a request that is
// stuck), in seconds.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Registry holds Parley's metrics. Create it with New; its methods are safe
// for concurrent use.
type Registry struct {
	reg *prometheus.Registry

	requests    *prometheus.CounterVec   // route, method, code
	duration    *prometheus.HistogramVec // route, method
	streams     *prometheus.CounterVec   // route
	received    *prometheus.CounterVec   // channel
	duplicates  *prometheus.CounterVec   // channel
	jobFailures *prometheus.CounterVec   // kind
	llm         *llmMetrics              // language model calls (llm.go)
	flow        *flowMetrics             // workflow runs and steps (flow.go)

	// Counters of the known channels, resolved once: the ingest path
	// increments one without hashing label values.
	receivedBy, duplicatesBy map[parley.ChannelType]prometheus.Counter
}

// New returns a registry with every Parley metric, the gauges that read
// src, and the standard Go and process collectors.
func New(src Sources) *Registry {
	r := &Registry{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "parley_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method. Live event streams are left out (see parley_live_streams_opened_total).",
			Buckets: latencyBuckets,
		}, []string{"route", "method"}),
		streams: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_live_streams_opened_total",
			Help: "Server-Sent Events streams opened, by route pattern.",
		}, []string{"route"}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_messages_received_total",
			Help: "Customer messages received and stored, by channel type.",
		}, []string{"channel"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_messages_duplicate_total",
			Help: "Customer messages received again (a provider's or client's retry) and not stored twice, by channel type.",
		}, []string{"channel"}),
		jobFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_job_failures_total",
			Help: "Job runs that failed, by job kind, whether or not the job is retried.",
		}, []string{"kind"}),
		llm:          newLLMMetrics(),
		flow:         newFlowMetrics(),
		receivedBy:   map[parley.ChannelType]prometheus.Counter{},
		duplicatesBy: map[parley.ChannelType]prometheus.Counter{},
	}
	for _, ch := range parley.ChannelTypes {
		// Resolving them now also exports a 0 for every channel, so a
		// rate() has a start before the first message.
		r.receivedBy[ch] = r.received.WithLabelValues(string(ch))
		r.duplicatesBy[ch] = r.duplicates.WithLabelValues(string(ch))
	}
	r.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		r.requests, r.duration, r.streams, r.received, r.duplicates, r.jobFailures,
		r.llm.tokens, r.llm.requests,
		r.flow.runs, r.flow.steps, r.flow.approvals,
	)
	if src.JobCounts != nil {
		r.reg.MustRegister(&jobsCollector{
			counts: src.JobCounts,
			desc: prometheus.NewDesc("parley_jobs",
				"Jobs that are not done, by kind and status: pending (waiting or due), running, failed (gave up; see GET /api/v1/jobs?status=failed).",
				[]string{"kind", "status"}, nil),
			kinds: map[string]bool{},
		})
	}
	if src.LiveStreams != nil {
		r.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "parley_live_connections",
			Help: "Server-Sent Events streams open now: agents' inboxes and visitors' widgets.",
		}, func() float64 { return float64(src.LiveStreams()) }))
	}
	if src.ReportLag != nil {
		r.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "parley_report_lag_events",
			Help: "Events not yet projected into the report facts; it should stay near zero (the projector runs every 15 s).",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), jobCountTimeout)
			defer cancel()
			n, err := src.ReportLag(ctx)
			if err != nil {
				return -1 // the database did not answer: not a lag of zero
			}
			return float64(n)
		}))
	}
	return r
}

// Gatherer returns the registry, for tests and for exporting elsewhere.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// MessageReceived counts a customer message that Receive committed: a
// stored one, or a duplicate that was not stored again. It is what
// inbox.Service.OnReceived calls.
func (r *Registry) MessageReceived(ch parley.ChannelType, duplicate bool) {
	by, vec := r.receivedBy, r.received
	if duplicate {
		by, vec = r.duplicatesBy, r.duplicates
	}
	if c, ok := by[ch]; ok {
		c.Inc()
		return
	}
	vec.WithLabelValues(string(ch)).Inc()
}

// JobFinished counts a job run's failure; it is what jobs.Runner.OnFinish
// calls. Whether the job gave up shows in parley_jobs{status="failed"}.
func (r *Registry) JobFinished(kind string, err error, willRetry bool) {
	if err != nil {
		r.jobFailures.WithLabelValues(kind).Inc()
	}
}

// jobStatuses are the statuses parley_jobs reports; done jobs are not a
// queue and are pruned.
var jobStatuses = []string{"pending", "running", "failed"}

// jobsCollector reads the job counts with one query per scrape. Every
// status of a kind it has seen is reported, 0 included, so a queue that
// drains shows as 0 rather than vanishing.
type jobsCollector struct {
	counts func(context.Context) ([]store.JobCount, error)
	desc   *prometheus.Desc

	mu    sync.Mutex
	kinds map[string]bool // job kinds seen; bounded by the kinds Parley enqueues
}

func (c *jobsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *jobsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), jobCountTimeout)
	defer cancel()
	counts, err := c.counts(ctx)
	if err != nil {
		// The metrics handler logs it and serves the other metrics.
		ch <- prometheus.NewInvalidMetric(c.desc, fmt.Errorf("count jobs: %w", err))
		return
	}
	type key struct{ kind, status string }
	n := make(map[key]int64, len(counts))
	c.mu.Lock()
	for _, jc := range counts {
		n[key{jc.Kind, jc.Status}] += jc.Count
		c.kinds[jc.Kind] = true
	}
	kinds := make([]string, 0, len(c.kinds))
	for k := range c.kinds {
		kinds = append(kinds, k)
	}
	c.mu.Unlock()
	slices.Sort(kinds)
	for _, kind := range kinds {
		for _, status := range jobStatuses {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n[key{kind, status}]), kind, status)
		}
	}
}
