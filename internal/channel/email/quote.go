package email

import (
	"regexp"
	"strings"
)

// Lines that introduce a quoted message: "On <date>, <name> wrote:" and
// its translations. Gmail and others wrap the line when it is long, so
// these are matched against up to three lines joined.
var quoteHeaders = []*regexp.Regexp{
	regexp.MustCompile(`(?i)^On\s.{4,}[\s>]wrote\s?:$`),                           // en; Gmail may glue "<addr>wrote:"
	regexp.MustCompile(`(?i)^Le\s.{4,}\sa\s+écrit\s?:$`),                          // fr
	regexp.MustCompile(`(?i)^Am\s.{4,}\sschrieb\b.*:$`),                           // de
	regexp.MustCompile(`(?i)^El\s.{4,}\sescribi[óo]\s?:$`),                        // es
	regexp.MustCompile(`(?i)^Em\s.{4,}\sescreveu\s?:$`),                           // pt
	regexp.MustCompile(`(?i)^Il\s.{4,}\sha\s+scritto\s?:$`),                       // it
	regexp.MustCompile(`(?i)^Op\s.{4,}\sschreef\b.*:$`),                           // nl
	regexp.MustCompile(`(?i)^(Den|På)\s.{4,}\sskrev\b.*:$`),                       // da, no, sv
	regexp.MustCompile(`(?i)^W\s+dniu\s.{4,}\snapisał(a|\(a\))?\s?:$`),            // pl
	regexp.MustCompile(`(?i)^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}.{0,80}\s<[^>]+>\s?:$`), // "2025-03-04 10:00 GMT+01:00 Ann <ann@x>:"
}

// quoteHeaderLoose matches a shorter "<name> wrote:" line; it only counts
// when ">"-quoted lines follow, because people write "she wrote:" too.
var quoteHeaderLoose = regexp.MustCompile(`(?i)^.{1,200}\s(wrote|a écrit|schrieb|escribió|escreveu|ha scritto|schreef|skrev|napisał\w*)\s?:$`)

// quoteHeaderAddr is the shape Gmail uses in languages not listed above
// (Russian, Japanese, Chinese, Turkish, Czech…): a date, the sender's
// "<address>", maybe a verb, and a colon. Like quoteHeaderLoose it only
// counts when ">"-quoted lines follow.
var quoteHeaderAddr = regexp.MustCompile(`^.{0,200}<[^<>\s@]+@[^<>\s]+>.{0,80}[:：]$`)

// Separators after which everything is the earlier message.
var originalMessage = regexp.MustCompile(`(?i)^-{2,}\s*(Original Message|Ursprüngliche Nachricht|Originalnachricht|Message d'origine|` +
	`Mensaje original|Mensagem original|Messaggio originale|Oorspronkelijk bericht|Originalmeddelelse|Opprinnelig melding|` +
	`Ursprungligt meddelande|Wiadomość oryginalna)\s*-{2,}$`)

// Forward markers: a forwarded message is what the writer wants read,
// not history, so nothing after one is stripped.
var forwardMarker = regexp.MustCompile(`(?i)^(-{2,}\s*(Forwarded message|Weitergeleitete Nachricht|Message transféré|` +
	`Mensaje reenviado|Mensagem encaminhada|Messaggio inoltrato|Doorgestuurd bericht)\s*-{2,}|Begin forwarded message:|` +
	`Début du message réexpédié :|Anfang der weitergeleiteten Nachricht:)$`)

// Outlook's plain-text reply header: a From: line, then within a few lines
// a Sent: or Date: line (in the sender's language), or all on one line.
var (
	outlookFrom    = regexp.MustCompile(`(?i)^\*?(From|Von|De|Da|Van|Fra|Från|Od)\s?:\*?\s*\S`)
	outlookSent    = regexp.MustCompile(`(?i)^\*?(Sent|Date|Gesendet|Datum|Envoyé|Enviado|Fecha|Data|Inviato|Verzonden|Verstuurd|Sendt|Skickat|Wysłano)\s?:`)
	outlookOneLine = regexp.MustCompile(`(?i)^\*?From:.+\bSent:.+\bTo:`)
	ruler          = regexp.MustCompile(`^(_{8,}|-{8,})$`)
)

// Signature markers: the lines mobile and webmail apps append. A line
// counts only when it is short and not a sentence (see mobileLine):
// "Sent from my desk, which is easier than my phone." is the writer's.
var mobileSignature = regexp.MustCompile(`(?i)^(Sent from my\s|Sent from (Outlook|Mail|Yahoo|Samsung|ProtonMail|Proton Mail)\b|` +
	`Sent (via|with) \w+|Get Outlook for\s|Envoyé de mon\s|Envoyé depuis\s|Von meinem\s.+gesendet|Gesendet von\s|` +
	`Enviado desde mi\s|Enviado do meu\s|Enviado de meu\s|Enviado desde\s|Inviato da\s|Verzonden (vanaf|met) (mijn|m'n)\s|` +
	`Verstuurd vanaf mijn\s|Skickat från\s|Sendt fra\s)`)

