package assist

import (
	"regexp"
	"strings"
	"sync"
	"time"
)

// Key facts are read with patterns, most specific first. Each pattern
// names what it finds in its first group; the Value kept is that group
// as written, so an agent can search for it.
var (
	// Order numbers: "#10234", "order 10234", "order no. 10234",
	// "order number: 10234", "NW-10234", "commande n° 10234", "pedido
	// 10234", "pedido nº 10234".
	orderRe = regexp.MustCompile(`(?:#\s?|\b(?:order|orders|commande|pedido|pedidos|order\s+(?:number|no\.?|n[°º]|#)|commande\s+(?:n[°º]|no|num[ée]ro)|pedido\s+(?:n[°º]|no\.?|n[úu]mero))\s*[:#]?\s*#?\s*|\bnw-)([0-9]{4,10})\b`)
	// Tracking numbers: UPS "1Z…", postal "LX123456789FR", long digit runs.
	trackingRe = regexp.MustCompile(`\b(1Z[0-9A-Z]{16}|[A-Z]{2}[0-9]{9}[A-Z]{2}|[A-Z]{2}[0-9]{12,20}|[0-9]{12,22})\b`)
	// Amounts with a currency before or after.
	amountRe = regexp.MustCompile(`((?:[$€£₫]|\b(?:usd|eur|gbp|cad|vnd)\s?)[0-9][0-9,.\s]*[0-9]|[$€£₫][0-9]+|\b(?:[0-9]{1,3}(?:[ \x{a0}][0-9]{3})+(?:[.,][0-9]+)?|[0-9](?:[0-9.,]*[0-9])?)\s?(?:€|£|₫|\b(?:eur|usd|gbp|cad|vnd|euros?|dollars?|d[oó]lares|dong)\b))`)
	emailRe  = regexp.MustCompile(`\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b`)
	phoneRe  = regexp.MustCompile(`(?:\+[0-9][0-9 .-]{7,}[0-9])`)
	// Absolute dates: "2026-03-12", "12/03/2026", "12 March", "March
	// 12", "12 mars", "12 de marzo".
	dateRe = regexp.MustCompile(`\b([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}/[0-9]{1,2}(?:/[0-9]{2,4})?|[0-9]{1,2}(?:st|nd|rd|th)?\s+(?:de\s+)?(?:` + monthNames + `)(?:\s+(?:de\s+)?[0-9]{4})?|(?:` + monthNames + `)\s+[0-9]{1,2}(?:st|nd|rd|th)?\b|(?:in|en)\s+(?:` + monthNames + `))\b`)
	// Durations and relative dates: "2 weeks ago", "after 8 months",
	// "a los 10 meses", "après 10 mois".
	durationRe = regexp.MustCompile(`\b([0-9]+\s+(?:days?|weeks?|months?|years?|jours?|semaines?|mois|ans?|d[ií]as|semanas?|mes(?:es)?|años?)(?:\s+ago)?)\b`)
)

const monthNames = `january|february|march|april|may|june|july|august|september|october|november|december|` +
	`janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre|` +
	`enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre`

var months = strings.Split(strings.NewReplacer("f[ée]vrier", "février|fevrier", "ao[uû]t", "août|aout", "d[ée]cembre", "décembre|decembre").Replace(monthNames), "|")

// hasMonth reports whether lower-cased text names a month.
func hasMonth(lower string) bool {
	for _, m := range months {
		if strings.Contains(lower, m) {
			return true
		}
	}
	return false
}

// relativeDays are relative dates with their offset in days from the
// turn that mentions them; those with no fixed offset ("last week") are
// kept as written.
var relativeDays = []struct {
	phrase string
	days   int
	fixed  bool
}{
	{"day before yesterday", -2, true}, {"avant hier", -2, true}, {"anteayer", -2, true},
	{"yesterday", -1, true}, {"hier", -1, true}, {"ayer", -1, true},
	{"today", 0, true}, {"this morning", 0, true}, {"ce matin", 0, true}, {"esta manana", 0, true}, {"aujourd hui", 0, true}, {"hoy", 0, true},
	{"tomorrow", 1, true}, {"demain", 1, true}, {"manana", 1, true},
	{"last week", 0, false}, {"next week", 0, false}, {"la semaine derniere", 0, false}, {"la semaine prochaine", 0, false},
	{"la semana pasada", 0, false}, {"la semana que viene", 0, false}, {"la proxima semana", 0, false},
}

var normRelative = func() []string {
	out := make([]string, len(relativeDays))
	for i, r := range relativeDays {
		out[i] = norm(r.phrase)
	}
	return out
}()

// facts adds the key facts of one turn not yet in seen to out.
func facts(tu Turn, seen map[string]bool, out []Fact) []Fact {
	for _, f := range memoTurnFacts(tu) {
		key := f.Kind + "\x00" + strings.ToLower(f.Value)
		if seen[key] {
			continue
		}
		dup := false
		if f.Kind == "product" {
			// "the desk" after "standing desk" is the same product.
			for _, g := range out {
				dup = dup || (g.Kind == "product" && strings.Contains(g.Value, f.Value))
			}
		}
		if !dup {
			seen[key] = true
			out = append(out, f)
		}
	}
	return out
}

