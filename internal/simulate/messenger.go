package simulate

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/parleyhq/parley/internal/channel/messenger"
	"github.com/parleyhq/parley/internal/channel/meta"
)

// Messenger builds Messenger Platform webhooks (object "page") for one
// Facebook page, signed with X-Hub-Signature-256 as Meta signs them.
type Messenger struct {
	AppSecret string
	PageID    string
	// AppID, when set, is the app_id on echoes (the app that sent them).
	AppID string
}

// Messages builds one webhook carrying msgs, each from the page-scoped id
// in Message.From. Messenger has no captions: a Message with both Text
// and Media becomes two events, the text one with mid ID+"-text" and the
// file one with ID. Message.Name is not sent (Messenger gives no names in
// webhooks).
func (f Messenger) Messages(msgs ...Message) Webhook {
	var events []map[string]any
	for _, m := range msgs {
		if m.ID == "" {
			m.ID = newID("m_SIM")
		}
		if m.Media != nil && m.Text != "" {
			events = append(events, f.event(m.From, m.At, "message", map[string]any{"mid": m.ID + "-text", "text": m.Text}))
		}
		msg := map[string]any{"mid": m.ID}
		if m.Media != nil {
			msg["attachments"] = []map[string]any{{"type": messenger.AttachmentType(m.Media.MIMEType), "payload": map[string]string{"url": m.Media.URL}}}
		} else {
			msg["text"] = m.Text
		}
		if m.Payload != "" {
			msg["quick_reply"] = map[string]string{"payload": m.Payload}
		}
		events = append(events, f.event(m.From, m.At, "message", msg))
	}
	return f.wrap(events)
}

// Echoes builds the message_echoes webhook Messenger sends for every
// message the page sent (through Parley or any other tool): sender is the
// page, recipient the customer, whose page-scoped id is in Message.From.
// Message.ID is the mid the page's send got.
func (f Messenger) Echoes(msgs ...Message) Webhook {
	var events []map[string]any
	for _, m := range msgs {
		if m.ID == "" {
			m.ID = newID("m_SIM")
		}
		msg := map[string]any{"mid": m.ID, "is_echo": true, "text": m.Text}
		if f.AppID != "" {
			msg["app_id"] = json.Number(f.AppID)
		}
		events = append(events, map[string]any{"sender": map[string]string{"id": f.PageID}, "recipient": map[string]string{"id": m.From},
			"timestamp": at(m.At).UnixMilli(), "message": msg})
	}
	return f.wrap(events)
}

// Receipts builds delivery and read events. Messenger reports per
// customer, not per message: "delivered" becomes a message_deliveries
// event listing Receipt.ID (none when it is empty) with watermark At;
// "read" a message_reads event with watermark At ("everything the page
// sent before At was read"). Receipt.To is the customer's page-scoped id.
// Messenger sends no failure receipts: other statuses are left out.
func (f Messenger) Receipts(rs ...Receipt) Webhook {
	var events []map[string]any
	for _, r := range rs {
		switch r.Status {
		case "delivered":
			var mids []string
			if r.ID != "" {
				mids = []string{r.ID}
			}
			events = append(events, f.delivery(r.To, at(r.At), mids))
		case "read":
			events = append(events, f.event(r.To, r.At, "read", map[string]any{"watermark": at(r.At).UnixMilli()}))
		}
	}
	return f.wrap(events)
}

// Delivered builds a message_deliveries event: the customer psid's device
// got every message the page sent up to watermark (and those in mids).
func (f Messenger) Delivered(psid string, watermark time.Time, mids ...string) Webhook {
	return f.wrap([]map[string]any{f.delivery(psid, watermark, mids)})
}

// Read builds a message_reads event: psid read everything the page sent
// up to watermark.
func (f Messenger) Read(psid string, watermark time.Time) Webhook {
	return f.wrap([]map[string]any{f.event(psid, watermark, "read", map[string]any{"watermark": watermark.UnixMilli()})})
}

// Location builds a message sharing a place, as Messenger sends it: a
// "location" attachment with coordinates.
func (f Messenger) Location(id, psid string, lat, long float64, title string) Webhook {
	a := map[string]any{"type": "location", "title": title,
		"payload": map[string]any{"coordinates": map[string]float64{"lat": lat, "long": long}}}
	return f.wrap([]map[string]any{f.event(psid, time.Time{}, "message", map[string]any{"mid": id, "attachments": []map[string]any{a}})})
}

// Sign wraps any body as a webhook signed with the app secret, for
// payloads the other methods do not build.
func (f Messenger) Sign(body []byte) Webhook {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(messenger.SignatureHeader, meta.Sign(f.AppSecret, body))
	return Webhook{Body: body, Header: h}
}

func (f Messenger) delivery(psid string, watermark time.Time, mids []string) map[string]any {
	d := map[string]any{"watermark": watermark.UnixMilli()}
	if len(mids) > 0 {
		d["mids"] = mids
	}
	return f.event(psid, watermark, "delivery", d)
}

// event is one messaging event from a customer to the page, carrying
// value under key: "message", "delivery" or "read".
func (f Messenger) event(psid string, t time.Time, key string, value any) map[string]any {
	return map[string]any{"sender": map[string]string{"id": psid}, "recipient": map[string]string{"id": f.PageID},
		"timestamp": at(t).UnixMilli(), key: value}
}

func (f Messenger) wrap(events []map[string]any) Webhook {
	if events == nil {
		events = []map[string]any{}
	}
	body, _ := json.Marshal(map[string]any{
		"object": messenger.Object,
		"entry":  []map[string]any{{"id": f.PageID, "time": time.Now().UnixMilli(), "messaging": events}},
	})
	return f.Sign(body)
}
