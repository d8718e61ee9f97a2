package whatsapp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/channel/meta"

	"github.com/parleyhq/parley/internal/outbound"
)

// DefaultBaseURL is the Graph API.
const DefaultBaseURL = meta.GraphURL

// DefaultVersion is the Graph API version used when Client.Version is
// empty (the version of Meta's published OpenAPI spec).
const DefaultVersion = meta.GraphVersion

// Client sends messages from one WhatsApp business phone number.
type Client struct {
	BaseURL       string // DefaultBaseURL if empty; a fake's URL in tests
	Version       string // DefaultVersion if empty, e.g. "v23.0"
	AccessToken   string // system-user token, sent as a Bearer header
	PhoneNumberID string // the sending number's id (not the number itself)
	HTTP          *http.Client
}

func (c *Client) messagesURL() string { return c.graph(c.PhoneNumberID + "/messages") }

// graph is the URL of a Graph API path, with the client's base and version.
func (c *Client) graph(path string) string {
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	v := c.Version
	if v == "" {
		v = DefaultVersion
	}
	return strings.TrimRight(base, "/") + "/" + v + "/" + path
}

type sendRequest struct {
	MessagingProduct string       `json:"messaging_product"`
	RecipientType    string       `json:"recipient_type,omitempty"`
	To               string       `json:"to,omitempty"`
	Type             string       `json:"type,omitempty"`
	Context          *msgContext  `json:"context,omitempty"`
	Text             *textBody    `json:"text,omitempty"`
	Image            *mediaObject `json:"image,omitempty"`
	Audio            *mediaObject `json:"audio,omitempty"`
	Video            *mediaObject `json:"video,omitempty"`
	Document         *mediaObject `json:"document,omitempty"`
	Template         *template    `json:"template,omitempty"`
	Interactive      *interactive `json:"interactive,omitempty"`
	// mark as read
	Status    string `json:"status,omitempty"`
	MessageID string `json:"message_id,omitempty"`
}

type msgContext struct {
	MessageID string `json:"message_id"`
}

type textBody struct {
	PreviewURL bool   `json:"preview_url"`
	Body       string `json:"body"`
}

type mediaObject struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

type template struct {
	Name     string `json:"name"`
	Language struct {
		Code string `json:"code"`
	} `json:"language"`
	Components []component `json:"components,omitempty"`
}

type component struct {
	Type       string      `json:"type"`
	Parameters []parameter `json:"parameters"`
}

// interactive is a reply-button or list message.
type interactive struct {
	Type   string            `json:"type"` // "button" or "list"
	Body   textOnly          `json:"body"`
	Action interactiveAction `json:"action"`
}

type textOnly struct {
	Text string `json:"text"`
}

type interactiveAction struct {
	Button   string        `json:"button,omitempty"` // the list's button
	Buttons  []replyButton `json:"buttons,omitempty"`
	Sections []listSection `json:"sections,omitempty"`
}

