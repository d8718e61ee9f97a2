package simulate

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/parleyhq/parley/internal/channel/rbm"
)

// RBM builds Google RCS Business Messaging webhooks for one agent: the
// verification POST, and Pub/Sub-style pushes whose base64 message.data
// is the event, signed with X-Goog-Signature as RBM signs them.
type RBM struct {
	ClientToken string // the webhook client token set on the agent
	AgentID     string // e.g. "parley-agent@rbm.goog"
}

// Verification builds the POST RBM sends when the webhook is configured;
// the webhook must answer 200 with secret as the plain body.
func (g RBM) Verification(secret string) Webhook {
	body, _ := json.Marshal(map[string]string{"clientToken": g.ClientToken, "secret": secret})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return Webhook{Body: body, Header: h}
}

// Messages builds the push of one UserMessage: RBM pushes one event per
// call, so exactly one Message must be given (it panics otherwise; call
// it once per message). Message.From is the customer's E.164 number;
// Media becomes a userFile, Text a text message.
func (g RBM) Messages(msgs ...Message) Webhook {
	one("RBM", len(msgs))
	m := msgs[0]
	if m.ID == "" {
		m.ID = newID("MxSIM")
	}
	ev := g.user(m.From, m.ID, m.At)
	if m.Media != nil {
		ev["userFile"] = map[string]any{"payload": map[string]any{"mimeType": m.Media.MIMEType, "fileSizeBytes": 0,
			"fileUri": m.Media.URL, "fileName": m.Media.Filename}}
	} else if m.Payload != "" {
		ev["suggestionResponse"] = map[string]any{"postbackData": m.Payload, "text": m.Text, "type": "REPLY"}
	} else {
		ev["text"] = m.Text
	}
	return g.push(ev)
}

// Receipts builds the push of one event about a message the agent sent
// (Receipt.ID is its RBM message id, To the customer's number): exactly
// one Receipt must be given (it panics otherwise). "delivered" and "read"
// are UserEvents DELIVERED and READ; "expired" (or "failed") is the
// ServerEvent TTL_EXPIRATION_REVOKED RBM sends when a message's time to
// live ran out before it was delivered and RBM withdrew it.
func (g RBM) Receipts(rs ...Receipt) Webhook {
	one("RBM", len(rs))
	r := rs[0]
	var ev map[string]any
	switch r.Status {
	case "delivered", "read":
		ev = g.user(r.To, r.ID, r.At)
		ev["eventType"] = map[string]string{"delivered": "DELIVERED", "read": "READ"}[r.Status]
		ev["eventId"] = newID("MxEV")
	case "expired", "failed":
		ev = map[string]any{"phoneNumber": r.To, "messageId": r.ID, "agentId": g.AgentID, "eventId": newID("MxSE"),
			"eventType": "TTL_EXPIRATION_REVOKED", "sendTime": rfc3339(r.At)}
	default:
		panic("simulate: RBM receipts are delivered, read or expired, not " + strconv.Quote(r.Status))
	}
	return g.push(ev)
}

// Location builds the push of a UserMessage sharing a place.
func (g RBM) Location(id, from string, lat, long float64) Webhook {
	ev := g.user(from, id, time.Time{})
	ev["location"] = map[string]float64{"latitude": lat, "longitude": long}
	return g.push(ev)
}

// Push builds a signed push of any decoded event.
func (g RBM) Push(event []byte) Webhook {
	body, _ := json.Marshal(map[string]any{
		"message": map[string]any{
			"data":        base64.StdEncoding.EncodeToString(event),
			"messageId":   newID(""),
			"publishTime": rfc3339(time.Time{}),
			"attributes":  map[string]string{},
		},
		"subscription": "projects/rbm-agent/subscriptions/rbm-agent-webhook",
	})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(rbm.SignatureHeader, rbm.Signature(g.ClientToken, event))
	return Webhook{Body: body, Header: h}
}

func (g RBM) user(from, id string, t time.Time) map[string]any {
	return map[string]any{"senderPhoneNumber": from, "messageId": id, "sendTime": rfc3339(t), "agentId": g.AgentID}
}

func (g RBM) push(ev map[string]any) Webhook {
	b, _ := json.Marshal(ev)
	return g.Push(b)
}

func rfc3339(t time.Time) string { return at(t).UTC().Format("2006-01-02T15:04:05.000000Z") }