// listFooter is what a mailing list's footer says (Mailman, Google
// Groups, Listmonk and the like).
var listFooter = regexp.MustCompile(`(?i)(mailing list|listinfo|list-manage|unsubscribe|to stop receiving|` +
	`you received this (message|email) because you are subscribed)`)

// footerRuler opens a mailing-list footer.
var footerRuler = regexp.MustCompile(`^(_{5,}|-{5,}|={5,})$`)

// stdDelim stands for a line that was exactly "-- " (RFC 3676's
// signature delimiter) before trailing spaces were trimmed; a NUL cannot
// come from Parse (clean removes them), so the mark is unambiguous there.
const stdDelim = "-- \x00"

// StripQuoted returns the new part of a plain-text reply: without the
// quoted earlier message (after an "On … wrote:" line in English, French,
// German, Spanish, Portuguese, Italian, Dutch and a few more languages,
// or Gmail's "<address>:" form in any language, even when wrapped over
// two or three lines; after "-----Original Message-----"; after an
// Outlook "From: … Sent: …" block; or a trailing block of ">"-quoted
// lines), without a signature and without a mailing list's footer.
//
// It drops a line only when it is certainly history or a signature:
// quoted lines between the writer's own lines (an inline reply) are kept,
// with the header above them, as the context of the answers; a "-- "
// line starts a signature only when at most 15 lines follow it, and a
// bare "--" (often a separator in a list) only when it is the only one
// and what follows is a short block with no question in it; a "Sent from
// my iPhone" line only when it is short, not a sentence, and at the end.
// Line ends become "\n". It can return "" for a message that is all
// quote.
func StripQuoted(text string) string {
	lines := splitLines(text)
	var out []string
	for i := 0; i < len(lines); i++ {
		if forwardMarker.MatchString(norm(lines[i])) {
			out = append(out, lines[i:]...)
			return finish(out)
		}
		if n := quoteHeaderAt(lines, i); n > 0 {
			j, quoted := skipQuoted(lines, i+n)
			if !quoted {
				break // an unquoted history: everything from here is old
			}
			if quoteFollows(lines, j) {
				// Answers between quotes: the quotes are their context.
				out = append(out, lines[i:j]...)
			}
			i = j - 1 // past the header and its quote; keep what follows
			continue
		}
		l := norm(lines[i])
		if originalMessage.MatchString(l) || outlookOneLine.MatchString(l) || outlookHeaderAt(lines, i) {
			if k := lastNonBlank(out); k >= 0 && ruler.MatchString(norm(out[k])) {
				out = out[:k]
			}
			break
		}
		out = append(out, lines[i])
	}
	// What ends a message can hide what precedes it (a signature after
	// the last quote, a footer after the signature): repeat until stable.
	for {
		n := len(out)
		out = dropSignature(dropTrailingQuote(dropFooter(out)))
		if len(out) == n {
			break
		}
	}
	return finish(out)
}

// splitLines normalises line ends, trims trailing space and surrounding
// blank lines (as tidyText), and marks RFC 3676 delimiters as stdDelim.
func splitLines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if l == "-- " {
			lines[i] = stdDelim
		}
	}
	return strings.Split(tidyText(strings.Join(lines, "\n")), "\n")
}

func finish(lines []string) string {
	for i, l := range lines {
		if l == stdDelim {
			lines[i] = "--"
		}
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// norm prepares a line for matching: no-break spaces (French puts one
// before the colon) become spaces, and surrounding space goes.
func norm(l string) string {
	l = strings.Map(func(r rune) rune {
		if r == '\u00a0' || r == '\u202f' {
			return ' '
		}
		return r
	}, l)
	return strings.TrimSpace(l)
}

// quoteHeaderAt returns how many lines (1–3) form a quote header starting
// at line i, or 0.
func quoteHeaderAt(lines []string, i int) int {
	first := norm(lines[i])
	if first == "" || strings.HasPrefix(first, ">") {
		return 0
	}
	joined := first
	for n := 1; n <= 3 && i+n <= len(lines); n++ {
		if n > 1 {
			if strings.ContainsAny(joined[len(joined)-1:], ".!?") {
				return 0 // a sentence ended: not a wrapped header
			}
			next := norm(lines[i+n-1])
			if next == "" || strings.HasPrefix(next, ">") {
				return 0
			}
			joined += " " + next
		}
		if len(joined) > 300 {
			return 0
		}
		// A real header always holds a date or time; the digit test
		// keeps "On Monday I wrote:" in a sentence from matching.
		dated := strings.ContainsAny(joined, "0123456789")
		for _, re := range quoteHeaders {
			if re.MatchString(joined) && dated {
				return n
			}
		}
		if dated && quoteHeaderAddr.MatchString(joined) && nextNonBlankQuoted(lines, i+n) {
			return n
		}
		if n == 1 && quoteHeaderLoose.MatchString(joined) {
			if _, quoted := skipQuoted(lines, i+1); quoted && nextNonBlankQuoted(lines, i+1) {
				return 1
			}
		}
	}
	return 0
}

// skipQuoted skips blank and ">"-quoted lines from i and reports where it
// stopped and whether any quoted line was seen.
func skipQuoted(lines []string, i int) (int, bool) {
	quoted := false
	for ; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if strings.HasPrefix(l, ">") {
			quoted = true
		} else if l != "" {
			break
		}
	}
	return i, quoted
}

// quoteFollows reports whether a ">"-quoted line comes after line i: the
// writer answers between quotes.
func quoteFollows(lines []string, i int) bool {
	for ; i < len(lines); i++ {
		if strings.HasPrefix(strings.TrimSpace(lines[i]), ">") {
			return true
		}
	}
	return false
}

func nextNonBlankQuoted(lines []string, i int) bool {
	for ; i < len(lines); i++ {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return strings.HasPrefix(l, ">")
		}
	}
	return false
}

