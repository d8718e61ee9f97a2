package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// loadOptions shape one measured run.
type loadOptions struct {
	clients  int           // concurrent requests (closed loop) or workers (open loop)
	duration time.Duration // how long to send for
	rate     float64       // requests per second; 0 means closed loop
	requests int64         // stop after this many requests (0: only the duration bounds it)
}

// request is one prepared HTTP request: method, URL and body bytes.
type request struct {
	method, url string
	body        []byte
	// header, when set, is one more header (a provider's signature).
	header [2]string
}

// makeRequest returns the n-th request of a run; buf may be reused for the body.
type makeRequest func(n int64, buf []byte) request

// result is what a run measured.
type result struct {
	elapsed   time.Duration
	sent      int64
	ok        int64
	byStatus  map[int]int64 // non-2xx answers
	netErrors int64
	firstErr  string
	latencies []time.Duration // of answered 2xx requests
	cpu       time.Duration   // user+system CPU of this process during the run
}

// newClient returns an HTTP client for loopback load: keep-alive with
// enough idle connections that none is ever closed and reopened.
func newClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        conns + 16,
			MaxIdleConnsPerHost: conns + 16,
			IdleConnTimeout:     2 * time.Minute,
			DisableCompression:  true,
			ForceAttemptHTTP2:   false,
		},
	}
}

// checkLoopback refuses targets that are not on this machine.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q is not an http(s) URL", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--url %q: parley-load only targets loopback addresses (127.0.0.1, ::1, localhost)", raw)
	}
	return nil
}

// runLoad sends requests made by mk with client, as opts says, and
// returns what it measured. It stops at the duration, the request count or
// when ctx ends, whichever comes first.
func runLoad(ctx context.Context, client *http.Client, token string, opts loadOptions, mk makeRequest) result {
	ctx, cancel := context.WithTimeout(ctx, opts.duration+time.Minute)
	defer cancel()
	var (
		seq       atomic.Int64
		mu        sync.Mutex
		total     = result{byStatus: map[int]int64{}}
		wg        sync.WaitGroup
		cpuBefore = cpuTime()
		start     = time.Now()
		end       = start.Add(opts.duration)
	)
	limit := opts.requests
	if limit <= 0 {
		limit = 1 << 62
	}
	auth := "Bearer " + token
	// worker sends requests and records each latency from its scheduled
	// time (open loop) or its start (closed loop).
	worker := func(next func() (n int64, sched time.Time, ok bool)) {
		defer wg.Done()
		r := result{byStatus: map[int]int64{}}
		buf := make([]byte, 0, 1024)
		conn := newSender(client)
		defer conn.close()
		for {
			n, sched, ok := next()
			if !ok {
				break
			}
			req := mk(n, buf[:0])
			buf = req.body[:0]
			r.sent++
			status, head, err := conn.send(ctx, req, auth)
			if err != nil {
				r.netErrors++
				if r.firstErr == "" && ctx.Err() == nil {
					r.firstErr = err.Error()
				}
				continue
			}
			lat := time.Since(sched)
			if status/100 == 2 {
				r.ok++
				r.latencies = append(r.latencies, lat)
			} else {
				r.byStatus[status]++
				if r.firstErr == "" {
					r.firstErr = fmt.Sprintf("%d %s", status, bytes.TrimSpace(head))
				}
			}
		}
		mu.Lock()
		total.sent += r.sent
		total.ok += r.ok
		total.netErrors += r.netErrors
		for k, v := range r.byStatus {
			total.byStatus[k] += v
		}
		if total.firstErr == "" {
			total.firstErr = r.firstErr
		}
		total.latencies = append(total.latencies, r.latencies...)
		mu.Unlock()
	}

	if opts.rate <= 0 {
		next := func() (int64, time.Time, bool) {
			now := time.Now()
			if now.After(end) || ctx.Err() != nil {
				return 0, now, false
			}
			n := seq.Add(1) - 1
			return n, now, n < limit
		}
		for i := 0; i < opts.clients; i++ {
			wg.Add(1)
			go worker(next)
		}
	} else {
		type job struct {
			n     int64
			sched time.Time
		}
		jobs := make(chan job, 1<<16)
		next := func() (int64, time.Time, bool) {
			j, ok := <-jobs
			return j.n, j.sched, ok
		}
		for i := 0; i < opts.clients; i++ {
			wg.Add(1)
			go worker(next)
		}
		// The dispatcher releases every request whose scheduled time has
		// come, then sleeps briefly: the schedule never slips, however late
		// the answers are.
		interval := time.Duration(float64(time.Second) / opts.rate)
	dispatch:
		for n := int64(0); n < limit; {
			sched := start.Add(time.Duration(n) * interval)
			if sched.After(end) {
				break
			}
			if d := time.Until(sched); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					break dispatch
				}
			}
			for now := time.Now(); n < limit && !sched.After(now) && !sched.After(end); {
				select {
				case jobs <- job{n, sched}:
				case <-ctx.Done():
					break dispatch
				}
				n++
				sched = start.Add(time.Duration(n) * interval)
			}
		}
		close(jobs)
	}
	wg.Wait()
	total.elapsed = time.Since(start)
	total.cpu = cpuTime() - cpuBefore
	return total
}

// cpuTime returns the user and system CPU this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report prints a run's numbers.
func (r result) report(w io.Writer, what string, opts loadOptions, self bool) {
	mode := fmt.Sprintf("closed loop, %d clients", opts.clients)
	if opts.rate > 0 {
		mode = fmt.Sprintf("open loop at %.0f/s, %d workers", opts.rate, opts.clients)
	}
	fmt.Fprintf(w, "%s: %s, %.1fs\n", what, mode, r.elapsed.Seconds())
	fmt.Fprintf(w, "  requests %d  ok %d  %.0f ok/s\n", r.sent, r.ok, float64(r.ok)/r.elapsed.Seconds())
	var errs []string
	codes := make([]int, 0, len(r.byStatus))
	for c := range r.byStatus {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		errs = append(errs, fmt.Sprintf("%d×%d", r.byStatus[c], c))
	}
	if r.netErrors > 0 {
		errs = append(errs, fmt.Sprintf("%d×network", r.netErrors))
	}
	if len(errs) == 0 {
		errs = []string{"none"}
	}
	fmt.Fprintf(w, "  errors %s\n", strings.Join(errs, " "))
	if r.firstErr != "" {
		fmt.Fprintf(w, "  first error: %.300s\n", r.firstErr)
	}
	if len(r.latencies) > 0 {
		slices.Sort(r.latencies)
		fmt.Fprintf(w, "  latency p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
			ms(pct(r.latencies, 50)), ms(pct(r.latencies, 90)), ms(pct(r.latencies, 99)), ms(pct(r.latencies, 99.9)),
			ms(r.latencies[len(r.latencies)-1]))
	}
	if r.ok > 0 {
		who := "load generator"
		if self {
			who = "server + load generator"
		}
		fmt.Fprintf(w, "  CPU %.2f cores (%s), %.0f µs per ok request\n",
			r.cpu.Seconds()/r.elapsed.Seconds(), who, float64(r.cpu.Microseconds())/float64(r.ok))
	}
}

// pct returns the p-th percentile of sorted (nearest rank).
func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
