package triage

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// An amount is a sum of money a message mentions.
type amount struct {
	value    float64
	currency string // ISO 4217 code
}

// A number counts as money only when a currency is written right before or
// after it ("$250", "USD 250", "250 €", "2.500.000đ", "500k VND", "2 triệu
// đồng"); bare numbers never do. Numbers that belong to something else are
// skipped even next to a currency: those after '#', '+', '@' or a letter
// (order numbers, phone numbers, "A123"), parts of dates, times and phone
// numbers ("2026-11-24", "24/11", "10:30", "090-123-4567"), percentages, and
// numbers with a leading zero ("0901234567").
//
// Separators are read leniently: the last '.' or ',' is the decimal point
// when it appears once and is not followed by exactly three digits, so
// "1,299.00", "1.299,00", "1 299,00", "1'299.00", "2.500.000" and
// "2,500,000" all read as expected, and "1.299" is one thousand two hundred
// and ninety-nine. "$" is taken as US dollars unless a country prefix says
// otherwise ("A$", "C$", "R$", "HK$"); "¥" as yen.

// currencySymbols are the symbols recognised before or after an amount.
var currencySymbols = map[rune]string{
	'$': "USD", '€': "EUR", '£': "GBP", '¥': "JPY", '￥': "JPY", '₫': "VND", '₩': "KRW",
	'₹': "INR", '฿': "THB", '₱': "PHP", '₽': "RUB", '₺': "TRY", '₪': "ILS",
}

// dollarPrefixes name the dollar in "US$", "A$", "HK$"… (in lower case).
var dollarPrefixes = map[string]string{
	"us": "USD", "a": "AUD", "au": "AUD", "c": "CAD", "ca": "CAD", "r": "BRL",
	"s": "SGD", "sg": "SGD", "hk": "HKD", "nz": "NZD", "nt": "TWD", "mx": "MXN",
}

// currencyCodes are the ISO 4217 codes recognised before or after an amount,
// in any case except for those in capitalsOnly, which are also ordinary
// words ("try", "pen", "cad", "ils").
const (
	currencyCodes = "AED ARS AUD BRL CAD CHF CLP CNY COP CZK DKK EUR GBP HKD HUF IDR ILS INR " +
		"JPY KRW MXN MYR NOK NZD PEN PHP PLN RUB SAR SEK SGD THB TRY TWD USD VND ZAR"
	capitalsOnly = "ARS CAD COP ILS PEN PHP RUB TRY"
)

// currencyNames are words, folded, that name a currency after an amount.
var currencyNames = map[string]string{
	"dollar": "USD", "dollars": "USD", "dolar": "USD", "dolares": "USD", "bucks": "USD",
	"euro": "EUR", "euros": "EUR", "dong": "VND", "yen": "JPY", "yuan": "CNY", "rmb": "CNY",
	"reais": "BRL", "baht": "THB", "rupees": "INR", "ringgit": "MYR", "rupiah": "IDR",
}

// multipliers are words, folded, that scale an amount: "500k", "1,5 triệu",
// "$2M", "500 nghìn". They make a number money only with a currency too.
var multipliers = map[string]float64{
	"k": 1e3, "thousand": 1e3, "nghin": 1e3, "ngan": 1e3,
	"m": 1e6, "mn": 1e6, "mio": 1e6, "million": 1e6, "millions": 1e6, "tr": 1e6, "trieu": 1e6,
	"bn": 1e9, "billion": 1e9, "ty": 1e9,
}

// currency is what a word can say about money.
type currency struct {
	code   string
	isCode bool // an ISO code, so it may also come before the amount
	upper  bool // counts only when written in capitals
}

// currencyWords index currencyCodes and currencyNames by folded word; built
// once when the package is loaded and only read afterwards.
var currencyWords = func() map[string]currency {
	m := map[string]currency{}
	for _, c := range strings.Fields(currencyCodes) {
		m[strings.ToLower(c)] = currency{code: c, isCode: true, upper: strings.Contains(capitalsOnly, c)}
	}
	for w, c := range currencyNames {
		m[w] = currency{code: c}
	}
	return m
}()

// knownCurrency reports whether code (any case) is an ISO 4217 code that
// amounts are recognised in, so that a rule's Currencies can be checked.
func knownCurrency(code string) bool {
	if len(code) != 3 {
		return false
	}
	c, ok := currencyWords[strings.ToLower(code)]
	return ok && c.isCode
}

