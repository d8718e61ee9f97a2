package email

import (
	"regexp"
	"strings"
)

// Lines that introduce a quoted message: "On <date>, <name> wrote:" and
// its translations. Gmail and others wrap the line when it is long, so
// these are matched against up to three lines joined.
var quoteHeaders = []*regexp.Regexp{
	regexp.MustCompile(`(?i)^On\s.{4,}\swrote\s?:$`),                              // en
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

// Signature markers: the standard "-- " delimiter, and the lines mobile
// and webmail apps append.
var mobileSignature = regexp.MustCompile(`(?i)^(Sent from my\s|Sent from (Outlook|Mail|Yahoo|Samsung|ProtonMail|Proton Mail)\b|` +
	`Sent (via|with) \w+|Get Outlook for\s|Envoyé de mon\s|Envoyé depuis\s|Von meinem\s.+gesendet|Gesendet von\s|` +
	`Enviado desde mi\s|Enviado do meu\s|Enviado de meu\s|Enviado desde\s|Inviato da\s|Verzonden (vanaf|met) (mijn|m'n)\s|` +
	`Verstuurd vanaf mijn\s|Skickat från\s|Sendt fra\s)`)

// StripQuoted returns the new part of a plain-text reply: without the
// quoted earlier message (after an "On … wrote:" line in English, French,
// German, Spanish, Portuguese, Italian, Dutch and a few more languages,
// even when wrapped over two or three lines; after "-----Original
// Message-----"; after an Outlook "From: … Sent: …" block; or a trailing
// block of ">"-quoted lines) and without the signature (after "-- ", or a
// "Sent from my iPhone" line near the end). Quoted lines between the
// writer's own lines (an inline reply) are kept: they are the context of
// the answers. Line ends become "\n". It can return "" for a message that
// is all quote.
func StripQuoted(text string) string {
	lines := strings.Split(tidyText(text), "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		if forwardMarker.MatchString(norm(lines[i])) {
			return strings.Trim(strings.Join(append(out, lines[i:]...), "\n"), "\n")
		}
		if n := quoteHeaderAt(lines, i); n > 0 {
			j, quoted := skipQuoted(lines, i+n)
			if !quoted {
				break // an unquoted history: everything from here is old
			}
			i = j - 1 // drop the header and its quote; keep what follows
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
	out = dropTrailingQuote(out)
	out = dropSignature(out)
	return strings.Trim(strings.Join(out, "\n"), "\n")
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
		for _, re := range quoteHeaders {
			// A real header always holds a date or time; the digit test
			// keeps "On Monday I wrote:" in a sentence from matching.
			if re.MatchString(joined) && strings.ContainsAny(joined, "0123456789") {
				return n
			}
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
		if quoteHeaderLoose.MatchString(norm(lines[h])) || quoteHeaderAt(lines, h) > 0 {
			lines = lines[:h]
		}
	}
	return lines
}

// dropSignature cuts at the signature delimiter, or at a mobile "Sent
// from" line among the last three non-blank lines, unless nothing would
// remain.
func dropSignature(lines []string) []string {
	for i, l := range lines {
		if (l == "-- " || l == "--") && i > 0 && lastNonBlank(lines[:i]) >= 0 {
			lines = lines[:i]
			break
		}
	}
	seen := 0
	for i := len(lines) - 1; i > 0 && seen < 3; i-- {
		l := norm(lines[i])
		if l == "" {
			continue
		}
		seen++
		if mobileSignature.MatchString(l) && lastNonBlank(lines[:i]) >= 0 {
			return lines[:i]
		}
	}
	return lines
}
