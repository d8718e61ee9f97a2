package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestConnSender checks the load workers' own HTTP/1.1 client against
// net/http's server: the request arrives whole (method, path, headers,
// body), answers with a length, chunked or closing the connection are
// read to their end, and keep-alive answers reuse one connection.
func TestConnSender(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("X-Sig") != "s1" ||
			(r.Method == http.MethodPost && (r.Header.Get("Content-Type") != "application/json" || string(body) != `{"n":1}`)) {
			http.Error(w, "bad request: "+r.Method+" "+string(body), http.StatusBadRequest)
			return
		}
		switch r.URL.Query().Get("mode") {
		case "chunked":
			w.Write([]byte(strings.Repeat("a", 300)))
			w.(http.Flusher).Flush()
			w.Write([]byte(strings.Repeat("b", 5000)))
		case "close":
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusAccepted)
			w.Write([]byte("bye"))
		default:
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"ok":true}`))
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	s := newSender(srv.Client())
	defer s.close()
	ctx := context.Background()
	post := func(q string) request {
		return request{method: http.MethodPost, url: srv.URL + "/in?" + q, body: []byte(`{"n":1}`), header: [2]string{"X-Sig", "s1"}}
	}
	for i, c := range []struct {
		req    request
		status int
		head   string
	}{
		{post(""), 201, `{"ok":true}`},
		{post("mode=chunked"), 200, strings.Repeat("a", 256)},
		{post(""), 201, `{"ok":true}`},
		{request{method: http.MethodGet, url: srv.URL + "/x", header: [2]string{"X-Sig", "s1"}}, 201, `{"ok":true}`},
		{post("mode=close"), 202, "bye"},
		{post(""), 201, `{"ok":true}`},
		{request{method: http.MethodPost, url: srv.URL + "/in", body: []byte(`{}`), header: [2]string{"X-Sig", "s1"}}, 400, "bad request: POST {}\n"},
	} {
		status, head, err := s.send(ctx, c.req, "Bearer tok")
		if err != nil || status != c.status || string(head) != c.head {
			t.Fatalf("request %d: %d %q %v, want %d %q", i, status, head, err, c.status, c.head)
		}
	}
	// One connection until the server closed it, then one more.
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

// TestConnSenderHTTPSAndCancel checks the two ways out of the sender's own
// connection: https goes through the shared client, and a run's context
// that ends cuts an answer still awaited.
func TestConnSenderHTTPSAndCancel(t *testing.T) {
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
		}
		w.Write([]byte("tls " + r.Method))
	}))
	defer tls.Close()
	s := newSender(tls.Client())
	status, head, err := s.send(context.Background(), request{method: http.MethodGet, url: tls.URL + "/x"}, "Bearer tok")
	if err != nil || status != 200 || string(head) != "tls GET" {
		t.Fatalf("https: %d %q %v", status, head, err)
	}

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer slow.Close()
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	s = newSender(slow.Client())
	defer s.close()
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	if _, _, err := s.send(ctx, request{method: http.MethodGet, url: slow.URL}, "Bearer tok"); err == nil {
		t.Fatal("an answer never sent came back without an error")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the cancelled exchange took %s", d)
	}
}
