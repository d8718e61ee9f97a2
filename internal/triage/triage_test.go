package triage

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/parley"
)

func TestMatchPriority(t *testing.T) {
	rules := Rules{
		{Name: "Price", Priority: parley.PriorityHigh, Phrases: []string{"price"}, Enabled: true},
		{Name: "Refund", Priority: parley.PriorityUrgent, Phrases: []string{"refund now"}, Enabled: true},
		{Name: "Stock", Priority: parley.PriorityHigh, Phrases: []string{"in stock"}, Enabled: true},
		{Name: "Chargeback", Priority: parley.PriorityUrgent, Phrases: []string{"chargeback"}, Enabled: true},
		{Name: "Off", Priority: parley.PriorityUrgent, Phrases: []string{"price"}, Enabled: false},
	}
	for _, tc := range []struct {
		text  string
		want  parley.Priority
		names []string
	}{
		{"what's the price? in stock?", parley.PriorityHigh, []string{"Price", "Stock"}},
		{"in stock? price?", parley.PriorityHigh, []string{"Price", "Stock"}}, // rule order, not text order
		{"price, and REFUND NOW", parley.PriorityUrgent, []string{"Refund"}},  // urgent beats high
		{"chargeback!! refund now!! price", parley.PriorityUrgent, []string{"Refund", "Chargeback"}},
		{"refund later", "", nil},
		{"", "", nil},
	} {
		for _, match := range []func(string) (parley.Priority, []string, bool){rules.Match, rules.Compile().Match} {
			p, names, ok := match(tc.text)
			if p != tc.want || !reflect.DeepEqual(names, tc.names) || ok != (tc.want != "") {
				t.Errorf("Match(%q) = %q, %q, %v; want %q, %q", tc.text, p, names, ok, tc.want, tc.names)
			}
		}
	}
}

func TestMatchDisabled(t *testing.T) {
	rules := Rules{
		{Name: "Fraud", Priority: parley.PriorityUrgent, Phrases: []string{"fraud"}},
		{Name: "Big", Priority: parley.PriorityHigh, MinAmount: 100},
	}
	if p, names, ok := rules.Match("fraud! $5000"); ok {
		t.Errorf("disabled rules matched: %s %v", p, names)
	}
	rules[1].Enabled = true
	if p, names, ok := rules.Match("fraud! $5000"); !ok || p != parley.PriorityHigh || !reflect.DeepEqual(names, []string{"Big"}) {
		t.Errorf("Match = %s %v %v; want high [Big]", p, names, ok)
	}
}

func TestMatchWords(t *testing.T) {
	rules := Rules{
		{Name: "Hack", Priority: parley.PriorityUrgent, Phrases: []string{"hack"}, Enabled: true},
		{Name: "Twice", Priority: parley.PriorityUrgent, Phrases: []string{"charged twice"}, Enabled: true},
		{Name: "Tiền", Priority: parley.PriorityUrgent, Phrases: []string{"tru tien"}, Enabled: true},
		{Name: "Accents", Priority: parley.PriorityUrgent, Phrases: []string{"Trừ Tiền Hai Lần"}, Enabled: true},
		{Name: "Kanji", Priority: parley.PriorityUrgent, Phrases: []string{"退款"}, Enabled: true},
		{Name: "Straße", Priority: parley.PriorityUrgent, Phrases: []string{"strasse"}, Enabled: true},
	}
	m := rules.Compile()
	for text, want := range map[string]string{
		"we got a hack on the site":               "Hack",
		"HACK!!!":                                 "Hack",
		"hackathon tomorrow":                      "",
		"a life-hack":                             "Hack",
		"lifehack":                                "",
		"I was CHARGED TWICE!":                    "Twice",
		"charged\n\t  twice":                      "Twice",
		"charged, twice":                          "Twice", // punctuation is a space
		"charged me twice":                        "Twice", // "me" is passed over (stem.go)
		"charged, not twice":                      "",
		"đã bị trừ tiền hai lần":                  "Tiền",
		"da bi tru tien hai lan":                  "Tiền",
		"Đã bị trừ tiền hai lần":                  "Tiền",
		"tru tienhai":                             "",
		"truc tien":                               "",
		"tru\u0300 tie\u0302\u0300n (decomposed)": "Tiền",
		"我要退款":                                    "Kanji",
		"退 款":                                     "Kanji",
		"GROSSE STRASSE, Große Straße":            "Straße",
	} {
		_, names, ok := m.Match(text)
		if want == "" && ok || want != "" && !contains(names, want) {
			t.Errorf("Match(%q) = %v, %v; want %q", text, names, ok, want)
		}
	}
	if _, names, _ := m.Match("trừ tiền hai lần"); !reflect.DeepEqual(names, []string{"Tiền", "Accents"}) {
		t.Errorf("accented phrase: names = %v", names)
	}
}

