package triage

import (
	"strings"
	"unsafe"

	snowball "github.com/blevesearch/snowballstem"

	"github.com/parleyhq/parley/internal/parley"
)

// A Matcher is a compiled rule set. It is immutable and safe for concurrent
// use; the zero Matcher and a nil *Matcher match nothing.
type Matcher struct {
	rules  []compiledRule
	root   node      // phrases, as a tree of folded words and of their stems
	stems  stemIndex // which message words are worth stemming
	cache  *formCache
	amount []int // the rules with a MinAmount, by index
}

type compiledRule struct {
	name       string
	priority   parley.Priority
	rank       int // 1 high, 2 urgent
	minAmount  float64
	currencies []string // upper case; none means any
}

// node is a word in the phrase tree: next continues phrases by one word,
// and ends lists the rules that have a phrase ending here.
type node struct {
	next map[string]*node
	ends []int
}

// ruleSet is a set of rule indexes; rules past MaxRules are never compiled.
type ruleSet [(MaxRules + 63) / 64]uint64

func (s *ruleSet) add(i int)      { s[i/64] |= 1 << (i % 64) }
func (s *ruleSet) has(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }
func (s *ruleSet) addAll(is []int) {
	for _, i := range is {
		s.add(i)
	}
}
func (s *ruleSet) hasAll(is []int) bool {
	for _, i := range is {
		if !s.has(i) {
			return false
		}
	}
	return true
}

// Compile prepares the rules for matching. It does not validate them (call
// Validate first); what Validate would refuse is compiled as harmlessly as
// possible: disabled rules, rules whose priority is not high or urgent,
// phrases without letters or digits, a MinAmount that is not positive and
// rules past the first MaxRules never match.
func (r Rules) Compile() *Matcher {
	m := &Matcher{cache: &formCache{}}
	env := snowball.NewEnv("")
	for i, rule := range r {
		if i == MaxRules {
			break
		}
		c := compiledRule{name: strings.TrimSpace(rule.Name), priority: rule.Priority}
		switch rule.Priority {
		case parley.PriorityHigh:
			c.rank = 1
		case parley.PriorityUrgent:
			c.rank = 2
		}
		m.rules = append(m.rules, c)
		if !rule.Enabled || c.rank == 0 {
			continue
		}
		for _, p := range rule.Phrases {
			m.insertPhrase(env, strings.Fields(normalize(p)), i)
		}
		if rule.MinAmount > 0 { // false for NaN too
			c := &m.rules[i]
			c.minAmount = rule.MinAmount
			for _, cur := range rule.Currencies {
				c.currencies = append(c.currencies, strings.ToUpper(strings.TrimSpace(cur)))
			}
			m.amount = append(m.amount, i)
		}
	}
	return m
}

// insertPhrase adds a phrase of folded words for rule i as written and as
// stemmed in each language (see stem.go). Its words are kept as written:
// skippable words are passed over in messages, never dropped from phrases,
// so "how much do" does not become "how much".
func (m *Matcher) insertPhrase(env *snowball.Env, words []string, i int) {
	m.root.insert(words, i)
	stemmed := make([]string, len(words))
	for l := range stemmers {
		for k, w := range words {
			stemmed[k] = w
			if len(w) >= minStemLen {
				stemmed[k] = stemKey(env, l, w)
				m.stems.add(stemmed[k])
			}
		}
		m.root.insert(stemmed, i)
	}
}

// insert adds the phrase made of words for rule i.
func (n *node) insert(words []string, i int) {
	if len(words) == 0 {
		return
	}
	for _, w := range words {
		if n.next == nil {
			n.next = map[string]*node{}
		}
		child := n.next[w]
		if child == nil {
			child = &node{}
			n.next[w] = child
		}
		n = child
	}
	if len(n.ends) == 0 || n.ends[len(n.ends)-1] != i { // rules are inserted in order
		n.ends = append(n.ends, i)
	}
}

// Match returns the highest priority that a rule raises text to, and the
// names of the rules that matched at that priority, in rule order; ok is
// false, and p "", when no rule matched. Only the first MaxTextBytes of
// text are looked at.
func (m *Matcher) Match(text string) (p parley.Priority, names []string, ok bool) {
	if m == nil || len(m.rules) == 0 {
		return "", nil, false
	}
	text = clip(text)
	var hit ruleSet
	if m.root.next != nil {
		var buf [1024]byte
		m.matchPhrases(fold(buf[:0], text), &hit)
	}
	if len(m.amount) > 0 && strings.ContainsAny(text, "0123456789") {
		m.matchAmounts(text, &hit)
	}

	best := 0
	for i := range m.rules {
		if hit.has(i) && m.rules[i].rank > best {
			best = m.rules[i].rank
		}
	}
	if best == 0 {
		return "", nil, false
	}
	for i, c := range m.rules {
		if hit.has(i) && c.rank == best {
			p = c.priority
			names = append(names, c.name)
		}
	}
	return p, names, true
}

// token is a word of a message and the forms it is looked up by: itself,
// and its stems when it might share one with a phrase word.
type token struct {
	word  string
	stems []string // the word and its stems; nil when it is not stemmed
}

func (t *token) forms() []string {
	if t.stems != nil {
		return t.stems
	}
	return unsafe.Slice(&t.word, 1)
}

// matchPhrases adds to hit the rules with a phrase in the folded text:
// from each word, it follows the phrase tree for as long as words agree.
func (m *Matcher) matchPhrases(folded []byte, hit *ruleSet) {
	text := string(folded)
	var buf [256]token
	toks := buf[:0]
	var env *snowball.Env
	for len(text) > 0 {
		word, rest, _ := strings.Cut(text, " ")
		text = rest
		t := token{word: word}
		if m.stems.candidate(word) {
			if env == nil {
				env = snowball.NewEnv("")
			}
			t.stems = m.cache.forms(env, word)
		}
		toks = append(toks, t)
	}
	for i := range toks {
		for _, f := range toks[i].forms() {
			if n := m.root.next[f]; n != nil {
				hit.addAll(n.ends)
				n.follow(toks, i+1, hit)
			}
		}
	}
}

// follow continues phrases from n (after at least one word) with toks[i:],
// passing over up to maxSkip skippable words before each next word.
func (n *node) follow(toks []token, i int, hit *ruleSet) {
	for skips := 0; i < len(toks) && n.next != nil; i++ {
		for _, f := range toks[i].forms() {
			if c := n.next[f]; c != nil {
				hit.addAll(c.ends)
				c.follow(toks, i+1, hit)
			}
		}
		if skips == maxSkip || !skippable[toks[i].word] {
			return
		}
		skips++
	}
}

// matchAmounts adds to hit the rules with a MinAmount that an amount of
// money in text reaches.
func (m *Matcher) matchAmounts(text string, hit *ruleSet) {
	sc := moneyScanner{s: text}
	for !hit.hasAll(m.amount) {
		a, ok := sc.next()
		if !ok {
			return
		}
		for _, i := range m.amount {
			c := &m.rules[i]
			if a.value >= c.minAmount && (len(c.currencies) == 0 || contains(c.currencies, a.currency)) {
				hit.add(i)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
