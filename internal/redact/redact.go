// Package redact masks contact details in text that Parley keeps or shows
// beyond its conversation: answers learned from the team, and text sent
// to a language model when an admin asks for masking. Emails, phone
// numbers, card numbers (Luhn-checked), IBANs (checksum-checked) and the
// names it is given become placeholders ([email], [phone], [card],
// [iban], [name]).
//
// It errs on the side of keeping text readable: order numbers ("#10234",
// "order 5531207"), amounts ("€1,249.90", "1 234,56 €"), dates and times
// are left alone, because a learned answer that lost its facts is of no
// use. Numbers are masked only when their shape says phone (a leading +
// or 0, or digits grouped like a phone number), or their checksum says
// card or IBAN.
package redact

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Placeholders put where a detail was.
const (
	Email = "[email]"
	Phone = "[phone]"
	Card  = "[card]"
	IBAN  = "[iban]"
	Name  = "[name]"
)

var (
	emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	// An IBAN: country, check digits, then 11 to 30 letters and digits,
	// typed whole or in groups of four.
	ibanRE = regexp.MustCompile(`(?i)\b[a-z]{2}[0-9]{2}(?:[a-z0-9]{11,30}|(?: [a-z0-9]{4}){2,7}(?: [a-z0-9]{1,3})?)\b`)
	// A date (2026-03-02, 12/03/2026, 2.3.26) has a phone's digits but
	// not its shape.
	dateRE = regexp.MustCompile(`^[0-9]{1,4}[./\-][0-9]{1,2}[./\-][0-9]{1,4}$`)
	// A run of digits with single spaces, dots, dashes, slashes or
	// parentheses between them, optionally after a +: every number-like
	// thing that could be a card or a phone; the checks below decide.
	numberRE = regexp.MustCompile(`\+?\(?[0-9](?:[0-9]|[ .\-/]?\(?[0-9]|\)[ .\-]?[0-9])*`)
)

// Text returns s with emails, IBANs, card numbers, phone numbers and the
// given names masked. Names are matched as whole words, ignoring case
// and accents; a name given as "Marie Dupont" masks "Marie" and "Dupont"
// wherever they stand alone.
func Text(s string, names ...string) string {
	s = emailRE.ReplaceAllString(s, Email)
	s = ibanRE.ReplaceAllStringFunc(s, func(m string) string {
		if validIBAN(m) {
			return IBAN
		}
		return m
	})
	s = maskNumbers(s)
	return maskNames(s, names)
}

// maskNumbers replaces card and phone numbers found by numberRE.
func maskNumbers(s string) string {
	locs := numberRE.FindAllStringIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		start, end := l[0], l[1]
		m := s[start:end]
		// A trailing separator belongs to the sentence, not the number.
		m = strings.TrimRight(m, " .-/(")
		end = start + len(m)
		var with string
		switch {
		case isCard(m):
			with = Card
		case isPhone(s, start, end, m):
			with = Phone
		default:
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(with)
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

// digits returns the digits of m.
func digits(m string) string {
	var b strings.Builder
	for i := 0; i < len(m); i++ {
		if '0' <= m[i] && m[i] <= '9' {
			b.WriteByte(m[i])
		}
	}
	return b.String()
}

// isCard reports whether m is 13 to 19 digits, whole or in groups split
// by single spaces or dashes, passing the Luhn check.
func isCard(m string) bool {
	if strings.ContainsAny(m, "+()./") {
		return false
	}
	d := digits(m)
	return len(d) >= 13 && len(d) <= 19 && luhn(d)
}

func luhn(d string) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}

// isPhone decides whether the number m at s[start:end] is a phone number:
// 8 to 15 digits, and either international (+), a trunk prefix (a
// leading 0 or an area code in parentheses), or grouped the way phone
// numbers are written (three or more groups). Anything after # or a
// currency sign, or followed by a decimal part or a currency, is an
// order number or an amount; a plain run of digits with no prefix is an
// identifier.
func isPhone(s string, start, end int, m string) bool {
	d := digits(m)
	if len(d) < 8 || len(d) > 15 || dateRE.MatchString(m) {
		return false
	}
	if r, _ := utf8.DecodeLastRuneInString(s[:start]); start > 0 &&
		(r == '#' || r == '$' || r == '€' || r == '£' || r == '¥' || unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == ',') {
		return false
	}
	rest := strings.TrimLeft(s[end:], " ")
	if r, _ := utf8.DecodeRuneInString(rest); r == '€' || r == '$' || r == '£' || r == '%' {
		return false
	}
	if len(s) > end+1 && (s[end] == ',' || s[end] == '.') && '0' <= s[end+1] && s[end+1] <= '9' {
		return false // a decimal part: an amount
	}
	for _, cur := range []string{"eur", "usd", "gbp"} {
		if len(rest) >= 3 && strings.EqualFold(rest[:3], cur) {
			return false
		}
	}
	switch {
	case m[0] == '+', m[0] == '(', m[0] == '0':
		return true
	}
	groups := len(strings.FieldsFunc(m, func(r rune) bool { return r < '0' || r > '9' }))
	return groups >= 3
}

// validIBAN checks an IBAN's mod-97 checksum.
func validIBAN(m string) bool {
	m = strings.ToUpper(strings.ReplaceAll(m, " ", ""))
	if len(m) < 15 || len(m) > 34 {
		return false
	}
	m = m[4:] + m[:4]
	rem := 0
	for i := 0; i < len(m); i++ {
		c := m[i]
		switch {
		case '0' <= c && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case 'A' <= c && c <= 'Z':
			rem = (rem*100 + int(c-'A') + 10) % 97
		default:
			return false
		}
	}
	return rem == 1
}