type replyButton struct {
	Type  string `json:"type"` // "reply"
	Reply struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"reply"`
}

type listSection struct {
	Rows []listRow `json:"rows"`
}

type listRow struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Limits of interactive messages.
const (
	MaxButtons           = 3    // reply buttons on one message
	MaxListRows          = 10   // rows in a list, all sections together
	MaxInteractiveBody   = 1024 // characters of an interactive body
	MaxButtonTitle       = 20   // characters of a reply button's title, and of a list's button
	MaxListRowTitle      = 24   // characters of a list row's title
	MaxInteractiveIDSize = 200  // characters of a button or row id
)

type parameter struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Limits WhatsApp puts on text.
const (
	MaxTextLength    = 4096 // a text message body, in characters
	MaxCaptionLength = 1024 // a media caption, in characters
)

func invalid(format string, args ...any) *channel.SendError {
	return &channel.SendError{Code: "invalid_outbound", Message: fmt.Sprintf(format, args...), Permanent: true}
}

// build turns an Outbound into one Cloud API message. One Send is one
// WhatsApp message: a template, or one media file (with Text as its
// caption, except for audio, which WhatsApp does not caption), or text.
func build(out channel.Outbound) (*sendRequest, error) {
	if out.To == "" {
		return nil, invalid("The message has no recipient.")
	}
	r := &sendRequest{MessagingProduct: "whatsapp", RecipientType: "individual", To: out.To}
	if out.ReplyToID != "" {
		r.Context = &msgContext{MessageID: out.ReplyToID}
	}
	switch {
	case out.Template != nil:
		t := out.Template
		if t.Name == "" || t.Language == "" {
			return nil, invalid("A WhatsApp template needs a name and a language.")
		}
		if out.Text != "" || len(out.Media) > 0 {
			return nil, invalid("A WhatsApp template is sent on its own: text and attachments cannot be added to it.")
		}
		r.Type = "template"
		r.Template = &template{Name: t.Name}
		r.Template.Language.Code = t.Language
		if len(t.Params) > 0 {
			c := component{Type: "body"}
			for _, p := range t.Params {
				c.Parameters = append(c.Parameters, parameter{Type: "text", Text: p})
			}
			r.Template.Components = []component{c}
		}
	case len(out.Choices) > 0:
		if len(out.Media) > 0 || out.Text == "" {
			return nil, invalid("WhatsApp buttons go under a text, without attachments.")
		}
		if err := buildInteractive(r, out); err != nil {
			return nil, err
		}
	case len(out.Media) > 1:
		return nil, invalid("WhatsApp sends one attachment per message; send the files one at a time.")
	case len(out.Media) == 1:
		m := out.Media[0]
		if (m.URL == "") == (m.ProviderID == "") {
			return nil, invalid("A WhatsApp attachment needs either a URL or an uploaded media id.")
		}
		caption := m.Caption
		if caption == "" {
			caption = out.Text
		} else if out.Text != "" {
			return nil, invalid("The attachment has a caption and the message has text; WhatsApp allows only one.")
		}
		if len([]rune(caption)) > MaxCaptionLength {
			return nil, invalid("A WhatsApp caption is at most %d characters.", MaxCaptionLength)
		}
		obj := &mediaObject{ID: m.ProviderID, Link: m.URL, Caption: caption}
		r.Type = MediaType(m.MIMEType)
		switch r.Type {
		case "image":
			r.Image = obj
		case "video":
			r.Video = obj
		case "audio":
			if caption != "" {
				return nil, invalid("WhatsApp audio messages cannot carry text; send the text separately.")
			}
			r.Audio = obj
		default:
			obj.Filename = m.Filename
			r.Document = obj
		}
	case out.Text != "":
		if len([]rune(out.Text)) > MaxTextLength {
			return nil, invalid("A WhatsApp text message is at most %d characters.", MaxTextLength)
		}
		r.Type = "text"
		r.Text = &textBody{Body: out.Text}
	default:
		return nil, invalid("The message is empty.")
	}
	return r, nil
}

// buildInteractive makes out's choices reply buttons (up to three) or a
// list (up to ten), the two interactive types that answer with an id.
func buildInteractive(r *sendRequest, out channel.Outbound) error {
	if len([]rune(out.Text)) > MaxInteractiveBody {
		return invalid("A WhatsApp message with buttons is at most %d characters.", MaxInteractiveBody)
	}
	if len(out.Choices) > MaxListRows {
		return invalid("A WhatsApp list has at most %d rows.", MaxListRows)
	}
	for _, c := range out.Choices {
		if c.ID == "" || len([]rune(c.ID)) > MaxInteractiveIDSize || c.Title == "" {
			return invalid("A WhatsApp button needs an id of at most %d characters and a title.", MaxInteractiveIDSize)
		}
	}
	in := &interactive{Body: textOnly{Text: out.Text}}
	if len(out.Choices) <= MaxButtons {
		in.Type = "button"
		for _, c := range out.Choices {
			b := replyButton{Type: "reply"}
			b.Reply.ID, b.Reply.Title = c.ID, channel.Clip(c.Title, MaxButtonTitle)
			in.Action.Buttons = append(in.Action.Buttons, b)
		}
	} else {
		in.Type = "list"
		label := out.ChoicesLabel
		if label == "" {
			label = "Choose"
		}
		in.Action.Button = channel.Clip(label, MaxButtonTitle)
		var sec listSection
		for _, c := range out.Choices {
			sec.Rows = append(sec.Rows, listRow{ID: c.ID, Title: channel.Clip(c.Title, MaxListRowTitle)})
		}
		in.Action.Sections = []listSection{sec}
	}
	r.Type, r.Interactive = "interactive", in
	return nil
}

// MediaType picks the WhatsApp message type for a MIME type. Anything
// that is not an image, video or audio goes as a document, which
// WhatsApp accepts for any file.
func MediaType(mime string) string { return channel.MediaKind(mime, "document") }

// Send sends one message and returns its WhatsApp message id (wamid),
// which later status webhooks refer to.
//
// A refusal by WhatsApp, or an Outbound WhatsApp cannot carry, is a
// *channel.SendError (see SendErrorFor). Any other error means the API
// could not be reached (network failure, ctx cancelled or timed out) and
// the send may be retried.
func (c *Client) Send(ctx context.Context, out channel.Outbound) (string, error) {
	req, err := build(out)
	if err != nil {
		return "", err
	}
	resp, err := c.post(ctx, req)
	if err != nil {
		return "", err
	}
	var ok struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if json.Unmarshal(resp.Body, &ok) != nil || len(ok.Messages) == 0 || ok.Messages[0].ID == "" {
		// WhatsApp said 2xx, so the message was probably accepted:
		// retrying could send it twice, hence permanent.
		return "", &channel.SendError{
			Code:      "bad_response",
			Message:   "WhatsApp accepted the request but its answer could not be read; the message may have been sent.",
			Permanent: true,
		}
	}
	return ok.Messages[0].ID, nil
}

// MarkRead marks an inbound message (and those before it) as read, which
// shows the customer blue ticks.
func (c *Client) MarkRead(ctx context.Context, messageID string) error {
	if messageID == "" {
		return invalid("No message to mark as read.")
	}
	_, err := c.post(ctx, &sendRequest{MessagingProduct: "whatsapp", Status: "read", MessageID: messageID})
	return err
}

func (c *Client) post(ctx context.Context, req *sendRequest) (*meta.Response, error) {
	resp, err := meta.Post(ctx, c.HTTP, c.messagesURL(), c.AccessToken, req)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: %w", err)
	}
	if ge := resp.Err; ge != nil {
		return nil, SendErrorFor(ge.HTTPStatus, ge.Code, ge.Text(), ge.RetryAfter)
	}
	return resp, nil
}

// Media downloads a file a customer sent, by the media id in the webhook:
// one GET for its short-lived download URL, one for the bytes, both with
// the access token. The caller closes the body.
func (c *Client) Media(ctx context.Context, mediaID string) (body io.ReadCloser, mimeType string, err error) {
	if mediaID == "" || strings.ContainsAny(mediaID, "/?#") {
		return nil, "", fmt.Errorf("whatsapp: bad media id %q", mediaID)
	}
	resp, err := c.get(ctx, c.graph(mediaID))
	if err != nil {
		return nil, "", err
	}
	var info struct {
		URL      string `json:"url"`
		MIMEType string `json:"mime_type"`
	}
	err = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&info)
	resp.Body.Close()
	if err != nil || info.URL == "" {
		return nil, "", fmt.Errorf("whatsapp: media %s: unreadable answer", mediaID)
	}
	resp, err = c.get(ctx, info.URL)
	if err != nil {
		return nil, "", err
	}
	return resp.Body, info.MIMEType, nil
}

func (c *Client) get(ctx context.Context, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.AccessToken)
	hc := c.HTTP
	if hc == nil {
		hc = outbound.Strict().HTTPClient(0)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("whatsapp: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if ge := meta.DecodeGraphError(resp.StatusCode, resp.Header, b); ge != nil {
			return nil, SendErrorFor(ge.HTTPStatus, ge.Code, ge.Text(), ge.RetryAfter)
		}
		return nil, fmt.Errorf("whatsapp: GET media answered %s", resp.Status)
	}
	return resp, nil
}
