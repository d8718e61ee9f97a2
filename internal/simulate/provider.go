package simulate

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// Sent is one message Parley sent to a simulated provider.
type Sent struct {
	Channel string
	ID      string // the id the simulated provider gave it
	To      string
	Text    string // the text, or a description of a template or file
}

// Provider answers Parley's sends the way each provider's API answers a
// success, and reports every send on Sent. It is what `parley simulate`
// listens with; tests use the stricter fakes under internal/channel.
type Provider struct {
	Channel string
	Sent    chan Sent
	n       atomic.Int64
	// run makes the ids of this run its own: a counter alone restarted at
	// 1 with each `parley simulate`, and an inbox kept across runs then saw
	// the same provider id for two different messages.
	run     string
	runOnce sync.Once
}

// NewProvider returns a provider for channel (whatsapp, messenger, zalo,
// sms or rcs).
func NewProvider(channel string) *Provider {
	return &Provider{Channel: channel, Sent: make(chan Sent, 64)}
}

func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	p.runOnce.Do(func() { p.run = randomHex(6) })
	n := p.n.Add(1)
	s := Sent{Channel: p.Channel}
	var j map[string]any
	json.Unmarshal(body, &j)
	w.Header().Set("Content-Type", "application/json")
	switch p.Channel {
	case "whatsapp":
		if j["status"] == "read" {
			io.WriteString(w, `{"success":true}`)
			return
		}
		s.ID, s.To = fmt.Sprintf("wamid.SIM%s.%d", p.run, n), str(j["to"])
		s.Text = describe(j)
		fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":%q,"wa_id":%q}],"messages":[{"id":%q}]}`, s.To, s.To, s.ID)
	case "messenger":
		rec, _ := j["recipient"].(map[string]any)
		s.ID, s.To, s.Text = fmt.Sprintf("m_SIM%s.%d", p.run, n), str(rec["id"]), describe(j)
		fmt.Fprintf(w, `{"recipient_id":%q,"message_id":%q}`, s.To, s.ID)
	case "zalo":
		rec, _ := j["recipient"].(map[string]any)
		s.ID, s.To, s.Text = fmt.Sprintf("zmsg%s%d", p.run, n), str(rec["user_id"]), describe(j)
		fmt.Fprintf(w, `{"error":0,"message":"Success","data":{"message_id":%q,"user_id":%q}}`, s.ID, s.To)
	case "sms":
		form, _ := url.ParseQuery(string(body))
		s.ID, s.To, s.Text = twilioSID("SM"), form.Get("To"), form.Get("Body")
		if m := form["MediaUrl"]; len(m) > 0 {
			s.Text += fmt.Sprintf(" [+%d media]", len(m))
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"sid":%q,"status":"queued","to":%q,"body":%q}`, s.ID, s.To, s.Text)
	case "rcs":
		s.ID = r.URL.Query().Get("messageId")
		if i := strings.Index(r.URL.Path, "/phones/"); i >= 0 {
			s.To = strings.TrimSuffix(r.URL.Path[i+len("/phones/"):], "/agentMessages")
		}
		s.Text = describe(j)
		fmt.Fprintf(w, `{"name":"phones/%s/agentMessages/%s"}`, s.To, s.ID)
	default:
		http.NotFound(w, r)
		return
	}
	select {
	case p.Sent <- s:
	default: // nobody is reading: drop the report, never block the answer
	}
}

// describe finds the text of a JSON send in any provider's shape.
func describe(j map[string]any) string {
	if t, ok := j["text"].(map[string]any); ok {
		return str(t["body"])
	}
	if t, ok := j["template"].(map[string]any); ok {
		return "template " + str(t["name"])
	}
	if m, ok := j["message"].(map[string]any); ok {
		if t := str(m["text"]); t != "" {
			return t
		}
		return "(an attachment)"
	}
	if c, ok := j["contentMessage"].(map[string]any); ok {
		if t := str(c["text"]); t != "" {
			return t
		}
		return "(a file)"
	}
	for _, k := range []string{"image", "document", "audio", "video"} {
		if _, ok := j[k]; ok {
			return "(" + k + ")"
		}
	}
	return "(a message)"
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
