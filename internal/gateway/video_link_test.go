package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/simulate"
)

// TestVideoAsLink: a screen recording (WebM) replied on SMS, which cannot
// carry video, reaches the customer as a link that plays it, for 30 days,
// and no media is sent.
func TestVideoAsLink(t *testing.T) {
	s := startSMS(t, "sqlite", nil)
	if status, body := s.post(s.hook, s.sim.Messages(simulate.Message{From: twCustomer, Text: "How do I reset it?"})); status != 200 {
		t.Fatalf("SMS = %d %s", status, body)
	}
	s.runJobs()
	conv := s.onlyConversation(s.inbox)
	webm := append([]byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04webm"), make([]byte, 2000)...)
	var up struct {
		UploadID string `json:"upload_id"`
	}
	status, out := s.Do("POST", "/api/v1/uploads", webm, true)
	if status != 201 || json.Unmarshal(out, &up) != nil {
		t.Fatalf("upload = %d %s", status, out)
	}
	status, body := s.reply(conv.ID, map[string]any{"text": "Here is how:", "attachments": []map[string]string{{"upload_id": up.UploadID, "filename": "screen-recording-12s.webm"}}})
	if status != 201 {
		t.Fatalf("reply = %d %s", status, body)
	}
	s.runJobs()
	reqs := s.fake.Requests()
	if len(reqs) != 1 || len(reqs[0].Form["MediaUrl"]) != 0 {
		t.Fatalf("fake got %+v", reqs)
	}
	text := reqs[0].Form.Get("Body")
	link := text[strings.LastIndex(text, " ")+1:]
	if !strings.HasPrefix(text, "Here is how:\n\nWatch the video: ") || !strings.HasPrefix(link, s.App.BaseURL()+"/hooks/watch/") {
		t.Fatalf("the SMS: %q", text)
	}
	get := func(u string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp, string(readAll(resp))
	}
	// The link opens a page that plays the file, with no script.
	resp, page := get(link)
	src := strings.Replace(strings.TrimPrefix(link, s.App.BaseURL()), "/hooks/watch/", "/hooks/media/", 1)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(page, `<video controls playsinline preload="metadata" src="`+src+`#t=0.1">`) || !strings.Contains(page, "A video from sms test") ||
		!strings.Contains(page, "screen-recording-12s.webm") || strings.Contains(page, "<script") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("the page = %d %s %s", resp.StatusCode, resp.Header, page)
	}
	resp, got := get(s.App.BaseURL() + src)
	if resp.StatusCode != 200 || len(got) != len(webm) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "video/webm") ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "inline") {
		t.Fatalf("the file = %d %s %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), len(got))
	}
	// A link altered by a character, or to a file that is not a video, is not found.
	if resp, _ := get(link[:len(link)-1] + "x"); resp.StatusCode != 404 {
		t.Errorf("a forged watch link = %d", resp.StatusCode)
	}
	if m := s.message(decodeID(t, body)); m.DeliveryState != parley.DeliverySent {
		t.Fatalf("the reply: %s %s", m.DeliveryState, m.DeliveryError)
	}
}