func outlookHeaderAt(lines []string, i int) bool {
	if !outlookFrom.MatchString(norm(lines[i])) {
		return false
	}
	for j := i + 1; j < len(lines) && j <= i+4; j++ {
		if outlookSent.MatchString(norm(lines[j])) {
			return true
		}
	}
	return false
}

func lastNonBlank(lines []string) int {
	for k := len(lines) - 1; k >= 0; k-- {
		if strings.TrimSpace(lines[k]) != "" {
			return k
		}
	}
	return -1
}

// nonBlank returns the lines that are not blank.
func nonBlank(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// dropTrailingQuote removes a block of ">"-quoted lines at the end, and
// the line introducing it if that looks like a quote header.
func dropTrailingQuote(lines []string) []string {
	k := len(lines)
	quoted := false
	for k > 0 {
		l := strings.TrimSpace(lines[k-1])
		if strings.HasPrefix(l, ">") {
			quoted = true
		} else if l != "" {
			break
		}
		k--
	}
	if !quoted {
		return lines
	}
	lines = lines[:k]
	if h := lastNonBlank(lines); h >= 0 && strings.HasSuffix(norm(lines[h]), ":") {
		if quoteHeaderLoose.MatchString(norm(lines[h])) || quoteHeaderAt(lines, h) > 0 ||
			(quoteHeaderAddr.MatchString(norm(lines[h])) && strings.ContainsAny(lines[h], "0123456789")) {
			lines = lines[:h]
		}
	}
	return lines
}

// dropFooter removes a mailing list's footer: a ruler line followed by at
// most 8 lines, one of which says it is a list (see listFooter).
func dropFooter(lines []string) []string {
	for i := len(lines) - 1; i > 0; i-- {
		if !footerRuler.MatchString(norm(lines[i])) {
			continue
		}
		block := nonBlank(lines[i+1:])
		if len(block) == 0 || len(block) > 8 || lastNonBlank(lines[:i]) < 0 {
			return lines
		}
		for _, l := range block {
			if listFooter.MatchString(l) {
				return lines[:i]
			}
		}
		return lines
	}
	return lines
}

// dropSignature cuts at the last signature delimiter when what follows
// it is a signature (see StripQuoted), or at a mobile "Sent from" line
// among the last two non-blank lines, unless nothing would remain.
func dropSignature(lines []string) []string {
	for i := len(lines) - 1; i > 0; i-- {
		l := lines[i]
		if l != stdDelim && l != "--" {
			continue
		}
		block := nonBlank(lines[i+1:])
		if lastNonBlank(lines[:i]) >= 0 && (l == stdDelim && len(block) <= 15 || l == "--" && bareSignature(lines, block)) {
			return lines[:i]
		}
		break // only the last delimiter can start the signature
	}
	seen := 0
	for i := len(lines) - 1; i > 0 && seen < 2; i-- {
		l := norm(lines[i])
		if l == "" {
			continue
		}
		seen++
		if mobileLine(l) && lastNonBlank(lines[:i]) >= 0 {
			return lines[:i]
		}
	}
	return lines
}

// bareSignature reports whether block, after a bare "--" line, is a
// signature: the only such line in the message (several are a list's
// separators), and a short block asking nothing.
func bareSignature(lines, block []string) bool {
	bare := 0
	for _, l := range lines {
		if l == "--" {
			bare++
		}
	}
	if bare != 1 || len(block) > 6 {
		return false
	}
	for _, l := range block {
		if len(l) > 120 || strings.HasSuffix(strings.TrimSpace(l), "?") {
			return false
		}
	}
	return true
}

// mobileLine reports whether l is a phone or webmail app's signature
// line rather than a sentence that happens to start the same way.
func mobileLine(l string) bool {
	return mobileSignature.MatchString(l) && len(l) <= 60 && len(strings.Fields(l)) <= 8 &&
		!strings.ContainsAny(l, ",;:!?")
}
