package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// sseMessage is one Server-Sent Events message as a client sees it.
type sseMessage struct {
	ID, Event, Data string
}

// sseStream is one open stream: a TCP connection carrying a single
// HTTP/1.1 request. The response is read by net/http's own parser
// (http.ReadResponse), so chunked transfer encoding is undone before the
// body is split into SSE lines, as a browser's EventSource does. (The
// tool once read the raw connection line by line: a chunk boundary inside
// a "data:" line, or a chunk-size line glued to one, lost or invented
// deliveries.) One goroutine per stream and a 1 KiB buffer keep ten
// thousand of them light on the client's side.
type sseStream struct {
	conn net.Conn
	done chan struct{} // closed when the reader stops
	err  error         // why it stopped; read after done
}

// openSSE sends GET base+path with header and waits for the response
// header: anything but a 200 text/event-stream is an error. Then each
// message goes to on, from the stream's own goroutine, until the
// connection ends (Close, or the server closing it).
func openSSE(ctx context.Context, base, path string, header http.Header, on func(sseMessage)) (*sseStream, error) {
	u, err := url.Parse(strings.TrimRight(base, "/") + path)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "text/event-stream")
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(conn, 1024)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		conn.Close()
		return nil, fmt.Errorf("GET %s: %s %s", path, resp.Status, strings.TrimSpace(string(b)))
	}
	conn.SetDeadline(time.Time{})
	s := &sseStream{conn: conn, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer conn.Close()
		s.err = readSSE(resp.Body, on)
	}()
	return s, nil
}

// Close ends the stream and waits for its reader.
func (s *sseStream) Close() {
	s.conn.Close()
	<-s.done
}

// readSSE splits an event stream into messages (the WHATWG rules: fields
// up to a blank line, "data" lines joined with newlines, ":" comments
// ignored) and hands each to on.
func readSSE(body io.Reader, on func(sseMessage)) error {
	r := bufio.NewReaderSize(body, 1024)
	var m sseMessage
	var data strings.Builder
	hasData := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			if hasData {
				m.Data = data.String()
				on(m)
			}
			m, hasData = sseMessage{ID: m.ID}, false
			data.Reset()
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			m.Event = value
		case "id":
			m.ID = value
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			data.WriteString(value)
			hasData = true
		}
	}
}

func closeStreams(streams []*sseStream) {
	for _, s := range streams {
		s.conn.Close()
	}
	for _, s := range streams {
		<-s.done
	}
}
