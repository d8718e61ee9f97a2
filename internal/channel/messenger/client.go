package messenger

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/channel/meta"
)

// DefaultBaseURL is the Graph API.
const DefaultBaseURL = meta.GraphURL

// DefaultVersion is the Graph API version used when Client.Version is
// empty.
const DefaultVersion = meta.GraphVersion

// Client sends messages as one Facebook page.
type Client struct {
	BaseURL     string // DefaultBaseURL if empty; a fake's URL in tests
	Version     string // DefaultVersion if empty
	AccessToken string // the page access token (pages_messaging), sent as a Bearer header
	PageID      string // sends go to /{PageID}/messages; /me/messages if empty
	HTTP        *http.Client
}

// Tags Messenger accepts with messaging_type MESSAGE_TAG, for messages
// outside the 24-hour window. None may carry promotional content;
// HUMAN_AGENT must be written by a person and needs Meta's approval.
var Tags = map[string]bool{
	"HUMAN_AGENT":            true,
	"CONFIRMED_EVENT_UPDATE": true,
	"POST_PURCHASE_UPDATE":   true,
	"ACCOUNT_UPDATE":         true,
	"CUSTOMER_FEEDBACK":      true,
}

type sendRequest struct {
	Recipient     recipient `json:"recipient"`
	MessagingType string    `json:"messaging_type"`
	Tag           string    `json:"tag,omitempty"`
	Message       message   `json:"message"`
}

type recipient struct {
	ID string `json:"id"`
}

type message struct {
	Text         string       `json:"text,omitempty"`
	Attachment   *attachment  `json:"attachment,omitempty"`
	QuickReplies []quickReply `json:"quick_replies,omitempty"`
}

// quickReply is a text quick reply: its payload comes back in the
// message's quick_reply.payload when tapped.
type quickReply struct {
	ContentType string `json:"content_type"` // "text"
	Title       string `json:"title"`
	Payload     string `json:"payload"`
}

// Limits of quick replies.
const (
	MaxQuickReplies      = 13
	MaxQuickReplyTitle   = 20   // characters
	MaxQuickReplyPayload = 1000 // characters
)

type attachment struct {
	Type    string `json:"type"`
	Payload struct {
		URL          string `json:"url,omitempty"`
		IsReusable   bool   `json:"is_reusable,omitempty"`
		AttachmentID string `json:"attachment_id,omitempty"`
	} `json:"payload"`
}

// MaxTextLength is the Send API's limit on a text message, in UTF-8
// characters.
const MaxTextLength = 2000

func invalid(format string, args ...any) *channel.SendError {
	return &channel.SendError{Code: "invalid_outbound", Message: fmt.Sprintf(format, args...), Permanent: true}
}

func build(out channel.Outbound) (*sendRequest, error) {
	if out.To == "" {
		return nil, invalid("The message has no recipient.")
	}
	if out.Template != nil {
		return nil, invalid("Messenger has no message templates; outside the 24-hour window use the Human Agent tag.")
	}
	r := &sendRequest{MessagingType: "RESPONSE"}
	r.Recipient.ID = out.To
	if out.Tag != "" {
		if !Tags[out.Tag] {
			return nil, invalid("%q is not a Messenger message tag.", out.Tag)
		}
		r.MessagingType, r.Tag = "MESSAGE_TAG", out.Tag
	}
	switch {
	case len(out.Media) > 1:
		return nil, invalid("Messenger sends one attachment per message; send the files one at a time.")
	case len(out.Media) == 1:
		m := out.Media[0]
		if out.Text != "" || m.Caption != "" {
			// The Send API has no captions: text and attachment are
			// separate messages.
			return nil, invalid("Messenger cannot put text on an attachment; send the text as its own message.")
		}
		if (m.URL == "") == (m.ProviderID == "") {
			return nil, invalid("A Messenger attachment needs either a URL or an uploaded attachment id.")
		}
		a := &attachment{Type: AttachmentType(m.MIMEType)}
		if m.ProviderID != "" {
			a.Payload.AttachmentID = m.ProviderID
		} else {
			a.Payload.URL, a.Payload.IsReusable = m.URL, true
		}
		r.Message.Attachment = a
	case out.Text != "":
		if len([]rune(out.Text)) > MaxTextLength {
			return nil, invalid("A Messenger message is at most %d characters.", MaxTextLength)
		}
		r.Message.Text = out.Text
		if len(out.Choices) > MaxQuickReplies {
			return nil, invalid("Messenger offers at most %d quick replies.", MaxQuickReplies)
		}
		for _, c := range out.Choices {
			if c.ID == "" || len([]rune(c.ID)) > MaxQuickReplyPayload || c.Title == "" {
				return nil, invalid("A quick reply needs a title and a payload of at most %d characters.", MaxQuickReplyPayload)
			}
			r.Message.QuickReplies = append(r.Message.QuickReplies,
				quickReply{ContentType: "text", Title: channel.Clip(c.Title, MaxQuickReplyTitle), Payload: c.ID})
		}
	default:
		return nil, invalid("The message is empty.")
	}
	return r, nil
}

// AttachmentType is the Messenger attachment type for a MIME type.
func AttachmentType(mime string) string { return channel.MediaKind(mime, "file") }

func (c *Client) messagesURL() string {
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	v := c.Version
	if v == "" {
		v = DefaultVersion
	}
	page := c.PageID
	if page == "" {
		page = "me"
	}
	return strings.TrimRight(base, "/") + "/" + v + "/" + page + "/messages"
}

// Send sends one message and returns its Messenger message id (mid),
// which later delivery and echo events refer to. Outbound.Tag selects
// messaging_type MESSAGE_TAG (use Window to know when it is needed);
// otherwise RESPONSE. Outbound.ReplyToID is not sent.
//
// A refusal by Messenger, or an Outbound Messenger cannot carry, is a
// *channel.SendError (see SendErrorFor). Any other error means the API
// could not be reached (network failure, ctx cancelled or timed out) and
// the send may be retried.
func (c *Client) Send(ctx context.Context, out channel.Outbound) (string, error) {
	req, err := build(out)
	if err != nil {
		return "", err
	}
	resp, err := meta.Post(ctx, c.HTTP, c.messagesURL(), c.AccessToken, req)
	if err != nil {
		return "", fmt.Errorf("messenger: %w", err)
	}
	if ge := resp.Err; ge != nil {
		return "", SendErrorFor(ge.HTTPStatus, ge.Code, ge.Subcode, ge.Text(), ge.RetryAfter)
	}
	var ok struct {
		MessageID string `json:"message_id"`
	}
	if json.Unmarshal(resp.Body, &ok) != nil || ok.MessageID == "" {
		// 2xx: the message was probably accepted; a retry could
		// duplicate it, hence permanent.
		return "", &channel.SendError{Code: "bad_response", Permanent: true,
			Message: "Messenger accepted the request but its answer could not be read; the message may have been sent."}
	}
	return ok.MessageID, nil
}
