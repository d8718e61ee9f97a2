package mcp

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/fill"
	"github.com/parleyhq/parley/internal/redact"
)

// An MCP client is, nearly always, a language model run by someone
// else: what the tools return reaches its provider exactly as text sent
// to the assistant's model would. So the workspace's rule for models
// applies here too (Settings → AI model, "Mask contact details before
// sending", on by default): emails, phone numbers, card numbers, IBANs
// and the contact's name become placeholders. A reply a client proposes
// writes {{contact.first_name}} for the name, and Parley fills it (see
// fillProposal), the way the assistant's model writes drafts.

// masker masks text for one call: on or off by the workspace's setting,
// with the names of the contacts the text is about.
type masker struct{ on bool }

// maskerFor reads the workspace's setting. Should it fail to be read, the
// details are masked: a client that sees too little can ask a person,
// one that saw too much cannot unsee it.
func (s *Server) maskerFor(ctx context.Context) masker {
	if s.MaskContacts == nil {
		return masker{on: true}
	}
	on, err := s.MaskContacts(ctx)
	if err != nil {
		s.logf("mcp: reading the masking setting; masking", "err", err)
		return masker{on: true}
	}
	return masker{on: on}
}

// text masks s, and names wherever they stand alone.
func (m masker) text(s string, names ...string) string {
	if !m.on || s == "" {
		return s
	}
	return redact.Text(s, names...)
}

// name is a contact's name as a client sees it.
func (m masker) name(s string) string {
	if !m.on || s == "" {
		return s
	}
	return redact.Name
}

// draft masks a draft written for contact name: the name becomes the
// variable a proposal may use (so the draft can be proposed as it is),
// then anything else is masked.
func (m masker) draft(s, name string) string {
	if !m.on {
		return s
	}
	if name = strings.TrimSpace(name); name != "" {
		s = replaceWord(s, name, "{{contact.name}}")
		if first := fill.FirstName(name); first != name {
			s = replaceWord(s, first, "{{contact.first_name}}")
		}
	}
	return redact.Text(s, name)
}

// placeholders are what masking leaves in text: a proposal holding one
// was written from masked text and would reach the customer that way.
var placeholders = []string{redact.Email, redact.Phone, redact.Card, redact.IBAN, redact.Name}

// maskedPlaceholder returns the first placeholder in s, or "".
func maskedPlaceholder(s string) string {
	for _, p := range placeholders {
		if strings.Contains(s, p) {
			return p
		}
	}
	return ""
}

// replaceWord replaces each occurrence of word in s that stands alone
// (no letter or digit right before or after it) with repl.
func replaceWord(s, word, repl string) string {
	if word == "" {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, word)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(word)
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[end:])
		alone := (i == 0 || !isWordRune(before)) && (end == len(s) || !isWordRune(after))
		b.WriteString(s[:i])
		if alone {
			b.WriteString(repl)
		} else {
			b.WriteString(word)
		}
		s = s[end:]
	}
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}