// factMemo keeps each turn's facts: a conversation is summarised again
// after every new message, and its old turns say what they said. Bounded:
// when full it starts over.
var factMemo = struct {
	sync.Mutex
	m map[factKey][]Fact
}{m: map[factKey][]Fact{}}

type factKey struct {
	id     int64
	author Author
	at     int64
	text   string
}

const factMemoSize = 20000

func memoTurnFacts(tu Turn) []Fact {
	k := factKey{tu.ID, tu.Author, tu.At.UnixNano(), tu.Text}
	factMemo.Lock()
	f, ok := factMemo.m[k]
	factMemo.Unlock()
	if ok {
		return f
	}
	f = turnFacts(tu)
	factMemo.Lock()
	if len(factMemo.m) >= factMemoSize {
		clear(factMemo.m)
	}
	factMemo.m[k] = f
	factMemo.Unlock()
	return f
}

// turnFacts reads the key facts of one turn.
func turnFacts(tu Turn) []Fact {
	seen := map[string]bool{}
	var out []Fact
	add := func(kind, value string) {
		value = strings.TrimSpace(value)
		key := kind + "\x00" + strings.ToLower(value)
		if value == "" || seen[key] {
			return
		}
		if kind == "product" {
			// "the desk" after "standing desk" is the same product.
			for _, f := range out {
				if f.Kind == "product" && strings.Contains(f.Value, value) {
					return
				}
			}
		}
		seen[key] = true
		out = append(out, Fact{Kind: kind, Value: value, TurnID: tu.ID})
	}
	text := tu.Text
	// The patterns are written in lower case and run on the lower-cased
	// text (case-insensitive regexps are several times slower); values
	// are cut from the original text when lower-casing kept its length.
	lower := strings.ToLower(text)
	orig := func(loc []int) string {
		if len(lower) == len(text) {
			return text[loc[0]:loc[1]]
		}
		return lower[loc[0]:loc[1]]
	}
	digits := strings.ContainsAny(text, "0123456789")
	if digits {
		for _, m := range orderRe.FindAllStringSubmatchIndex(lower, -1) {
			add("order", lower[m[2]:m[3]])
		}
		for _, m := range trackingRe.FindAllString(text, -1) {
			add("tracking", m)
		}
		for _, m := range amountRe.FindAllStringIndex(lower, -1) {
			add("amount", strings.TrimRight(orig(m), " .,"))
		}
		if strings.Contains(text, "+") {
			for _, m := range phoneRe.FindAllString(text, -1) {
				add("phone", m)
			}
		}
		for _, m := range durationRe.FindAllStringSubmatchIndex(lower, -1) {
			add("date", orig(m[2:4]))
		}
	}
	if strings.Contains(text, "@") {
		for _, m := range emailRe.FindAllString(text, -1) {
			add("email", m)
		}
	}
	// Dates need digits or a month's name; looking for those first
	// spares most turns the date pattern, the slowest of all.
	if (digits && strings.ContainsAny(text, "-/")) || hasMonth(lower) {
		for _, m := range dateRe.FindAllStringSubmatchIndex(lower, -1) {
			add("date", orig(m[2:4]))
		}
	}
	n := norm(text)
	for i, p := range normRelative {
		if !strings.Contains(n, p) {
			continue
		}
		r := relativeDays[i]
		// "tomorrow" in an agent's promise is a deadline, not a fact
		// about the case; customers' relative days are facts.
		if tu.Author != Customer && r.days >= 0 {
			continue
		}
		v := r.phrase
		if r.fixed && !tu.At.IsZero() {
			v += " (" + tu.At.AddDate(0, 0, r.days).Format(time.DateOnly) + ")"
		}
		add("date", v)
	}
	for _, p := range products(n) {
		add("product", p)
	}
	return out
}

// productLexicon is what the shop sells, folded, longest names first so
// "coffee machine" wins over "machine". A business replaces it with its
// catalogue through the model engine; the offline engine knows a home
// and kitchen shop's words in three languages.
var productLexicon = phrases(
	"coffee machine", "coffee grinder", "vacuum cleaner", "standing desk", "laptop stand", "kitchen knives",
	"blender", "kettle", "toaster", "mixer", "headphones", "earbuds", "lamp", "chair", "sofa", "rug", "jacket",
	"sneakers", "backpack", "vacuum", "desk", "knives", "mug", "gift card",
	"grille pain", "machine a cafe", "mixeur", "bouilloire", "casque", "cafetiere", "aspirateur", "lampe",
	"chaise", "canape", "tapis", "veste", "baskets", "sac a dos",
	"licuadora", "hervidor", "auriculares", "cafetera", "tostadora", "aspiradora", "lampara", "silla", "sofa",
	"alfombras", "alfombra", "chaqueta", "zapatillas", "mochila",
)

// products lists the lexicon's products the normalised text names,
// skipping a shorter name inside a longer one already found.
func products(n string) []string {
	var out []string
	for _, p := range productLexicon {
		if !strings.Contains(n, p) {
			continue
		}
		name := strings.TrimSpace(p)
		inside := false
		for _, o := range out {
			if strings.Contains(o, name) {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, name)
		}
	}
	return out
}
