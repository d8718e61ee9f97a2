package triage

import (
	"fmt"
	"strings"
	"testing"
)

// amounts returns the amounts in s, formatted "value CUR".
func amounts(s string) string {
	var out []string
	sc := moneyScanner{s: s}
	for {
		a, ok := sc.next()
		if !ok {
			return strings.Join(out, ", ")
		}
		out = append(out, fmt.Sprintf("%g %s", a.value, a.currency))
	}
}

func TestAmounts(t *testing.T) {
	for in, want := range map[string]string{
		// the formats of the issue
		"$250":          "250 USD",
		"250 USD":       "250 USD",
		"USD 250":       "250 USD",
		"€1.299,00":     "1299 EUR",
		"1,299.00 EUR":  "1299 EUR",
		"2.500.000 ₫":   "2.5e+06 VND",
		"2,500,000 VND": "2.5e+06 VND",
		// more ways of writing them
		"250$":                            "250 USD",
		"250 $":                           "250 USD",
		"$ 250.50":                        "250.5 USD",
		"USD250":                          "250 USD",
		"250usd":                          "250 USD",
		"US$ 1,5k":                        "1500 USD",
		"$2M":                             "2e+06 USD",
		"20 dollars":                      "20 USD",
		"50 euros":                        "50 EUR",
		"1 299,00 €":                      "1299 EUR",
		"1\u00A0299,00\u00A0€":            "1299 EUR",
		"1'299.00 CHF":                    "1299 CHF",
		"250,- €":                         "250 EUR",
		"€ 0,99":                          "0.99 EUR",
		"£1,000":                          "1000 GBP",
		"1.299 €":                         "1299 EUR", // three digits after one separator: thousands
		"1.29 €":                          "1.29 EUR",
		"1234.567 €":                      "1234.567 EUR",
		"2.500.000đ":                      "2.5e+06 VND",
		"2.500.000 đ":                     "2.5e+06 VND",
		"2.500.000 VNĐ":                   "2.5e+06 VND",
		"500k vnđ":                        "500000 VND",
		"500 nghìn đồng":                  "500000 VND",
		"2 triệu đồng":                    "2e+06 VND",
		"1,5 triệu đ":                     "1.5e+06 VND",
		"8tr đ":                           "8e+06 VND",
		"R$ 1.299,90":                     "1299.9 BRL",
		"A$250":                           "250 AUD",
		"HK$ 88":                          "88 HKD",
		"¥3000":                           "3000 JPY",
		"₹1,00,000":                       "100000 INR",
		"250 TRY":                         "250 TRY",
		"$250/month":                      "250 USD",
		"$200-300":                        "200 USD",
		"-250 EUR":                        "250 EUR",
		"paid 250 USD and 30 EUR":         "250 USD, 30 EUR",
		"call 090 123 4567 about 250 USD": "250 USD",
		"090 123 4567 250 USD":            "250 USD", // spaces joined the numbers; the one by the currency counts
		"EUR 1 299,00":                    "1299 EUR",
		"2 250 USD":                       "2250 USD", // lenient: a space may group thousands
	} {
		if got := amounts(in); got != want {
			t.Errorf("amounts(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNotAmounts(t *testing.T) {
	for _, in := range []string{
		"order #12345",
		"order #12345 USD",
		"order no 12345",
		"+84 90 123 4567",
		"+84 90 123 4567 VND",
		"0901234567 VND",
		"090-123-4567 USD",
		"2026-11-24",
		"2026-11-24 USD",
		"24/11/2026 €",
		"24.11.2026 EUR",
		"10:30 EUR",
		"50% EUR",
		"3rd USD",
		"ABC250 USD",
		"iPhone15 USD",
		"250 kg",
		"500k",
		"2 triệu",
		"250 usdt",
		"250 try again", // lower-case "try" is a word, not Turkish lira
		"250 cad",
		"version 1.2.3 USD",
		"v2 $",
		"250 300",
		"$",
		"$$$",
		"USD",
		"1" + strings.Repeat("0", 50) + " USD",
		"email me@250 USD",
	} {
		if got := amounts(in); got != "" {
			t.Errorf("amounts(%q) = %q, want none", in, got)
		}
	}
}

func TestParseNumber(t *testing.T) {
	for in, want := range map[string]float64{
		"0": 0, "7": 7, "250": 250, "0.5": 0.5, "0,500": 0.5, "1,5": 1.5, "1.299": 1299, "12,345": 12345,
		"1,299.00": 1299, "1.299,00": 1299, "1 299,00": 1299, "1'299.50": 1299.5, "1’299": 1299,
		"2.500.000": 2.5e6, "2,500,000.75": 2500000.75, "1,00,000": 1e5, "12,34,567": 1234567,
	} {
		if got, ok := parseNumber(in); !ok || got != want {
			t.Errorf("parseNumber(%q) = %g, %v; want %g", in, got, ok, want)
		}
	}
	for _, in := range []string{"007", "0901234567", "1.299.00", "24.11.2026", "1,2,3", "1.299,000.5", "1234,567.00", "1 2", "090 123 4567", "12.34.56"} {
		if got, ok := parseNumber(in); ok {
			t.Errorf("parseNumber(%q) = %g, want refused", in, got)
		}
	}
}
