package approval

import (
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/triage"
)

// Money a reply commits: the largest amount written in a sentence that
// also promises a refund, a credit, a compensation or a reimbursement, in
// English, French or Spanish. An amount alone ("your order of $300
// shipped") commits nothing; amounts are read by triage's scanner, so
// Parley has one reading of money.

// commitStems are folded word beginnings that make a sentence's amounts a
// commitment (refund, refunded, rembourser, remboursement, reembolso...).
var commitStems = []string{
	// English
	"refund", "reimburs", "credit", "compensat", "goodwill",
	// French (crédit folds to credit, compensation is above)
	"rembours", "dedommag", "indemni", "avoir",
	// Spanish (crédito folds to credit)
	"reembols", "devolu", "devolver", "devolvemos", "devolveremos", "devuelto", "compensa", "indemniz",
	"abono", "abonar", "abonamos", "abonaremos", "abonado",
}

// notCommitments are folded phrases that hold a stem without promising
// money ("your credit card", "carte de crédit", "tarjeta de crédito");
// they are taken out before the stems are looked for. French "avoir" is a
// stem only as the noun ("un avoir de 30 €"), never the verb "to have".
var notCommitments = []string{"credit card", "carte de credit", "carte bancaire", "tarjeta de credito"}

// Committed returns the largest amount text commits as money back to the
// customer, and its currency; 0 and "" when it commits none.
func Committed(text string) (amount float64, currency string) {
	for _, s := range sentences(text) {
		if !commits(triage.Fold(s)) {
			continue
		}
		for _, a := range triage.Amounts(s) {
			if a.Value > amount {
				amount, currency = a.Value, a.Currency
			}
		}
	}
	return amount, currency
}

// commits reports whether a folded sentence promises money back.
func commits(folded string) bool {
	folded = " " + folded + " "
	for _, p := range notCommitments {
		folded = strings.ReplaceAll(folded, " "+p+" ", " ")
	}
	words := strings.Fields(folded)
	for i, w := range words {
		for _, stem := range commitStems {
			if !strings.HasPrefix(w, stem) {
				continue
			}
			if stem == "avoir" && (w != "avoir" || i == 0 || words[i-1] != "un" && words[i-1] != "votre") {
				continue
			}
			return true
		}
	}
	return false
}

// sentences splits text at line breaks, '!', '?', ';' and at a '.' that a
// space or the end follows (so "1.299,00" and "250.00" stay whole).
func sentences(text string) []string {
	var out []string
	start := 0
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		end := false
		switch r {
		case '\n', '!', '?', ';', '¡', '¿':
			end = true
		case '.', '。':
			end = i+n == len(text) || text[i+n] == ' ' || text[i+n] == '\n' || text[i+n] == '\t'
		}
		i += n
		if end {
			out = append(out, text[start:i])
			start = i
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}
