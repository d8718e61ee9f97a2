package simulate

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/channel/meta"
	"github.com/parleyhq/parley/internal/channel/whatsapp"
)

// WhatsApp builds Cloud API webhooks for one business number.
type WhatsApp struct {
	AppSecret     string
	PhoneNumberID string
	DisplayNumber string // digits, e.g. 15550001111
}

type waValue struct {
	MessagingProduct string            `json:"messaging_product"`
	Metadata         map[string]string `json:"metadata"`
	Contacts         []map[string]any  `json:"contacts,omitempty"`
	Messages         []map[string]any  `json:"messages,omitempty"`
	Statuses         []map[string]any  `json:"statuses,omitempty"`
}

// Messages builds one webhook carrying msgs (WhatsApp batches several).
func (w WhatsApp) Messages(msgs ...Message) Webhook {
	v := w.value()
	for _, m := range msgs {
		from := strings.TrimPrefix(m.From, "+")
		if m.ID == "" {
			m.ID = newID("wamid.SIM")
		}
		v.Contacts = append(v.Contacts, map[string]any{"profile": map[string]string{"name": m.Name}, "wa_id": from})
		msg := map[string]any{"from": from, "id": m.ID, "timestamp": strconv.FormatInt(at(m.At).Unix(), 10)}
		switch {
		case m.Payload != "":
			msg["type"], msg["interactive"] = "interactive", map[string]any{"type": "list_reply",
				"list_reply": map[string]string{"id": m.Payload, "title": m.Text}}
		case m.Media != nil:
			kind := whatsapp.MediaType(m.Media.MIMEType)
			md := map[string]any{"id": m.Media.ID, "mime_type": m.Media.MIMEType}
			if m.Text != "" {
				md["caption"] = m.Text
			}
			if kind == "document" && m.Media.Filename != "" {
				md["filename"] = m.Media.Filename
			}
			msg["type"], msg[kind] = kind, md
		default:
			msg["type"], msg["text"] = "text", map[string]string{"body": m.Text}
		}
		v.Messages = append(v.Messages, msg)
	}
	return w.wrap(v)
}

// Receipts builds one webhook of statuses.
func (w WhatsApp) Receipts(rs ...Receipt) Webhook {
	v := w.value()
	for _, r := range rs {
		st := map[string]any{"id": r.ID, "status": r.Status, "timestamp": strconv.FormatInt(at(r.At).Unix(), 10),
			"recipient_id": strings.TrimPrefix(r.To, "+")}
		if r.Status == "failed" {
			st["errors"] = []map[string]any{{"code": r.Code, "title": "Simulated failure"}}
		}
		v.Statuses = append(v.Statuses, st)
	}
	return w.wrap(v)
}

func (w WhatsApp) value() waValue {
	return waValue{MessagingProduct: "whatsapp", Metadata: map[string]string{"display_phone_number": w.DisplayNumber, "phone_number_id": w.PhoneNumberID}}
}

func (w WhatsApp) wrap(v waValue) Webhook {
	body, _ := json.Marshal(map[string]any{
		"object": whatsapp.Object,
		"entry":  []map[string]any{{"id": "WABA-SIM", "changes": []map[string]any{{"field": "messages", "value": v}}}},
	})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(whatsapp.SignatureHeader, meta.Sign(w.AppSecret, body))
	return Webhook{Body: body, Header: h}
}
