package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// newSender returns what a load worker sends with: one keep-alive
// connection of its own for plain http (connSender), the shared client
// for https.
//
// Why not http.Client for everything: the generator runs on the machine it
// measures, and its CPU is taken from the server's. net/http's transport
// costs ~60 µs of CPU a request here (a read and a write goroutine per
// connection, channels and a context between them), wrk ~22 µs; the
// PostgreSQL ingest figures of issue 14 lost ~10% to that difference.
// connSender writes the request itself and parses the answer with
// http.ReadResponse, so status lines, Content-Length and chunked bodies
// are read exactly as net/http reads them.
func newSender(client *http.Client) *connSender {
	return &connSender{client: client, dialer: net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}}
}

// connSender holds one connection; it is not safe for concurrent use
// (each worker has its own, as each wrk connection is its own).
type connSender struct {
	client *http.Client
	dialer net.Dialer
	conn   net.Conn
	host   string      // host:port of conn
	unhook func() bool // stops cutting conn when the run's context ends
	br     *bufio.Reader
	out    []byte
	head   [256]byte // the last answer's first bytes
	// parsed caches the last URL's parts: a run sends to one URL or few.
	rawURL string
	parsed *url.URL
}

// send sends req and returns the answer's status and first bytes (valid
// until the next send); the body is read to its end.
func (s *connSender) send(ctx context.Context, req request, auth string) (int, []byte, error) {
	if req.url != s.rawURL {
		u, err := url.Parse(req.url)
		if err != nil {
			return 0, nil, err
		}
		s.rawURL, s.parsed = req.url, u
	}
	u := s.parsed
	if u.Scheme != "http" {
		return s.viaClient(ctx, req, auth)
	}
	if s.conn == nil || s.host != u.Host {
		s.close()
		c, err := s.dialer.DialContext(ctx, "tcp", u.Host)
		if err != nil {
			return 0, nil, err
		}
		s.conn, s.host, s.br = c, u.Host, bufio.NewReaderSize(c, 4096)
		// A run that ends (or is interrupted) cuts an exchange in flight,
		// as the shared client's request context does.
		s.unhook = context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	}
	b := s.out[:0]
	b = append(b, req.method...)
	b = append(b, ' ')
	b = append(b, u.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, u.Host...)
	b = append(b, "\r\nUser-Agent: parley-load\r\nAuthorization: "...)
	b = append(b, auth...)
	if req.header[0] != "" {
		b = append(b, "\r\n"...)
		b = append(b, req.header[0]...)
		b = append(b, ": "...)
		b = append(b, req.header[1]...)
	}
	if req.body != nil {
		b = append(b, "\r\nContent-Type: application/json\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(req.body)), 10)
	}
	b = append(b, "\r\n\r\n"...)
	b = append(b, req.body...)
	s.out = b
	// One deadline for the exchange, as http.Client.Timeout gives the
	// shared client.
	s.conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := s.conn.Write(b); err != nil {
		s.close()
		return 0, nil, err
	}
	resp, err := http.ReadResponse(s.br, nil)
	if err != nil {
		s.close()
		return 0, nil, err
	}
	head, err := readAnswer(resp, s.head[:])
	if err != nil || resp.Close {
		// A body cut short leaves the stream unusable; a server that
		// closes is not asked again on this connection.
		s.close()
		if err != nil {
			return 0, nil, fmt.Errorf("reading the answer: %w", err)
		}
	}
	return resp.StatusCode, head, nil
}

// readAnswer reads an answer's body to its end and returns its first
// bytes (as many as head holds, read into it), for error messages.
func readAnswer(resp *http.Response, head []byte) ([]byte, error) {
	defer resp.Body.Close()
	n, err := io.ReadFull(resp.Body, head)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return head[:n], nil
	}
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return head[:n], err
}

// viaClient sends through the shared client (https).
func (s *connSender) viaClient(ctx context.Context, req request, auth string) (int, []byte, error) {
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, req.url, body)
	if err != nil {
		return 0, nil, err
	}
	hr.Header["Authorization"] = []string{auth}
	if req.body != nil {
		hr.Header["Content-Type"] = []string{"application/json"}
	}
	if req.header[0] != "" {
		hr.Header[req.header[0]] = []string{req.header[1]}
	}
	resp, err := s.client.Do(hr)
	if err != nil {
		return 0, nil, err
	}
	head, err := readAnswer(resp, s.head[:])
	return resp.StatusCode, head, err
}

func (s *connSender) close() {
	if s.conn != nil {
		s.unhook()
		s.conn.Close()
		s.conn = nil
	}
}
