package rbm

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/parley"
)

// ErrInvalidPayload is returned for a push that is not a well-formed RBM
// webhook. Answer 400 (RBM retries non-200 answers for up to 7 days, so
// answer 200 to anything you have stored or deliberately ignored).
var ErrInvalidPayload = errors.New("rbm: invalid webhook payload")

// Push is the Pub/Sub-style envelope RBM posts to a webhook.
type Push struct {
	Message struct {
		Data        string            `json:"data"` // base64 of the event JSON
		MessageID   string            `json:"messageId"`
		PublishTime string            `json:"publishTime"`
		Attributes  map[string]string `json:"attributes"`
	} `json:"message"`
	Subscription string `json:"subscription"`
}

// DecodePush reads the envelope of a push and returns its decoded data,
// the bytes the signature is over.
func DecodePush(body []byte) ([]byte, error) {
	var p Push
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPayload, err)
	}
	if p.Message.Data == "" {
		return nil, fmt.Errorf("%w: no message.data", ErrInvalidPayload)
	}
	data, err := base64.StdEncoding.DecodeString(p.Message.Data)
	if err != nil {
		return nil, fmt.Errorf("%w: message.data: %v", ErrInvalidPayload, err)
	}
	return data, nil
}

// ParseWebhook checks and parses one push: it decodes the envelope,
// verifies the X-Goog-Signature value over the decoded data (an error
// wrapping channel.ErrBadSignature means answer 401 and store nothing),
// then parses the event with ParseEvent.
func ParseWebhook(clientToken string, body []byte, signature string) (channel.Batch, error) {
	data, err := DecodePush(body)
	if err != nil {
		return channel.Batch{}, err
	}
	if err := VerifySignature(clientToken, data, signature); err != nil {
		return channel.Batch{}, err
	}
	return ParseEvent(data)
}

// Verification answers RBM's webhook verification request, a POST of
// {"clientToken": …, "secret": …} sent when the webhook is configured.
// ok is false if body is not one; err is channel.ErrBadSignature if its
// client token is not ours. Otherwise reply 200 with secret as the plain
// text body.
func Verification(clientToken string, body []byte) (secret string, ok bool, err error) {
	var v struct {
		ClientToken *string          `json:"clientToken"`
		Secret      *string          `json:"secret"`
		Message     *json.RawMessage `json:"message"`
	}
	if json.Unmarshal(body, &v) != nil || v.ClientToken == nil || v.Secret == nil || v.Message != nil {
		return "", false, nil
	}
	if clientToken == "" || subtle.ConstantTimeCompare([]byte(*v.ClientToken), []byte(clientToken)) != 1 {
		return "", true, channel.ErrBadSignature
	}
	return *v.Secret, true, nil
}

// event is the union of RBM's UserMessage, UserEvent and ServerEvent.
type event struct {
	SenderPhoneNumber string `json:"senderPhoneNumber"` // UserMessage, UserEvent
	PhoneNumber       string `json:"phoneNumber"`       // ServerEvent
	MessageID         string `json:"messageId"`
	EventID           string `json:"eventId"`
	EventType         string `json:"eventType"`
	SendTime          string `json:"sendTime"`
	AgentID           string `json:"agentId"`

	Text     *string `json:"text"`
	UserFile *struct {
		Payload struct {
			MIMEType string `json:"mimeType"`
			FileURI  string `json:"fileUri"`
			FileName string `json:"fileName"`
		} `json:"payload"`
	} `json:"userFile"`
	Location *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
	} `json:"location"`
	SuggestionResponse *struct {
		PostbackData string `json:"postbackData"`
		Text         string `json:"text"`
		Type         string `json:"type"`
	} `json:"suggestionResponse"`
}

