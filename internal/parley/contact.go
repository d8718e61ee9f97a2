package parley

import (
	"net/mail"
	"strings"
	"time"
	"unicode"
)

// Contact is one customer, however many channels they write from.
type Contact struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"` // E.164
	// Language (a BCP 47 tag such as "fr-FR") and TimeZone (an IANA name),
	// when a channel tells us: promises are written in both.
	Language string `json:"language,omitempty"`
	TimeZone string `json:"time_zone,omitempty"`
	// MergedInto is set when this contact was merged into another; it stays
	// so the merge can be undone.
	MergedInto *int64     `json:"merged_into,omitempty"`
	Identities []Identity `json:"identities"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Identity kinds. Email and phone are global: the same address from any
// inbox is the same person. The others are scoped to the inbox that issued
// them (a Messenger page-scoped id, a widget visitor, an API external id).
const (
	IdentityEmail    = "email"
	IdentityPhone    = "phone"
	IdentityExternal = "external" // an id from the business's own system, per API inbox
)

// Identity is one way a contact is known on a channel.
type Identity struct {
	ID         int64  `json:"id"`
	ContactID  int64  `json:"contact_id"`
	Kind       string `json:"kind"`
	Scope      int64  `json:"scope,omitempty"` // the inbox id for inbox-scoped kinds; 0 for email and phone
	ExternalID string `json:"external_id"`
}

// GlobalIdentity reports whether identities of kind are shared across inboxes.
func GlobalIdentity(kind string) bool { return kind == IdentityEmail || kind == IdentityPhone }

// NormalizeEmail lower-cases and checks an email address; "" stays "".
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if err := CheckID("email", s); err != nil {
		return "", err
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || !strings.Contains(a.Address, "@") {
		return "", Errorf(EINVALID, "email %q is not a valid address", s)
	}
	e := strings.ToLower(a.Address)
	// A quoted local part ("q u"@x.org) comes back unquoted, which is no
	// longer an address: normalising it again, or sending to it, would fail.
	if b, err := mail.ParseAddress(e); err != nil || b.Address != e {
		return "", Errorf(EINVALID, "email %q is not a valid address", s)
	}
	return e, nil
}

// NormalizePhone reduces a phone number to E.164 (+ and 8–15 digits),
// dropping spaces, dashes, dots and parentheses; "" stays "". Numbers
// without a leading + are refused: without a country we cannot know whose.
func NormalizePhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '+' && i == 0:
			b.WriteRune(r)
		case unicode.IsDigit(r) && r < 128:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", Errorf(EINVALID, "phone %q has a character that is not a digit", s)
		}
	}
	p := b.String()
	if !strings.HasPrefix(p, "+") || len(p) < 9 || len(p) > 16 || p[1] == '0' {
		return "", Errorf(EINVALID, "phone %q is not in international format (+ country code and number)", s)
	}
	return p, nil
}

// ContactMerge records that one contact was merged into another, with what
// moved, so that it can be audited and undone.
type ContactMerge struct {
	ID              int64      `json:"id"`
	TargetID        int64      `json:"target_id"` // the contact that remains
	SourceID        int64      `json:"source_id"` // the contact merged away
	AgentID         *int64     `json:"agent_id,omitempty"`
	IdentityIDs     []int64    `json:"identity_ids"`     // identities moved from source to target
	ConversationIDs []int64    `json:"conversation_ids"` // conversations moved from source to target
	CreatedAt       time.Time  `json:"created_at"`
	UnmergedAt      *time.Time `json:"unmerged_at,omitempty"`
}

// NormalizeLanguage checks a BCP 47 language tag loosely ("fr", "pt-BR",
// "zh-Hant-TW"); anything else becomes "".
func NormalizeLanguage(tag string) string {
	tag = strings.TrimSpace(tag)
	if len(tag) < 2 || len(tag) > 35 {
		return ""
	}
	for i, part := range strings.Split(tag, "-") {
		if len(part) < 1 || len(part) > 8 || (i == 0 && (len(part) < 2 || len(part) > 3)) {
			return ""
		}
		for _, r := range part {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return ""
			}
		}
	}
	return tag
}
