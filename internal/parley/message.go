package parley

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Direction says who a message is from and who sees it.
type Direction string

const (
	Incoming Direction = "incoming" // from the contact
	Outgoing Direction = "outgoing" // from the team to the contact
	Note     Direction = "note"     // internal; the contact never sees it
)

// DeliveryState tracks an outgoing message on its way to the contact.
type DeliveryState string

const (
	DeliveryQueued    DeliveryState = "queued"
	DeliverySent      DeliveryState = "sent"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryRead      DeliveryState = "read"
	DeliveryFailed    DeliveryState = "failed"
)

// MaxTextLength bounds a message's text (in bytes): long enough for any
// real message or email body, short enough to keep rows and indexes sane.
const MaxTextLength = 64 << 10

// Message is one entry in a conversation.
type Message struct {
	ID             int64 `json:"id"`
	ConversationID int64 `json:"conversation_id"`
	// InboxID is the inbox the message came in or went out through: the
	// conversation's, unless an agent continued it on another channel.
	InboxID   int64     `json:"inbox_id"`
	Direction Direction `json:"direction"`
	// AuthorAgentID is set for outgoing messages and notes written by an agent.
	AuthorAgentID *int64 `json:"author_agent_id"`
	// AuthorContactID is set for incoming messages.
	AuthorContactID *int64 `json:"author_contact_id"`
	// Automated marks Parley's own outgoing messages (an acknowledgement,
	// a survey's question or thanks): written by no person, shown as
	// Parley's rather than as an API caller's.
	Automated   bool         `json:"automated"`
	Text        string       `json:"text"`
	Attachments []Attachment `json:"attachments"`
	// ExternalID is the provider's (or API caller's) id for the message; a
	// second delivery with the same id in the same inbox is the same message.
	ExternalID    string        `json:"external_id,omitempty"`
	DeliveryState DeliveryState `json:"delivery_state,omitempty"`
	DeliveryError string        `json:"delivery_error,omitempty"`
	// ChannelPayload is what a provider needs beyond the text (a template,
	// a tag), as JSON; written with the message, read by the send job.
	ChannelPayload string `json:"-"`
	// Response is set on an outgoing message that answers the customer
	// (see IsResponse); it is recorded on the message.created event, which
	// is where reports read it.
	Response  bool      `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	// Omitted lists the parts of an incoming message that were not kept
	// (an email's files over the size limits), so the agent knows what to
	// ask for; empty for most messages.
	Omitted []OmittedPart `json:"omitted,omitempty"`
}

// IsResponse is Parley's one definition of "a response": an outgoing
// message written by a person (an agent, in the inbox or through their
// token) or by the business's own system through an API token that is
// tied to no agent. Parley's own messages (acknowledgements, notices,
// closing messages, surveys) and internal notes answer nothing. First
// response times, SLA first and next response targets, promises kept,
// surveys and every report figure count responses by this rule.
func IsResponse(dir Direction, byAgent, byToken bool) bool {
	return dir == Outgoing && (byAgent || byToken)
}

// OmittedPart is a part of an incoming message that Parley did not keep.
type OmittedPart struct {
	Filename    string `json:"filename,omitempty"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"` // bytes, decoded (estimated when the part never left the mail server)
	// Reason is why: OmitFileTooLarge, OmitMessageTooLarge or OmitTooManyFiles.
	Reason string `json:"reason"`
	// Limit is the limit in bytes (or files) that was exceeded.
	Limit int64 `json:"limit,omitempty"`
}

// Reasons a part of a message was not kept.
const (
	OmitFileTooLarge    = "file_too_large"    // the file is over the largest attachment kept
	OmitMessageTooLarge = "message_too_large" // the whole email was over its limit and this part did not fit
	OmitTooManyFiles    = "too_many_files"    // more files than a message carries
)

// Explain says in a sentence why the part was left out, for agents.
func (o OmittedPart) Explain() string {
	switch o.Reason {
	case OmitFileTooLarge:
		return "larger than the " + FormatBytes(o.Limit) + " file limit"
	case OmitMessageTooLarge:
		return "the email was larger than " + FormatBytes(o.Limit) + " and this file did not fit beside the rest"
	case OmitTooManyFiles:
		return "the email had more than " + strconv.FormatInt(o.Limit, 10) + " files"
	}
	return o.Reason
}

// FormatBytes writes a size for people: "25 MB", "300 KB", "12 bytes".
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return strings.TrimSuffix(strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64), ".0") + " MB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// ValidateText cleans a message's text (CleanText: it is free text, so a
// stray control byte or invalid UTF-8 never loses the message) and checks
// it: within the length limit, and not empty unless the message carries
// attachments.
func ValidateText(text string, attachments int) (string, error) {
	text = CleanText(text)
	if len(text) > MaxTextLength {
		return "", Errorf(ETOOLARGE, "text is longer than %d bytes", MaxTextLength)
	}
	if strings.TrimSpace(text) == "" && attachments == 0 {
		return "", Errorf(EINVALID, "a message needs text or at least one attachment")
	}
	return text, nil
}

// Attachment is a file on a message. The bytes live in the blob store under
// their SHA-256; the same file sent twice is stored once.
type Attachment struct {
	ID          int64  `json:"id"`
	MessageID   int64  `json:"message_id"`
	SHA256      string `json:"sha256"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"` // sniffed from the bytes, never trusted from the sender
	Size        int64  `json:"size"`
	// DurationMS is a video's length, read from the file when it was
	// uploaded; 0 when unknown or not a video.
	DurationMS int64 `json:"duration_ms,omitempty"`
}

// Event is one row of the append-only event log. Every change is written
// together with its event in one transaction, so readers of the log (live
// updates, automations, metrics) never see a change that was not committed
// or miss one that was.
type Event struct {
	Seq            int64           `json:"seq"`
	Type           string          `json:"type"`
	ConversationID *int64          `json:"conversation_id,omitempty"`
	ContactID      *int64          `json:"contact_id,omitempty"`
	MessageID      *int64          `json:"message_id,omitempty"`
	AgentID        *int64          `json:"agent_id,omitempty"` // who made the change, if an agent did
	Data           json.RawMessage `json:"data,omitempty"`     // JSON with the change's details
	CreatedAt      time.Time       `json:"created_at"`
}

// CleanFilename makes a sender's file name safe to store and offer for
// download: no path separators or control characters, at most 200 bytes,
// and never empty.
func CleanFilename(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, name)
	if len(name) > 200 {
		name = name[:200]
		for !utf8.ValidString(name) {
			name = name[:len(name)-1]
		}
	}
	if name == "" {
		name = "file"
	}
	return name
}
