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

// sender sends one request and returns the answer's status and its first
// bytes (for error messages); the body is read to its end.
type sender interface {
	send(ctx context.Context, req request, auth string) (status int, head []byte, err error)
	close()
}

// newSender returns the sender a load worker uses: for plain http, one
// keep-alive connection of its own (connSender); for https, the shared
// client.
//
// Why not http.Client for everything: the generator runs on the machine it
// measures, and its CPU is taken from the server's. net/http's transport
// costs ~60 µs of CPU a request here (a read and a write goroutine per
// connection, channels and a context between them), wrk ~22 µs; the
// PostgreSQL ingest figures of issue 14 lost ~10% to that difference.
// connSender writes the request itself and parses the answer with
// http.ReadResponse, so status lines, Content-Length and chunked bodies
// are read exactly as net/http reads them.
func newSender(client *http.Client) sender {
	return &connSender{client: client, dialer: net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}}
}

// connSender holds one connection; it is not safe for concurrent use
// (each worker has its own, as each wrk connection is its own).
type connSender struct {
	client *http.Client
	dialer net.Dialer
	conn   net.Conn
	host   string // host:port of conn
	br     *bufio.Reader
	out    []byte
	// parsed caches the last URL's parts: a run sends to one URL or few.
	rawURL string
	parsed *url.URL
}

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
	// shared client; a context that ends cuts the connection at once.
	deadline := time.Now().Add(60 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	s.conn.SetDeadline(deadline)
	if _, err := s.conn.Write(b); err != nil {
		s.close()
		return 0, nil, err
	}
	resp, err := http.ReadResponse(s.br, nil)
	if err != nil {
		s.close()
		return 0, nil, err
	}
	var head [256]byte
	n, _ := io.ReadFull(resp.Body, head[:])
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.Close {
		// A body cut short leaves the stream unusable; a server that
		// closes is not asked again on this connection.
		s.close()
		if err != nil {
			return 0, nil, fmt.Errorf("reading the answer: %w", err)
		}
	}
	return resp.StatusCode, head[:n], nil
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
	var head [256]byte
	n, _ := io.ReadFull(resp.Body, head[:])
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, head[:n], nil
}

func (s *connSender) close() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}