func TestMatchAmount(t *testing.T) {
	rules := Rules{
		{Name: "USD", Priority: parley.PriorityHigh, MinAmount: 250, Currencies: []string{"USD"}, Enabled: true},
		{Name: "EUR", Priority: parley.PriorityHigh, MinAmount: 1000, Currencies: []string{"eur"}, Enabled: true},
		{Name: "VND", Priority: parley.PriorityHigh, MinAmount: 2_000_000, Currencies: []string{"VND"}, Enabled: true},
		{Name: "Any", Priority: parley.PriorityUrgent, MinAmount: 1e9, Enabled: true},
	}
	m := rules.Compile()
	for text, want := range map[string]string{
		"$250":                   "USD",
		"$249.99":                "",
		"250 USD":                "USD",
		"USD 250":                "USD",
		"usd250":                 "USD",
		"250 dollars":            "USD",
		"US$ 300":                "USD",
		"A$ 300":                 "", // Australian dollars
		"€1.299,00":              "EUR",
		"1,299.00 EUR":           "EUR",
		"1 299,00 €":             "EUR",
		"1\u202F299,00\u00A0€":   "EUR",
		"999 €":                  "",
		"1.5k EUR":               "EUR",
		"2.500.000 ₫":            "VND",
		"2,500,000 VND":          "VND",
		"2.500.000đ":             "VND",
		"2500000 vnđ":            "VND",
		"2 triệu đồng":           "VND",
		"1.999.999 ₫":            "",
		"$250 and 2,500,000 VND": "USD VND",
		"order #12345 USD":       "",
		"+84 90 123 4567 VND":    "",
		"2026-11-24 USD":         "",
		"123456789 ₫":            "VND", // a big number next to a currency is money
		"0901234567 ₫":           "",    // a leading zero is not
		"5,000,000,000 IDR":      "Any",
		"250 300":                "",
	} {
		_, names, _ := m.Match(text)
		if got := strings.Join(names, " "); got != want {
			t.Errorf("Match(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestMatchClipsText(t *testing.T) {
	rules := Rules{{Name: "Fraud", Priority: parley.PriorityUrgent, Phrases: []string{"fraud"}, Enabled: true}}
	pad := strings.Repeat("é", MaxTextBytes/2-3) // two bytes each
	if _, _, ok := rules.Match(pad + " fraud"); !ok {
		t.Error("a phrase within the first MaxTextBytes bytes was missed")
	}
	if _, _, ok := rules.Match(pad + "       fraud"); ok {
		t.Error("a phrase past the first MaxTextBytes bytes was matched")
	}
	if got := clip(strings.Repeat("a", MaxTextBytes-1) + "é"); len(got) != MaxTextBytes-1 {
		t.Errorf("clip cut inside a rune: len %d", len(got))
	}
}

func TestMatchNothing(t *testing.T) {
	var m *Matcher
	if p, names, ok := m.Match("fraud"); ok || p != "" || names != nil {
		t.Error("nil Matcher matched")
	}
	if _, _, ok := (&Matcher{}).Match("fraud"); ok {
		t.Error("zero Matcher matched")
	}
	if _, _, ok := Rules(nil).Match("fraud"); ok {
		t.Error("no rules matched")
	}
}

// Compile does not validate, but what Validate refuses never matches.
func TestCompileInvalid(t *testing.T) {
	rules := Rules{
		{Name: "Low", Priority: parley.PriorityLow, Phrases: []string{"a"}, Enabled: true},
		{Name: "Bogus", Priority: "critical", Phrases: []string{"a"}, Enabled: true},
		{Name: "Punct", Priority: parley.PriorityUrgent, Phrases: []string{"!!!", ""}, Enabled: true},
		{Name: "NaN", Priority: parley.PriorityUrgent, MinAmount: math.NaN(), Enabled: true},
		{Name: "Negative", Priority: parley.PriorityUrgent, MinAmount: -1, Enabled: true},
	}
	for len(rules) < MaxRules {
		rules = append(rules, Rule{Name: "filler", Priority: parley.PriorityHigh, Phrases: []string{"zzz"}})
	}
	rules = append(rules, Rule{Name: "Past the limit", Priority: parley.PriorityUrgent, Phrases: []string{"a"}, Enabled: true})
	if p, names, ok := rules.Match("a !!! $5"); ok {
		t.Errorf("invalid rules matched: %s %v", p, names)
	}
}

func TestValidate(t *testing.T) {
	valid := func() Rule {
		return Rule{Name: "Fraud", Priority: parley.PriorityUrgent, Phrases: []string{"fraud"}, Enabled: true}
	}
	if err := (Rules{valid(), {Name: "Big", Priority: parley.PriorityHigh, MinAmount: 1, Currencies: []string{"vnd"}}}).Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	if err := (Rules{}).Validate(); err != nil {
		t.Fatalf("empty: Validate() = %v", err)
	}
	for _, tc := range []struct {
		change func(r *Rule)
		want   string
	}{
		{func(r *Rule) { r.Name = "  " }, "rule 1: a name is required"},
		{func(r *Rule) { r.Name = strings.Repeat("n", MaxNameLength+1) }, "longer than"},
		{func(r *Rule) { r.Name = "a\nb" }, "control characters"},
		{func(r *Rule) { r.Priority = parley.PriorityNormal }, "must be high or urgent, not normal"},
		{func(r *Rule) { r.Priority = parley.PriorityLow }, "must be high or urgent"},
		{func(r *Rule) { r.Priority = "" }, `priority "" is not one of high, urgent`},
		{func(r *Rule) { r.Priority = "URGENT" }, "is not one of"},
		{func(r *Rule) { r.Phrases = nil }, "at least one phrase or a min_amount"},
		{func(r *Rule) { r.Phrases = []string{"ok", " "} }, "phrase 2 is empty"},
		{func(r *Rule) { r.Phrases = []string{strings.Repeat("w", MaxPhraseLength+1)} }, "longer than 100 characters"},
		{func(r *Rule) { r.Phrases = []string{"?!"} }, "has no letters or digits"},
		{func(r *Rule) { r.Phrases = []string{"a\xff"} }, "not valid UTF-8"},
		{func(r *Rule) { r.Phrases = make([]string, MaxPhrases+1) }, "at most 200 phrases"},
		{func(r *Rule) { r.MinAmount = -5 }, "min_amount must be"},
		{func(r *Rule) { r.MinAmount = math.Inf(1) }, "min_amount must be"},
		{func(r *Rule) { r.Currencies = []string{"USD"} }, "currencies need a min_amount"},
		{func(r *Rule) { r.MinAmount, r.Currencies = 5, []string{"US"} }, `currency "US" is not`},
		{func(r *Rule) { r.MinAmount, r.Currencies = 5, []string{"XYZ"} }, `currency "XYZ" is not`},
		{func(r *Rule) { r.Enabled = false; r.Priority = "normal" }, "must be high or urgent"}, // disabled rules too
	} {
		r := valid()
		tc.change(&r)
		err := Rules{r}.Validate()
		if parley.ErrorCode(err) != parley.EINVALID || !strings.Contains(parley.ErrorMessage(err), tc.want) {
			t.Errorf("Validate() = %v, want EINVALID with %q", err, tc.want)
		}
	}

	dup := Rules{valid(), {Name: " fraud ", Priority: parley.PriorityHigh, Phrases: []string{"x"}}}
	if err := dup.Validate(); !strings.Contains(parley.ErrorMessage(err), `rule 2: the name "fraud" is already used by rule 1`) {
		t.Errorf("duplicate names: Validate() = %v", err)
	}
	named := Rules{valid(), {Name: "Second", Priority: parley.PriorityHigh}}
	if err := named.Validate(); parley.ErrorMessage(err) != `rule 2 ("Second"): a rule needs at least one phrase or a min_amount` {
		t.Errorf("error names the rule: %v", err)
	}
	many := make(Rules, MaxRules+1)
	if err := many.Validate(); !strings.Contains(parley.ErrorMessage(err), "at most 200 rules") {
		t.Errorf("too many rules: Validate() = %v", err)
	}
}

func TestParse(t *testing.T) {
	rules, err := Parse([]byte(`[
		{"name": " Fraud ", "priority": "urgent", "phrases": [" fraud ", "scam"], "enabled": true},
		{"name": "Big cart", "priority": "high", "min_amount": 200, "currencies": ["usd", " eur"], "enabled": false}
	]`))
	want := Rules{
		{Name: "Fraud", Priority: parley.PriorityUrgent, Phrases: []string{"fraud", "scam"}, Enabled: true},
		{Name: "Big cart", Priority: parley.PriorityHigh, MinAmount: 200, Currencies: []string{"USD", "EUR"}},
	}
	if err != nil || !reflect.DeepEqual(rules, want) {
		t.Fatalf("Parse = %+v, %v; want %+v", rules, err, want)
	}
	if rules, err := Parse([]byte(" [] ")); err != nil || rules == nil || len(rules) != 0 {
		t.Errorf("Parse([]) = %#v, %v", rules, err)
	}

	data, err := json.Marshal(Defaults())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Parse(data); err != nil || !reflect.DeepEqual(got, Defaults()) {
		t.Errorf("defaults do not survive JSON: %v", err)
	}

	for _, tc := range []struct{ in, want string }{
		{``, "rules are empty"},
		{`null`, "not null"},
		{`{}`, "must be a JSON array, not a JSON object"},
		{`"x"`, "must be a JSON array, not a JSON string"},
		{`[{"name": "A", "priority": "high", "phrases": ["a"], "enabled": true, "color": "red"}]`, `unknown field "color"`},
		{`[{"name": "A", "priority": "high", "phrases": ["a"]}]`, `rule 1: "enabled" is required`},
		{`[{"name": "A", "priority": "high", "phrases": ["a"], "enabled": "yes"}]`, `field "enabled" must not be a JSON string`},
		{`[{"name": "A", "priority": 3, "phrases": ["a"], "enabled": true}]`, `field "priority" must not be a JSON number`},
		{`[{"name": "A", "priority": "normal", "phrases": ["a"], "enabled": true}]`, "must be high or urgent"},
		{`[{"name": "A", "priority": "high", "phrases": ["a"], "enabled": true}] []`, "nothing after it"},
		{`[{"name": "A", "priority": "high", "phrases": ["a"], "enabled": true},]`, "malformed JSON at byte"},
		{`[{"name": "A"`, "end too early"},
	} {
		_, err := Parse([]byte(tc.in))
		if parley.ErrorCode(err) != parley.EINVALID || !strings.Contains(parley.ErrorMessage(err), tc.want) {
			t.Errorf("Parse(%s) = %v, want EINVALID with %q", tc.in, err, tc.want)
		}
	}
	big := "[" + strings.Repeat(" ", MaxRulesJSONBytes) + "]"
	if _, err := Parse([]byte(big)); parley.ErrorCode(err) != parley.ETOOLARGE {
		t.Errorf("Parse(too large) = %v, want ETOOLARGE", err)
	}
}
