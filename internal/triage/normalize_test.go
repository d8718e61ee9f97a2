package triage

import "testing"

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "",
		"  Hello,   WORLD!! ":        "hello world",
		"I was CHARGED TWICE!":       "i was charged twice",
		"Tôi đã bị TRỪ TIỀN hai lần": "toi da bi tru tien hai lan",
		"ĐẶT HÀNG Ơ Ư ơ ư":           "dat hang o u o u",
		"Ệ ệ Ỹ ỹ Ặ ặ":                "e e y y a a",
		"Straße STRASSE ẞ":           "strasse strasse ss",
		"Æsir œuvre Øre Łódź ǅ":      "aesir oeuvre ore lodz dz",
		"été paiement refusé":        "ete paiement refuse",
		"e\u0301te\u0301":            "ete",     // decomposed accents
		"pay\u00ADment":              "payment", // soft hyphen
		"didn’t didn't":              "didn t didn t",
		"ΣΊΣΥΦΟΣ σίσυφος":            "σίσυφοσ σίσυφοσ", // final sigma folds
		"KELVIN \u212A":              "kelvin k",
		"ﬁne":                        "fine",
		"Ｈｅｌｌｏ　１２３":                  "hello 123", // full-width, ideographic space
		"我要退款":                       "我 要 退 款",
		"ราคาเท่าไหร่":               "ร า ค า เ ท า ไ ห ร",
		"Привет, МИР":                "привет мир",
		"hi😀there #1 — ok":           "hi there 1 ok",
		"a\u200Bb":                   "a b",
		"\xff\xfeinvalid":            "invalid",
	} {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every letter in the fold table folds to its base, in both cases.
func TestLatinTable(t *testing.T) {
	for _, f := range latinFolds {
		for _, r := range f.letters {
			if got := latinBase(r); got != f.base {
				t.Errorf("latinBase(%q) = %q, want %q", r, got, f.base)
			}
		}
	}
	for in, want := range map[rune]string{'Đ': "d", 'Ơ': "o", 'Ư': "u", 'Ầ': "a", 'Ǆ': "dz", 'Ø': "o", 'A': "", 'Ω': ""} {
		if got := latinBase(in); got != want {
			t.Errorf("latinBase(%q) = %q, want %q", in, got, want)
		}
	}
}
