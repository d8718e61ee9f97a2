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
	if !strings.HasPrefix(text, "Here is how:\n\nWatch the video: ") || !strings.HasPrefix(link, s.App.BaseURL()+"/hooks/media/") {
		t.Fatalf("the SMS: %q", text)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(resp)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(got) != len(webm) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "video/webm") {
		t.Fatalf("the link = %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(got))
	}
	if m := s.message(decodeID(t, body)); m.DeliveryState != parley.DeliverySent {
		t.Fatalf("the reply: %s %s", m.DeliveryState, m.DeliveryError)
	}
}
