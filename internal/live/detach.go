package live

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Detached streams (StreamOptions.Detach). A widget's stream stays open
// as long as its page does and is almost always idle. Served through
// net/http it holds, for all that time, the connection's goroutine (with
// the stack that authorising the request grew, database calls included),
// net/http's background-read goroutine, the connection's 4 KiB read and
// 4 KiB write buffers, the response's 2 KiB chunking buffer, the request
// with its headers, and a ticker: measured at ~43 KiB a stream. Detached,
// once the replay is written the connection is taken from net/http
// (Hijack, after net/http has sent the response header) and the handler
// returns, which frees all of that. What stays is:
//
//   - one goroutine blocked reading the connection, which notices the
//     client leaving (EOF or a reset) as net/http's background read did;
//   - a runtime timer for the heartbeat (no goroutine, no channel);
//   - the subscription.
//
// Writing happens on a short-lived goroutine started when there is
// something to write (events, a heartbeat, the end), so rendering, which
// may read the database, never grows a stack that then stays. The wire is
// what net/http would send: the header it wrote says chunked, and each
// write here is one chunk.

// writeTimeout bounds one write to a client that stopped reading: it is
// then disconnected, and reconnects with Last-Event-ID if it is alive.
const writeTimeout = 30 * time.Second

// detached is one detached stream.
type detached struct {
	hub     *Hub
	conn    net.Conn
	sub     *Sub
	render  Render
	onClose func()

	mu      sync.Mutex
	timer   *time.Timer
	running bool  // a writer goroutine is on it
	dirty   bool  // something may be waiting since the writer last looked
	pingDue bool  // the heartbeat is due
	closed  bool  // ended: nothing more is written
	sent    int64 // highest seq written; only the (single) writer uses it
}

// detach takes over conn, whose response header net/http has sent: it
// writes the retry line and the replay on the calling (handler's)
// goroutine, then leaves the stream to its reader, timer and writers.
func (h *Hub) detach(r *http.Request, conn net.Conn, sub *Sub, from, after int64, opt StreamOptions) {
	d := &detached{hub: h, conn: conn, sub: sub, render: opt.Render, onClose: opt.OnClose}
	var buf bytes.Buffer
	buf.WriteString(retryLine)
	d.sent = h.replay(r.Context(), &buf, after, from, opt)
	if err := d.write(buf.Bytes()); err != nil {
		d.close()
		return
	}
	every := opt.heartbeat()
	d.mu.Lock()
	d.timer = time.AfterFunc(every, func() {
		d.mu.Lock()
		d.pingDue = true
		t, closed := d.timer, d.closed
		d.mu.Unlock()
		if !closed {
			d.kick()
			t.Reset(every)
		}
	})
	d.mu.Unlock()
	kick := d.kick
	sub.notify.Store(&kick)
	go d.read()
	d.kick() // events queued while the replay was written
}

// read waits for the client to leave. An EventSource sends nothing after
// its request, so anything read is discarded.
func (d *detached) read() {
	buf := make([]byte, 16)
	for {
		if _, err := d.conn.Read(buf); err != nil {
			d.close()
			return
		}
	}
}

// kick makes sure a writer will look at the stream.
func (d *detached) kick() {
	d.mu.Lock()
	d.dirty = true
	start := !d.running && !d.closed
	if start {
		d.running = true
	}
	d.mu.Unlock()
	if start {
		go d.writeLoop()
	}
}

// writeLoop writes what is waiting until nothing is, then exits.
func (d *detached) writeLoop() {
	for {
		d.mu.Lock()
		if !d.dirty || d.closed {
			d.running = false
			d.mu.Unlock()
			return
		}
		d.dirty = false
		ping := d.pingDue
		d.pingDue = false
		d.mu.Unlock()

		frames, ended := d.sub.Take()
		var buf bytes.Buffer
		if len(frames) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
			for _, f := range frames {
				if f.Event.Seq > d.sent {
					writeFrame(ctx, &buf, d.render, f)
					d.sent = f.Event.Seq
				}
			}
			cancel()
		}
		if ping {
			buf.WriteString(pingLine)
		}
		if buf.Len() > 0 {
			if err := d.write(buf.Bytes()); err != nil {
				d.close()
				return
			}
		}
		if ended {
			// The hub stopped, or this stream fell too far behind: end the
			// body properly; the client reconnects with Last-Event-ID.
			d.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			d.conn.Write([]byte("0\r\n\r\n"))
			d.close()
			return
		}
	}
}

// write sends p as one chunk.
func (d *detached) write(p []byte) error {
	out := make([]byte, 0, len(p)+12)
	out = strconv.AppendInt(out, int64(len(p)), 16)
	out = append(out, "\r\n"...)
	out = append(out, p...)
	out = append(out, "\r\n"...)
	d.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := d.conn.Write(out)
	return err
}

// close ends the stream once: its subscription, timer and connection go,
// and OnClose runs.
func (d *detached) close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	t := d.timer
	d.mu.Unlock()
	if t != nil {
		t.Stop()
	}
	d.sub.notify.Store(nil)
	d.hub.Unsubscribe(d.sub)
	d.hub.streams.Add(-1)
	d.conn.Close()
	if d.onClose != nil {
		d.onClose()
	}
}
