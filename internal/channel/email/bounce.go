package email

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"

	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// parseDeliveryStatus reads a message/delivery-status body (RFC 3464 §2):
// one block of per-message fields, then a block per recipient. A report
// can cover several recipients; the first that failed is the one that
// matters for a one-to-one support reply, else the first at all.
func parseDeliveryStatus(data []byte) *Bounce {
	blocks := fieldBlocks(string(data))
	if len(blocks) < 2 {
		// A per-message block alone says nothing about a recipient, but
		// some servers squeeze everything into one block.
		if len(blocks) == 0 {
			return &Bounce{}
		}
		blocks = append(blocks, blocks[0])
	}
	chosen := blocks[1]
	for _, b := range blocks[1:] {
		if strings.EqualFold(b["action"], "failed") {
			chosen = b
			break
		}
	}
	b := &Bounce{
		Recipient:  addressType(chosen["final-recipient"]),
		Action:     strings.ToLower(firstWord(chosen["action"])),
		Status:     firstWord(chosen["status"]),
		Diagnostic: chosen["diagnostic-code"],
	}
	if b.Recipient == "" {
		b.Recipient = addressType(chosen["original-recipient"])
	}
	b.Permanent = b.Action == "failed" || strings.HasPrefix(b.Status, "5")
	return b
}

// fieldBlocks splits text into blank-line separated blocks of header-like
// fields, unfolding continuation lines; keys are lower-cased and the
// first occurrence of a key in a block wins.
func fieldBlocks(s string) []map[string]string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var blocks []map[string]string
	var cur map[string]string
	var last string
	for _, line := range strings.Split(s, "\n") {
		switch {
		case strings.TrimSpace(line) == "":
			if cur != nil {
				blocks = append(blocks, cur)
			}
			cur, last = nil, ""
		case (line[0] == ' ' || line[0] == '\t') && last != "":
			cur[last] += " " + strings.TrimSpace(line)
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			if cur == nil {
				cur = map[string]string{}
			}
			last = strings.ToLower(strings.TrimSpace(k))
			if _, seen := cur[last]; seen {
				last = "" // ignore continuations of a duplicate
				continue
			}
			cur[last] = strings.TrimSpace(v)
		}
	}
	if cur != nil {
		blocks = append(blocks, cur)
	}
	return blocks
}

// addressType strips the address-type of a recipient field:
// "rfc822; ann@example.com" is ann@example.com.
func addressType(v string) string {
	if _, a, ok := strings.Cut(v, ";"); ok {
		v = a
	}
	return strings.Trim(strings.TrimSpace(v), "<>")
}

func firstWord(v string) string {
	if f := strings.Fields(v); len(f) > 0 {
		return f[0]
	}
	return ""
}

// originalMessageID reads the Message-ID from the copy of the bounced
// message (or of its header) that a report carries.
func originalMessageID(data []byte) string {
	// Only the header is wanted; cut it off so a header-only part that
	// lacks the closing blank line still parses.
	if i := bytes.Index(data, []byte("\n\r\n")); i >= 0 {
		data = data[:i+1]
	} else if i := bytes.Index(data, []byte("\n\n")); i >= 0 {
		data = data[:i+1]
	}
	th, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(append(data[:len(data):len(data)], "\r\n\r\n"...))))
	if err != nil && th.Len() == 0 {
		return ""
	}
	h := gomail.HeaderFromMap(th.Map())
	if id, err := h.MessageID(); err == nil && id != "" {
		return id
	}
	if ids := lenientIDs(h.Get("Message-Id")); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

var outOfOffice = regexp.MustCompile(`(?i)^\s*(auto(matic|matisch)?[- ]?(reply|response|antwort|antwoord)\b|out of (the )?office\b|` +
	`abwesenheit|automatische antwort|réponse automatique|absence du bureau|respuesta automática|fuera de la oficina|` +
	`resposta automática|fora do escritório|risposta automatica|fuori (sede|ufficio)|automatisch antwoord|afwezig\b)`)

// isAutoReply reports mail a program sent on its own, following RFC 3834
// and the headers common autoresponders set instead; bounces count too.
func isAutoReply(h gomail.Header, m *Message) bool {
	if v := strings.ToLower(firstWord(strings.ReplaceAll(h.Get("Auto-Submitted"), ";", " "))); v != "" && v != "no" {
		return true
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponder"} {
		if strings.TrimSpace(h.Get(k)) != "" {
			return true
		}
	}
	for _, k := range []string{"Precedence", "X-Precedence"} {
		switch strings.ToLower(strings.TrimSpace(h.Get(k))) {
		case "bulk", "junk", "list", "auto_reply", "auto-reply":
			return true
		}
	}
	if m.Bounce != nil {
		return true
	}
	if m.From != nil {
		if local, _, _ := strings.Cut(m.From.Address, "@"); strings.EqualFold(local, "mailer-daemon") {
			return true
		}
	}
	return outOfOffice.MatchString(m.Subject)
}
