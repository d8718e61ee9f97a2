package parley

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// What Parley stores as text, decided once for both databases.
//
// PostgreSQL refuses a NUL character and invalid UTF-8 in text columns,
// while SQLite stores them; left to the database, the same message would
// be stored on one and answered with a 500 on the other. So the domain
// decides first, by what the text is for:
//
//   - Free text (message text, names, subjects, notes, labels) is a
//     person's words. It is cleaned, never refused: a customer cannot
//     retype a message a provider already delivered, and one stray byte
//     must not lose the rest. CleanText and CleanLine do it.
//   - Identifiers (provider message ids, external ids, tokens, emails,
//     phones) are matched byte for byte, so cleaning one would silently
//     make it another id. They are refused instead: CheckID.

// CleanText returns free text as Parley stores it: invalid UTF-8 becomes
// U+FFFD, and control characters (C0, DEL and C1, NUL among them) are
// removed except tab, newline and carriage return. Text that is already
// clean is returned as it is, without allocating.
func CleanText(s string) string {
	if cleanASCII(s, true) {
		return s
	}
	return cleanSlow(s, true)
}

// CleanLine is CleanText for one-line text (names, subjects, labels):
// tabs and line breaks become spaces too, and the ends are trimmed, so a
// name can never start a new line in a header, a log or a CSV row.
func CleanLine(s string) string {
	if !cleanASCII(s, false) {
		s = cleanSlow(s, false)
	}
	return strings.TrimSpace(s)
}

// CheckID checks an identifier from outside (what names it in the
// message): valid UTF-8 without any control character. It returns
// EINVALID otherwise; it never changes the id.
func CheckID(what, id string) error {
	if cleanASCII(id, false) {
		return nil
	}
	if !utf8.ValidString(id) {
		return Errorf(EINVALID, "%s is not valid UTF-8", what)
	}
	if strings.ContainsFunc(id, unicode.IsControl) {
		return Errorf(EINVALID, "%s must not contain control characters", what)
	}
	return nil
}

// cleanASCII is the fast path: true when every byte is printable ASCII
// (or tab, newline, carriage return when multiline), which is nearly all
// real text; anything else goes the slow way.
func cleanASCII(s string, multiline bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			continue
		}
		if multiline && (c == '\t' || c == '\n' || c == '\r') {
			continue
		}
		return false
	}
	return true
}

func cleanSlow(s string, multiline bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\t' || r == '\n' || r == '\r':
			if multiline {
				b.WriteRune(r)
			} else {
				b.WriteByte(' ')
			}
		case unicode.IsControl(r):
			// dropped: NUL, escapes, bells and C1 codes are never meant as text
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TruncateText cuts s to at most n bytes without splitting a character,
// for text that is kept even when it is longer than Parley stores.
func TruncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 {
		r, size := utf8.DecodeLastRuneInString(s)
		if r != utf8.RuneError || size > 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s
}