// moneyScanner finds the amounts of money in a text, left to right.
type moneyScanner struct {
	s     string
	i     int
	start int // where the last amount's number starts
}

// next returns the next amount, or false when there are no more.
func (sc *moneyScanner) next() (amount, bool) {
	for sc.i < len(sc.s) {
		if c := sc.s[sc.i]; c < '0' || c > '9' {
			sc.i++
			continue
		}
		start := sc.i
		sc.i = scanNumber(sc.s, start)
		if a, ok := readAmount(sc.s, start, sc.i); ok {
			sc.start = start
			return a, true
		}
	}
	return amount{}, false
}

// scanNumber returns the end of the number starting at s[i]: digits, and
// single separators ('.', ',', apostrophes, spaces) between digits.
func scanNumber(s string, i int) int {
	for {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if n == 0 || !isNumberSep(r) || i+n >= len(s) || !isDigit(s[i+n]) {
			return i
		}
		i += n
	}
}

// readAmount decides whether the number s[start:end] is money, and how much.
func readAmount(s string, start, end int) (amount, bool) {
	if end-start > 40 {
		return amount{}, false
	}
	var prefix string // the currency written before the number
	p, pn := utf8.DecodeLastRuneInString(s[:start])
	switch {
	case strings.ContainsRune("#+@_/:=№", p):
		return amount{}, false
	case (p == '-' || p == '.' || p == ',') && start-pn > 0 && isDigit(s[start-pn-1]):
		return amount{}, false // the second part of a date, range or version
	case unicode.IsLetter(p):
		w := wordBefore(s, start)
		c, ok := lookup(currencyWords, w)
		if !ok || !c.isCode || c.upper && !isCapitals(w) {
			return amount{}, false // "A123", "iPhone15", but not "USD250"
		}
		prefix = c.code
	default:
		prefix = currencyBefore(s, start)
	}

	e := end
	if e+1 < len(s) && (s[e] == ',' || s[e] == '.') && s[e+1] == '-' { // "250,- €"
		e += 2
	}
	q, qn := utf8.DecodeRuneInString(s[e:])
	switch {
	case strings.ContainsRune("%‰°_@#", q) && qn > 0:
		return amount{}, false
	case strings.ContainsRune("/:-.,", q) && qn > 0 && e+qn < len(s) && isDigit(s[e+qn]):
		if q != '-' || prefix == "" { // "$200-300" is money; "2026-11-24" is not
			return amount{}, false
		}
	}

	// After the number: an optional multiplier, then an optional currency,
	// each after at most one space.
	mult := 1.0
	i := skipSpace(s, e)
	if w := wordAt(s, i); w != "" {
		if m, ok := lookup(multipliers, w); ok {
			mult = m
			i = skipSpace(s, i+len(w))
		}
	}
	suffix := ""
	if w := wordAt(s, i); w != "" {
		if w == "đ" || w == "Đ" {
			suffix = "VND"
		} else if c, ok := lookup(currencyWords, w); ok && (!c.upper || isCapitals(w)) {
			suffix = c.code
		}
	} else if r, _ := utf8.DecodeRuneInString(s[i:]); currencySymbols[r] != "" {
		suffix = currencySymbols[r]
	}
	cur := prefix
	if cur == "" {
		cur = suffix
	}
	if cur == "" {
		return amount{}, false
	}
	run := s[start:end]
	v, ok := parseNumber(run)
	if !ok {
		// "090 123 4567 250 USD": spaces may have joined separate numbers;
		// take the one next to the currency.
		if k := strings.IndexFunc(run, isSpace); k >= 0 && prefix != "" {
			v, ok = parseNumber(run[:k])
		} else if k >= 0 {
			k = strings.LastIndexFunc(run, isSpace)
			_, n := utf8.DecodeRuneInString(run[k:])
			v, ok = parseNumber(run[k+n:])
		}
	}
	if !ok {
		return amount{}, false
	}
	return amount{value: v * mult, currency: cur}, true
}

