package simulate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/channel/zalo"
)

// Zalo builds Zalo Official Account (Open API v3) webhooks, signed with
// X-ZEvent-Signature the way package zalo checks it.
type Zalo struct {
	AppID       string
	OAID        string
	OASecretKey string // the OA secret key from the OA's webhook settings
}

// Messages builds the webhook of one customer message: Zalo posts one
// event per call, so exactly one Message must be given (it panics
// otherwise; call it once per message). Message.From is the customer's
// OA-scoped user id. With Media the event is user_send_image, _gif,
// _audio, _video or _file by its MIME type, Text the caption.
func (z Zalo) Messages(msgs ...Message) Webhook {
	one("Zalo", len(msgs))
	m := msgs[0]
	if m.ID == "" {
		m.ID = newID("simzalo")
	}
	msg := map[string]any{"msg_id": m.ID}
	if m.Text != "" {
		msg["text"] = m.Text
	}
	name := zalo.EventUserSendText
	if m.Media != nil {
		kind, payload := zaloMedia(m.Media)
		name = "user_send_" + kind
		msg["attachments"] = []map[string]any{{"type": kind, "payload": payload}}
	}
	return z.event(name, m.From, z.OAID, m.At, msg)
}

// Echo builds the oa_send_text event Zalo posts for a text the OA sent
// (through Parley or any other tool) to the customer in Message.From.
func (z Zalo) Echo(m Message) Webhook {
	return z.event("oa_send_text", z.OAID, m.From, m.At, map[string]any{"msg_id": m.ID, "text": m.Text})
}

// Receipts builds one user_received_message ("delivered") or
// user_seen_message ("read") event for messages the OA sent to the
// customer in Receipt.To. Zalo posts one event per call: all receipts must
// have the same status and recipient (it panics otherwise). Zalo has no
// failure receipts.
func (z Zalo) Receipts(rs ...Receipt) Webhook {
	if len(rs) == 0 {
		panic("simulate: Zalo.Receipts needs at least one receipt")
	}
	var ids []string
	for _, r := range rs {
		if r.Status != rs[0].Status || r.To != rs[0].To {
			panic("simulate: a Zalo receipt event has one status and one customer")
		}
		ids = append(ids, r.ID)
	}
	switch rs[0].Status {
	case "delivered":
		if len(ids) == 1 {
			return z.event(zalo.EventUserReceivedMessage, rs[0].To, z.OAID, rs[0].At, map[string]any{"msg_id": ids[0]})
		}
		return z.event(zalo.EventUserReceivedMessage, rs[0].To, z.OAID, rs[0].At, map[string]any{"msg_ids": ids})
	case "read":
		return z.event(zalo.EventUserSeenMessage, rs[0].To, z.OAID, rs[0].At, map[string]any{"msg_ids": ids})
	}
	panic("simulate: Zalo receipts are delivered or read, not " + strconv.Quote(rs[0].Status))
}

// Location builds a user_send_location event; Zalo sends the coordinates
// as strings.
func (z Zalo) Location(id, from string, lat, long float64) Webhook {
	c := map[string]string{"latitude": strconv.FormatFloat(lat, 'f', -1, 64), "longitude": strconv.FormatFloat(long, 'f', -1, 64)}
	return z.event(zalo.EventUserSendLocation, from, z.OAID, time.Time{}, map[string]any{"msg_id": id,
		"attachments": []map[string]any{{"type": "location", "payload": map[string]any{"coordinates": c}}}})
}

// Event builds any event: event_name, sender and recipient ids and the
// message object, with app_id and timestamp as Zalo adds them.
func (z Zalo) Event(name, sender, recipient string, message map[string]any) Webhook {
	return z.event(name, sender, recipient, time.Time{}, message)
}

// Sign signs any body. Zalo's signature covers the body's own "timestamp"
// field, given here as ts: sha256(app id + body + ts + OA secret key),
// hex, in X-ZEvent-Signature as "mac=<hex>".
func (z Zalo) Sign(body []byte, ts string) Webhook {
	h := sha256.New()
	h.Write([]byte(z.AppID))
	h.Write(body)
	h.Write([]byte(ts))
	h.Write([]byte(z.OASecretKey))
	hdr := http.Header{}
	hdr.Set("Content-Type", "application/json")
	hdr.Set(zalo.SignatureHeader, "mac="+hex.EncodeToString(h.Sum(nil)))
	return Webhook{Body: body, Header: hdr}
}

func (z Zalo) event(name, sender, recipient string, t time.Time, message map[string]any) Webhook {
	ts := strconv.FormatInt(at(t).UnixMilli(), 10)
	ev := map[string]any{"event_name": name, "app_id": z.AppID, "sender": map[string]string{"id": sender},
		"recipient": map[string]string{"id": recipient}, "message": message, "timestamp": ts}
	if strings.HasPrefix(name, "user_") {
		ev["user_id_by_app"] = "app-" + sender
	}
	body, _ := json.Marshal(ev)
	return z.Sign(body, ts)
}

// zaloMedia names a file's event kind and builds its attachment payload.
func zaloMedia(md *Media) (string, map[string]any) {
	switch {
	case md.MIMEType == "image/gif":
		return "gif", map[string]any{"url": md.URL, "thumbnail": md.URL}
	case strings.HasPrefix(md.MIMEType, "image/"):
		return "image", map[string]any{"url": md.URL, "thumbnail": md.URL}
	case strings.HasPrefix(md.MIMEType, "audio/"):
		return "audio", map[string]any{"url": md.URL}
	case strings.HasPrefix(md.MIMEType, "video/"):
		return "video", map[string]any{"url": md.URL, "thumbnail": md.URL}
	}
	p := map[string]any{"url": md.URL, "name": md.Filename, "size": "0"}
	if ext := strings.TrimPrefix(path.Ext(md.Filename), "."); ext != "" {
		p["type"] = ext
	}
	return "file", p
}

// one panics unless n is 1: the provider posts one event per call.
func one(provider string, n int) {
	if n != 1 {
		panic("simulate: " + provider + " posts one message per webhook call; build one call per message")
	}
}
