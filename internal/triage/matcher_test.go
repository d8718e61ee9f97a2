package triage

import (
	"math"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

// message500 returns s repeated and cut to 500 bytes at a rune boundary.
func message500(s string) string {
	for len(s) < 500 {
		s += " " + s
	}
	s = s[:500]
	for !strings.HasSuffix(s, " ") && len(s) > 0 && s[len(s)-1] >= 0x80 {
		s = s[:len(s)-1] // do not end inside a rune
	}
	return s
}

var benchMessages = map[string]string{
	"english": message500("Hello! I ordered the blue jacket last week (order #48213) and it still has not arrived. " +
		"The tracking page says it left the warehouse on 2026-11-20. Could you check with the courier? " +
		"My phone is +1 415 555 0100 if that helps, thanks a lot for your help."),
	"vietnamese": message500("Chào shop, mình đặt cái áo khoác màu xanh tuần trước, mã đơn 48213, mà giờ vẫn chưa nhận được. " +
		"Trang theo dõi ghi là đã rời kho ngày 20/11. Shop kiểm tra giúp mình với bên vận chuyển nhé. Số điện thoại 090 123 4567."),
	"matches": message500("Hi, my card was declined twice and then I was charged twice, 1.299,00 € in total! " +
		"Is the jacket still in stock? How much is shipping? Tôi bị trừ tiền 2 lần, tổng 2.500.000đ. "),
}

func BenchmarkMatch(b *testing.B) {
	m := MustDefaults(b)
	for name, text := range benchMessages {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				m.Match(text)
			}
		})
	}
}

// BenchmarkMatchCold matches words the matcher has not seen before: every
// candidate word is stemmed in every language, as for the first messages
// after a start or a change of rules.
func BenchmarkMatchCold(b *testing.B) {
	m := MustDefaults(b)
	for name, text := range benchMessages {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				m.cache = &formCache{}
				m.Match(text)
			}
		})
	}
}

func BenchmarkCompileDefaults(b *testing.B) {
	rules := Defaults()
	b.ReportAllocs()
	for b.Loop() {
		rules.Compile()
	}
}

func TestBenchMessages(t *testing.T) {
	m := MustDefaults(t)
	for name, text := range benchMessages {
		if len(text) < 490 || len(text) > 500 {
			t.Errorf("%s: %d bytes", name, len(text))
		}
		_, names, ok := m.Match(text)
		if ok != (name == "matches") {
			t.Errorf("%s: Match = %v, %v", name, names, ok)
		}
	}
}

func FuzzMatch(f *testing.F) {
	for _, s := range benchMessages {
		f.Add(s)
	}
	for _, s := range []string{"", "$", "1,,2 USD", "€1.299,00", "+84 90 123 4567", "2026-11-24", "0,- €",
		"trừ tiền hai lần", "e\u0301", "ǅ", "我要退款", "\xff\xfe", "1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 USD",
		"US$", "$-", "9999999999999999999999999999999999999 ₫", "500k vnđ", "Ｈｅｌｌｏ", "ß"} {
		f.Add(s)
	}
	defaults := MustDefaults(f)
	anyAmount := Rules{
		{Name: "Any", Priority: parley.PriorityHigh, MinAmount: math.SmallestNonzeroFloat64, Enabled: true},
		{Name: "Words", Priority: parley.PriorityUrgent, Phrases: []string{"a b", "a", "ß ǅ"}, Enabled: true},
	}.Compile()
	f.Fuzz(func(t *testing.T, text string) {
		for _, m := range []*Matcher{defaults, anyAmount} {
			p, names, ok := m.Match(text)
			switch {
			case ok && (p != parley.PriorityHigh && p != parley.PriorityUrgent || len(names) == 0):
				t.Fatalf("Match(%q) = %q, %q, true", text, p, names)
			case !ok && (p != "" || names != nil):
				t.Fatalf("Match(%q) = %q, %q, false", text, p, names)
			}
		}
		sc := moneyScanner{s: clip(text)}
		for {
			a, ok := sc.next()
			if !ok {
				break
			}
			if a.value < 0 || math.IsNaN(a.value) || math.IsInf(a.value, 0) || !knownCurrency(a.currency) {
				t.Fatalf("amount in %q: %+v", text, a)
			}
		}
		n := normalize(text)
		if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") {
			t.Fatalf("normalize(%q) = %q: stray spaces", text, n)
		}
		if again := normalize(n); again != n {
			t.Fatalf("normalize is not idempotent on %q: %q then %q", text, n, again)
		}
	})
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`[{"name":"A","priority":"high","phrases":["a"],"enabled":true}]`))
	f.Add([]byte(`[{"name":"B","priority":"urgent","min_amount":5,"currencies":["usd"],"enabled":false}]`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := Parse(data)
		if err != nil {
			if code := parley.ErrorCode(err); code != parley.EINVALID && code != parley.ETOOLARGE {
				t.Fatalf("Parse error code %q: %v", code, err)
			}
			return
		}
		if err := rules.Validate(); err != nil {
			t.Fatalf("Parse accepted rules that Validate refuses: %v", err)
		}
		rules.Compile().Match("a 5 USD")
	})
}