// currencyBefore returns the currency written just before s[i], maybe with
// one space between: a symbol ("$", "US$", "€") or an ISO code ("USD").
func currencyBefore(s string, i int) string {
	r, n := utf8.DecodeLastRuneInString(s[:i])
	if isSpace(r) {
		i -= n
		r, n = utf8.DecodeLastRuneInString(s[:i])
	}
	if code, ok := currencySymbols[r]; ok {
		if r == '$' {
			if c, ok := lookup(dollarPrefixes, wordBefore(s, i-n)); ok {
				return c
			}
		}
		return code
	}
	if unicode.IsLetter(r) {
		w := wordBefore(s, i)
		if c, ok := lookup(currencyWords, w); ok && c.isCode && (!c.upper || isCapitals(w)) {
			return c.code
		}
	}
	return ""
}

// parseNumber reads a number written with grouping and decimal separators
// (see above); it refuses groupings that are not money-like, such as
// "24.11.2026" or "090 123 4567".
func parseNumber(run string) (float64, bool) {
	var groups [16]string
	var seps [15]rune
	n, from := 0, 0
	for i := 0; i < len(run); {
		if isDigit(run[i]) {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(run[i:])
		if n == len(seps) {
			return 0, false
		}
		groups[n], seps[n] = run[from:i], r
		if isSpace(r) {
			seps[n] = ' '
		} else if r == '’' {
			seps[n] = '\''
		}
		n++
		i += size
		from = i
	}
	groups[n] = run[from:]
	g, sp := groups[:n+1], seps[:n]

	intPart, frac := g, ""
	if len(sp) > 0 {
		last := sp[len(sp)-1]
		count := 0
		for _, r := range sp {
			if r == last {
				count++
			}
		}
		tail := g[len(g)-1]
		if (last == '.' || last == ',') && count == 1 &&
			(len(g) > 2 || len(tail) != 3 || len(g[0]) > 3 || g[0][0] == '0') {
			intPart, frac = g[:len(g)-1], tail
		}
	}
	if len(intPart[0]) > 1 && intPart[0][0] == '0' {
		return 0, false // "0901234567", "007": codes, not money
	}
	if len(intPart) > 1 {
		if len(intPart[0]) > 3 {
			return 0, false
		}
		for k := 1; k < len(intPart); k++ {
			if sp[k-1] != sp[0] {
				return 0, false
			}
			switch l := len(intPart[k]); {
			case l == 3:
			case l == 2 && sp[0] == ',' && k < len(intPart)-1: // Indian "1,00,000"
			default:
				return 0, false
			}
		}
	}
	v := 0.0
	for _, grp := range intPart {
		for k := 0; k < len(grp); k++ {
			v = v*10 + float64(grp[k]-'0')
		}
	}
	scale := 1.0
	for k := 0; k < len(frac); k++ {
		scale /= 10
		v += float64(frac[k]-'0') * scale
	}
	return v, true
}

// wordAt returns the run of letters starting at s[i], or "" if s[i] is not
// a letter. Combining marks stay in the word ("đồng" typed decomposed).
func wordAt(s string, i int) string {
	j := i
	for j < len(s) {
		r, n := utf8.DecodeRuneInString(s[j:])
		if !unicode.IsLetter(r) && !(j > i && unicode.Is(unicode.Mn, r)) {
			break
		}
		j += n
	}
	return s[i:j]
}

// wordBefore returns the run of letters ending at s[i].
func wordBefore(s string, i int) string {
	j := i
	for j > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:j])
		if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) {
			break
		}
		j -= n
	}
	return s[j:i]
}

// lookup looks a word up, folded, in one of the tables above; a long word
// is in none of them.
func lookup[V any](table map[string]V, w string) (V, bool) {
	if len(w) == 0 || len(w) > 24 {
		var zero V
		return zero, false
	}
	var buf [48]byte
	v, ok := table[string(fold(buf[:0], w))]
	return v, ok
}

// skipSpace skips at most one space at s[i].
func skipSpace(s string, i int) int {
	if r, n := utf8.DecodeRuneInString(s[i:]); isSpace(r) {
		return i + n
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isSpace reports whether r is a space that may stand between an amount and
// its currency, or between groups of digits.
func isSpace(r rune) bool {
	return r == ' ' || r == '\u00A0' || r == '\u202F' || r == '\u2009'
}

func isNumberSep(r rune) bool {
	return r == '.' || r == ',' || r == '\'' || r == '’' || isSpace(r)
}

func isCapitals(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'A' || w[i] > 'Z' {
			return false
		}
	}
	return w != ""
}
