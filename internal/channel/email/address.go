package email

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/mail"
	"strconv"
	"strings"
)

// tagLen is the number of hex digits of HMAC kept in a reply address:
// 64 bits, far beyond guessing by sending mail, short enough for the
// 64-character limit on the local part.
const tagLen = 16

// ReplyAddress returns a plus-address that routes replies back to a
// conversation: local+c<ID>.<tag>@domain, where tag is a short HMAC,
// under key, of the inbox address and the conversation id, so nobody can
// forge one to inject mail into another conversation or inbox. The key
// must be secret and stable (rotating it orphans the addresses already
// sent). inboxAddress may be bare or "Name <addr>"; the result is a bare
// address. With an empty key, a conversation id below 1 or an address
// without a domain, it returns the inbox's bare address unchanged: such
// a tag would prove nothing.
func ReplyAddress(inboxAddress string, conversationID int64, key []byte) string {
	addr := bareAddress(inboxAddress)
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" || domain == "" || len(key) == 0 || conversationID < 1 {
		return addr
	}
	id := strconv.FormatInt(conversationID, 10)
	return local + "+c" + id + "." + replyTag(addr, id, key) + "@" + domain
}

// ConversationFromAddress finds a reply address made by ReplyAddress for
// inboxAddress among m's Delivered-To values, To and Cc (in that order:
// Delivered-To is what the server really delivered to) and returns its
// conversation id once its tag checks out; 0 if there is none valid.
func ConversationFromAddress(m *Message, inboxAddress string, key []byte) int64 {
	if m == nil || len(key) == 0 {
		return 0
	}
	inbox := bareAddress(inboxAddress)
	local, domain, ok := strings.Cut(inbox, "@")
	if !ok || local == "" || domain == "" {
		return 0
	}
	candidates := append([]string(nil), m.DeliveredTo...)
	for _, list := range [][]*mail.Address{m.To, m.Cc} {
		for _, a := range list {
			candidates = append(candidates, a.Address)
		}
	}
	for _, c := range candidates {
		if id := conversationIn(bareAddress(c), local, domain, inbox, key); id > 0 {
			return id
		}
	}
	return 0
}

func conversationIn(addr, inboxLocal, inboxDomain, inbox string, key []byte) int64 {
	local, domain, ok := cutLast(addr, "@")
	if !ok || !strings.EqualFold(domain, inboxDomain) || len(local) <= len(inboxLocal)+1 ||
		!strings.EqualFold(local[:len(inboxLocal)+1], inboxLocal+"+") {
		return 0
	}
	rest := local[len(inboxLocal)+1:]
	if len(rest) < 2 || (rest[0] != 'c' && rest[0] != 'C') {
		return 0
	}
	id, tag, ok := strings.Cut(rest[1:], ".")
	if !ok || id == "" || id[0] == '0' || len(id) > 19 {
		return 0
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n < 1 {
		return 0
	}
	// Some servers lower-case local parts; the tag is hex, so compare it
	// in lower case.
	want := replyTag(inbox, id, key)
	if !hmac.Equal([]byte(strings.ToLower(tag)), []byte(want)) {
		return 0
	}
	return n
}

// replyTag is the HMAC of the inbox address (lower-cased, as servers
// treat it case-insensitively) and the conversation id.
func replyTag(inbox, id string, key []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("parley-reply\x00" + strings.ToLower(inbox) + "\x00" + id))
	return hex.EncodeToString(mac.Sum(nil))[:tagLen]
}

// bareAddress returns the addr-spec of "Name <addr>" or a bare address.
func bareAddress(s string) string {
	s = strings.TrimSpace(s)
	if a, err := mail.ParseAddress(s); err == nil {
		return a.Address
	}
	return strings.Trim(s, "<>")
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