// ParseEvent parses the decoded data of a push (already verified):
//
//   - a UserMessage (text, userFile, location or suggestionResponse)
//     becomes an Inbound; one with content this package does not know
//     becomes KindUnsupported. Its messageId is the idempotency key: RBM
//     redelivers until it gets a 200.
//   - a UserEvent DELIVERED or READ becomes a Receipt for the agent
//     message it names; IS_TYPING and other events are ignored.
//   - a ServerEvent TTL_EXPIRATION_REVOKED (our message expired
//     undelivered and was withdrawn) becomes a failed Receipt whose error
//     has Code CodeExpired: send by SMS instead. Others are ignored.
func ParseEvent(data []byte) (channel.Batch, error) {
	var e event
	if err := json.Unmarshal(data, &e); err != nil {
		return channel.Batch{}, fmt.Errorf("%w: %v", ErrInvalidPayload, err)
	}
	ts, _ := time.Parse(time.RFC3339Nano, e.SendTime) // zero when absent: use the receive time
	switch {
	case e.PhoneNumber != "" && e.SenderPhoneNumber == "": // ServerEvent
		if e.EventType != "TTL_EXPIRATION_REVOKED" {
			return channel.Batch{}, nil
		}
		if e.MessageID == "" {
			return channel.Batch{}, fmt.Errorf("%w: server event without messageId", ErrInvalidPayload)
		}
		return channel.Batch{Receipts: []channel.Receipt{{
			ProviderMessageID: e.MessageID, State: parley.DeliveryFailed, Timestamp: ts, Recipient: e.PhoneNumber,
			Error: &channel.SendError{Code: CodeExpired, Message: "The RCS message was not delivered before it expired and was withdrawn; send it by SMS instead.", Permanent: true},
		}}}, nil
	case e.SenderPhoneNumber == "":
		return channel.Batch{}, fmt.Errorf("%w: no senderPhoneNumber", ErrInvalidPayload)
	case e.EventType != "": // UserEvent
		var state parley.DeliveryState
		switch e.EventType {
		case "DELIVERED":
			state = parley.DeliveryDelivered
		case "READ":
			state = parley.DeliveryRead
		default: // IS_TYPING and anything newer
			return channel.Batch{}, nil
		}
		if e.MessageID == "" {
			return channel.Batch{}, fmt.Errorf("%w: %s event without messageId", ErrInvalidPayload, e.EventType)
		}
		return channel.Batch{Receipts: []channel.Receipt{{
			ProviderMessageID: e.MessageID, State: state, Timestamp: ts, Recipient: e.SenderPhoneNumber,
		}}}, nil
	case e.MessageID == "":
		return channel.Batch{}, fmt.Errorf("%w: user message without messageId", ErrInvalidPayload)
	}
	in := channel.Inbound{
		ProviderMessageID: e.MessageID,
		From:              channel.Sender{ID: e.SenderPhoneNumber, Phone: e.SenderPhoneNumber},
		To:                e.AgentID,
		Timestamp:         ts,
	}
	switch {
	case e.Text != nil:
		in.Kind, in.Text = channel.KindText, *e.Text
	case e.SuggestionResponse != nil:
		// The tapped suggestion's text, and its postbackData as Payload.
		in.Kind, in.Text, in.Payload = channel.KindInteractive, e.SuggestionResponse.Text, e.SuggestionResponse.PostbackData
		if in.Text == "" {
			in.Text = e.SuggestionResponse.PostbackData
		}
	case e.Location != nil:
		in.Kind = channel.KindLocation
		in.Location = &channel.Location{Latitude: e.Location.Latitude, Longitude: e.Location.Longitude}
	case e.UserFile != nil && e.UserFile.Payload.FileURI != "":
		p := e.UserFile.Payload
		in.Kind = kindOf(p.MIMEType)
		in.Media = []channel.Media{{URL: p.FileURI, MIMEType: p.MIMEType, Filename: p.FileName}}
	default:
		in.Kind, in.Text = channel.KindUnsupported, "The customer sent an RCS message that cannot be shown here."
	}
	return channel.Batch{Messages: []channel.Inbound{in}}, nil
}

func kindOf(mime string) string {
	mime = strings.ToLower(mime)
	switch {
	case strings.HasPrefix(mime, "image/"):
		return channel.KindImage
	case strings.HasPrefix(mime, "audio/"):
		return channel.KindAudio
	case strings.HasPrefix(mime, "video/"):
		return channel.KindVideo
	case mime == "text/vcard" || mime == "text/x-vcard":
		return channel.KindContacts
	}
	return channel.KindDocument
}
