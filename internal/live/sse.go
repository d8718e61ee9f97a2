package live

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/parleyhq/parley/internal/parley"
)

// Message is one SSE message: its id is the event's seq, so a client's
// Last-Event-ID says exactly where it stopped.
type Message struct {
	Seq  int64
	Name string // the SSE event name
	Data any    // sent as JSON
}

// Render turns an event into what a stream sends, or ok=false to skip it.
// It runs once per event per stream, so it may look things up (a message's
// text for a widget) within ctx.
type Render func(ctx context.Context, ev *parley.Event) (m Message, ok bool)

// StreamOptions configure Stream.
type StreamOptions struct {
	Filter    func(*parley.Event) bool
	Render    Render
	Heartbeat time.Duration // a comment line this often keeps proxies from closing the stream

	// Detach suits streams that stay open long and mostly idle (a widget
	// waiting for a reply): once the replay is written, the connection is
	// taken from net/http and Stream returns, so an open stream holds one
	// goroutine and no request buffers (detach.go). Render then runs on a
	// goroutine of its own with a context of its own, not the request's.
	// Where the connection cannot be taken (HTTP/2, HTTP/1.0), the stream
	// is served as without Detach.
	Detach bool
	// OnClose, if set, runs once when the stream ends, whatever ended it
	// (also when Stream fails before opening it). Without Detach it runs
	// before Stream returns; with Detach, maybe long after.
	OnClose func()
}

// Stream serves an SSE stream of the events that opt.Filter accepts: first
// the ones after the client's Last-Event-ID (or ?after=), replayed from the
// log, then live ones as they commit. Queued events go out in one write.
// Without opt.Detach it returns when the stream ends.
func (h *Hub) Stream(w http.ResponseWriter, r *http.Request, opt StreamOptions) error {
	handedOver := false
	if opt.OnClose != nil {
		defer func() {
			if !handedOver {
				opt.OnClose()
			}
		}()
	}
	after, err := lastEventID(r)
	if err != nil {
		return err
	}
	sub, from := h.Subscribe(opt.Filter)
	h.streams.Add(1)
	if after < 0 || after > from {
		after = from // a fresh client (or one from the future) starts now
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if opt.Detach && r.ProtoMajor == 1 && r.ProtoMinor >= 1 {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			handedOver = true
			h.detach(r, conn, sub, from, after, opt)
			return nil
		}
	}
	defer h.Unsubscribe(sub)
	defer h.streams.Add(-1)
	h.serve(w, r, sub, from, after, opt)
	return nil
}

// serve writes the stream through net/http until it ends.
func (h *Hub) serve(w http.ResponseWriter, r *http.Request, sub *Sub, from, after int64, opt StreamOptions) {
	rc := http.NewResponseController(w)
	bw := bufio.NewWriterSize(w, 1024)
	bw.WriteString(retryLine)
	sent := h.replay(r.Context(), bw, after, from, opt)
	if err := flush(bw, rc); err != nil {
		return
	}
	heartbeat := opt.heartbeat()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			bw.WriteString(pingLine)
		case <-sub.Wait():
			frames, closed := sub.Take()
			for _, f := range frames {
				if f.Event.Seq > sent {
					writeFrame(r.Context(), bw, opt.Render, f)
					sent = f.Event.Seq
				}
			}
			if closed {
				flush(bw, rc)
				return // the client reconnects with Last-Event-ID
			}
		}
		if err := flush(bw, rc); err != nil {
			return
		}
	}
}

// The stream's fixed lines: how long a browser waits before reconnecting,
// and the heartbeat comment.
const (
	retryLine = "retry: 2000\n\n"
	pingLine  = ": ping\n\n"
)

func (opt StreamOptions) heartbeat() time.Duration {
	if opt.Heartbeat <= 0 {
		return 25 * time.Second
	}
	return opt.Heartbeat
}

// replay writes what the client missed, from the log, up to where the
// subscription's live events begin, and returns the last seq covered.
func (h *Hub) replay(ctx context.Context, w io.Writer, after, from int64, opt StreamOptions) int64 {
	sent := after
	for sent < from {
		events, err := h.db.Events(ctx, sent, 500)
		if err != nil || len(events) == 0 {
			break
		}
		for i := range events {
			if events[i].Seq > from {
				break
			}
			if opt.Filter == nil || opt.Filter(&events[i]) {
				writeFrame(ctx, w, opt.Render, &Frame{Event: events[i]})
			}
			sent = events[i].Seq
		}
		if len(events) < 500 {
			break
		}
	}
	return max(sent, from)
}

func flush(bw *bufio.Writer, rc *http.ResponseController) error {
	if err := bw.Flush(); err != nil {
		return err
	}
	return rc.Flush()
}

// writeFrame writes one event: its shared default encoding, or what the
// stream's Render makes of it.
func writeFrame(ctx context.Context, bw io.Writer, render Render, f *Frame) {
	if render == nil {
		bw.Write(f.Wire())
		return
	}
	m, ok := render(ctx, &f.Event)
	if !ok {
		return
	}
	bw.Write(encode(m))
}

// encode formats an SSE message; nil if its data cannot be encoded.
func encode(m Message) []byte {
	b, err := json.Marshal(m.Data)
	if err != nil {
		return nil
	}
	out := make([]byte, 0, len(b)+len(m.Name)+32)
	out = append(out, "id: "...)
	out = strconv.AppendInt(out, m.Seq, 10)
	out = append(out, "\nevent: "...)
	out = append(out, m.Name...)
	out = append(out, "\ndata: "...)
	out = append(out, b...)
	return append(out, "\n\n"...)
}

// lastEventID reads where the client stopped: the Last-Event-ID header
// that browsers send on reconnect, or an ?after= parameter for the first
// connection of a page that already shows events up to a seq. -1 means none.
func lastEventID(r *http.Request) (int64, error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("after")
	}
	if v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, parley.Errorf(parley.EINVALID, "Last-Event-ID %q is not an event sequence number", v)
	}
	return n, nil
}
