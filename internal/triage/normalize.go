package triage

import (
	"unicode"
	"unicode/utf8"
)

// MaxTextBytes bounds the part of a message that is looked at: a longer
// message is judged by its first MaxTextBytes bytes, so the work per message
// is bounded whatever a customer sends.
const MaxTextBytes = 16 << 10

// clip returns the first MaxTextBytes bytes of s, cut at a rune boundary.
func clip(s string) string {
	if len(s) <= MaxTextBytes {
		return s
	}
	i := MaxTextBytes
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// fold appends to dst the normal form of s that phrases are matched in:
// words (runs of letters and digits) case-folded, with Latin diacritics
// removed (é→e, ư→u, đ→d, ß→ss), separated by single spaces. Everything
// else — punctuation, symbols, emoji, spaces — only separates words.
// Combining marks and invisible format characters (soft hyphen, joiners)
// are dropped without separating, so decomposed "e\u0301" folds like "é".
// Scripts written without spaces between words (Han, kana, Thai, Lao,
// Khmer, Myanmar) make one word per character, so a phrase in them matches
// anywhere as a character sequence.
func fold(dst []byte, s string) []byte {
	sep := true // nothing written yet, or the last byte written is a separator
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			default:
				if !sep {
					dst = append(dst, ' ')
					sep = true
				}
				continue
			}
			dst = append(dst, c)
			sep = false
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if 0xFF01 <= r && r <= 0xFF5E { // full-width ASCII, as typed with CJK keyboards
			r -= 0xFEE0
			switch {
			case 'a' <= r && r <= 'z' || '0' <= r && r <= '9':
			case 'A' <= r && r <= 'Z':
				r += 'a' - 'A'
			default:
				if !sep {
					dst = append(dst, ' ')
					sep = true
				}
				continue
			}
			dst = append(dst, byte(r))
			sep = false
			continue
		}
		if b := latinBase(r); b != "" {
			dst = append(dst, b...)
			sep = false
			continue
		}
		switch {
		case r == '\u200B': // zero-width space separates words in some scripts
			if !sep {
				dst = append(dst, ' ')
				sep = true
			}
		case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Cf, r):
			// dropped: it belongs to the letter before it or is invisible
		case unicode.Is(unicode.Mc, r): // a vowel sign of an Indic script: part of the word
			dst = utf8.AppendRune(dst, r)
			sep = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(unicode.ToUpper(r)) // ς→σ, ſ→s, K (Kelvin)→k
			if b := latinBase(r); b != "" {
				dst = append(dst, b...)
				sep = false
				break
			}
			single := unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana,
				unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar)
			if single && !sep {
				dst = append(dst, ' ')
			}
			dst = utf8.AppendRune(dst, r)
			sep = false
			if single {
				dst = append(dst, ' ')
				sep = true
			}
		default:
			if !sep {
				dst = append(dst, ' ')
				sep = true
			}
		}
	}
	if sep && len(dst) > 0 && dst[len(dst)-1] == ' ' {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// normalize returns the folded form of s (see fold).
func normalize(s string) string {
	return string(fold(make([]byte, 0, len(s)), s))
}

// latinBase returns the plain letters a Latin letter with diacritics folds
// to ("e" for é and Ệ, "d" for đ, "ss" for ß, "fi" for ﬁ), or "" for any
// other rune.
func latinBase(r rune) string {
	switch {
	case 0xC0 <= r && r < 0x250:
		return latinTables.a[r-0xC0]
	case 0x1E00 <= r && r < 0x1F00:
		return latinTables.b[r-0x1E00]
	case 0xFB00 <= r && r <= 0xFB06: // typographic ligatures, from PDFs and word processors
		return [...]string{"ff", "fi", "fl", "ffi", "ffl", "st", "st"}[r-0xFB00]
	}
	return ""
}

// latinFolds lists, for each plain form, the lower-case letters of Latin-1
// Supplement, Latin Extended-A and -B and Latin Extended Additional (which
// holds Vietnamese's letters with tone marks) that fold to it. The first
// part was derived from Unicode's canonical decompositions; the letters
// after the blank line have no decomposition and are folded by convention.
var latinFolds = [...]struct{ base, letters string }{
	{"a", "àáâãäåāăąǎǟǡǻȁȃȧḁạảấầẩẫậắằẳẵặ"},
	{"b", "ḃḅḇ"},
	{"c", "çćĉċčḉ"},
	{"d", "ďḋḍḏḑḓ"},
	{"e", "èéêëēĕėęěȅȇȩḕḗḙḛḝẹẻẽếềểễệ"},
	{"f", "ḟ"},
	{"g", "ĝğġģǧǵḡ"},
	{"h", "ĥȟḣḥḧḩḫẖ"},
	{"i", "ìíîïĩīĭįǐȉȋḭḯỉị"},
	{"j", "ĵǰ"},
	{"k", "ķǩḱḳḵ"},
	{"l", "ĺļľḷḹḻḽ"},
	{"m", "ḿṁṃ"},
	{"n", "ñńņňǹṅṇṉṋ"},
	{"o", "òóôõöōŏőơǒǫǭȍȏȫȭȯȱṍṏṑṓọỏốồổỗộớờởỡợ"},
	{"p", "ṕṗ"},
	{"r", "ŕŗřȑȓṙṛṝṟ"},
	{"s", "śŝşšșṡṣṥṧṩ"},
	{"t", "ţťțṫṭṯṱẗ"},
	{"u", "ùúûüũūŭůűųưǔǖǘǚǜȕȗṳṵṷṹṻụủứừửữự"},
	{"v", "ṽṿ"},
	{"w", "ŵẁẃẅẇẉẘ"},
	{"x", "ẋẍ"},
	{"y", "ýÿŷȳẏẙỳỵỷỹ"},
	{"z", "źżžẑẓẕ"},

	{"d", "đð"},
	{"o", "øǿ"},
	{"l", "łŀ"},
	{"h", "ħ"},
	{"t", "ŧ"},
	{"b", "ƀ"},
	{"g", "ǥ"},
	{"z", "ƶ"},
	{"k", "ĸ"},
	{"n", "ŉŋ"},
	{"ae", "æǽǣ"},
	{"oe", "œ"},
	{"ss", "ß"},
	{"th", "þ"},
	{"ij", "ĳ"},
	{"dz", "ǆǳ"},
	{"lj", "ǉ"},
	{"nj", "ǌ"},
}

// latinTables index latinFolds by rune, upper-case letters included; it is
// built once when the package is loaded and only read afterwards.
var latinTables = buildLatinTables()

func buildLatinTables() (t struct {
	a [0x250 - 0xC0]string
	b [0x100]string
}) {
	set := func(r rune, base string) {
		switch {
		case 0xC0 <= r && r < 0x250:
			t.a[r-0xC0] = base
		case 0x1E00 <= r && r < 0x1F00:
			t.b[r-0x1E00] = base
		}
	}
	for _, f := range latinFolds {
		for _, r := range f.letters {
			set(r, f.base)
			for u := unicode.SimpleFold(r); u != r; u = unicode.SimpleFold(u) {
				set(u, f.base) // Ệ, Ǆ and ǅ, ẞ: every case of the letter
			}
		}
	}
	return t
}
