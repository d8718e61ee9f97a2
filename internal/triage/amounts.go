package triage

// Amount is a sum of money a text mentions, with where it was written.
type Amount struct {
	Value    float64
	Currency string // ISO 4217 code
	Start    int    // byte offset of the number in the text
	End      int
}

// Amounts returns every sum of money in text, left to right, read by the
// same scanner the money rules use (a currency must be written next to
// the number; order numbers, dates and phone numbers are never money). It
// is exported for other readers of money in replies (internal/approval),
// so Parley has one parser of amounts.
func Amounts(text string) []Amount {
	var out []Amount
	sc := moneyScanner{s: text}
	for {
		a, ok := sc.next()
		if !ok {
			return out
		}
		out = append(out, Amount{Value: a.value, Currency: a.currency, Start: sc.start, End: sc.i})
	}
}

// Fold returns s as phrases are matched: words case-folded with Latin
// diacritics removed ("Remboursé" → "rembourse"), separated by single
// spaces.
func Fold(s string) string { return normalize(s) }
