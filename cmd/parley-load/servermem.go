package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// serverMem is a running Parley's memory, read from outside.
type serverMem struct {
	RSS        int64 // resident set, from /metrics (process_resident_memory_bytes)
	HeapInuse  int64 // Go heap spans in use, after a collection when the profiler is on
	StackInuse int64 // goroutine stacks
	Goroutines int64
	Collected  bool // whether garbage was collected first (--debug given)
}

// memProbe reads a Parley's memory: RSS and goroutines from GET /metrics;
// heap and stacks from its profiler (parley serve --debug-addr), which
// collects garbage first when asked (/debug/pprof/heap?gc=1), so the heap
// is what is live, not what a collection would free. Without the
// profiler the heap comes from /metrics as it stands.
type memProbe struct {
	client       *http.Client
	base, debug  string
	metricsToken string
}

func (p *memProbe) sample(ctx context.Context) (serverMem, error) {
	var m serverMem
	metrics, err := p.metrics(ctx)
	if err != nil {
		return m, err
	}
	if p.debug != "" {
		// Two collections: the first may leave objects that only the
		// second finds unreachable (finalizers), and stacks shrink at most
		// by half per collection.
		for range 3 {
			if err := p.heapProfile(ctx, &m); err != nil {
				return m, err
			}
		}
		m.Collected = true
		if metrics, err = p.metrics(ctx); err != nil {
			return m, err
		}
	} else {
		m.HeapInuse, m.StackInuse = int64(metrics["go_memstats_heap_inuse_bytes"]), int64(metrics["go_memstats_stack_inuse_bytes"])
	}
	m.RSS, m.Goroutines = int64(metrics["process_resident_memory_bytes"]), int64(metrics["go_goroutines"])
	if m.RSS == 0 {
		return m, fmt.Errorf("GET /metrics has no process_resident_memory_bytes (not Linux?)")
	}
	return m, nil
}

// metrics reads the unlabelled samples of GET /metrics.
func (p *memProbe) metrics(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	if p.metricsToken != "" {
		req.Header.Set("Authorization", "Bearer "+p.metricsToken)
	} else {
		// A Parley that trusts this host as a proxy (as the widget load
		// needs) judges "from this host" by X-Forwarded-For.
		req.Header.Set("X-Forwarded-For", "127.0.0.1")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s (give --metrics-token if the server has one)", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// heapProfile collects garbage in the server and reads its MemStats from
// the text heap profile's trailer ("# HeapInuse = N", "# Stack = inuse / sys").
func (p *memProbe) heapProfile(ctx context.Context, m *serverMem) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.debug+"/debug/pprof/heap?gc=1&debug=1", nil)
	if err != nil {
		return err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("the server's profiler (--debug): %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /debug/pprof/heap: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	found := 0
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "# HeapInuse = "); ok {
			m.HeapInuse, _ = strconv.ParseInt(v, 10, 64)
			found++
		} else if v, ok := strings.CutPrefix(line, "# Stack = "); ok {
			inuse, _, _ := strings.Cut(v, " ")
			m.StackInuse, _ = strconv.ParseInt(inuse, 10, 64)
			found++
		}
	}
	if found != 2 {
		return fmt.Errorf("GET /debug/pprof/heap: no MemStats trailer")
	}
	return sc.Err()
}

// saveProfile copies one of the server's profiles (heap, goroutine) to w.
func (p *memProbe) saveProfile(ctx context.Context, name string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.debug+"/debug/pprof/"+name, nil)
	if err != nil {
		return err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /debug/pprof/%s: %s", name, resp.Status)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}
