package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestSSEClientChunks: the stream client reads through chunked transfer
// encoding. The server flushes mid-line, so "data:" lines straddle chunk
// boundaries and chunk-size lines fall between SSE lines: a client that
// read the raw connection line by line lost such messages and took
// chunk sizes for data.
func TestSSEClientChunks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		for _, part := range []string{"retry: 2000\n\n: ping\n\nid: 1\nevent: message\nda", "ta: {\"n\":", "1}\n", "\nid: 2\ndata: a\ndata: b\n\n"} {
			fmt.Fprint(w, part)
			rc.Flush()
			time.Sleep(10 * time.Millisecond)
		}
	}))
	defer srv.Close()
	got := make(chan sseMessage, 10)
	s, err := openSSE(context.Background(), srv.URL, "/", nil, func(m sseMessage) { got <- m })
	if err != nil {
		t.Fatal(err)
	}
	<-s.done
	close(got)
	var all []sseMessage
	for m := range got {
		all = append(all, m)
	}
	want := []sseMessage{{ID: "1", Event: "message", Data: `{"n":1}`}, {ID: "2", Data: "a\nb"}}
	if fmt.Sprint(all) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", all, want)
	}
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no conversation yet", http.StatusNotFound)
	}))
	defer bad.Close()
	if _, err := openSSE(context.Background(), bad.URL, "/", nil, func(sseMessage) {}); err == nil {
		t.Fatal("a 404 was taken for a stream")
	}
}
