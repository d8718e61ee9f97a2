package knowledge_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/knowledge"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// BenchmarkSearch measures Search over a knowledge base of 10,000
// articles and 100,000 learned answers (PARLEY_BENCH_ARTICLES and
// PARLEY_BENCH_ANSWERS change the sizes), with questions written like
// customers' messages, and reports the p50/p95/p99 of single searches.
//
//	go test ./internal/knowledge/ -run '^$' -bench Search -benchtime 200x
func BenchmarkSearch(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		// Seeded once, with the parent's lifetime: the sub-benchmark runs
		// several times as b.N grows.
		s := seedKnowledge(b, dialect, envInt("PARLEY_BENCH_ARTICLES", 10000), envInt("PARLEY_BENCH_ANSWERS", 100000))
		b.Run(dialect, func(b *testing.B) {
			qs := benchQuestions()
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				t0 := time.Now()
				res, err := s.Search(bg, knowledge.Query{Text: qs[i%len(qs)], Lang: "en", Limit: 5})
				lat = append(lat, time.Since(t0))
				if err != nil || len(res) == 0 {
					b.Fatalf("%q: %d results, %v", qs[i%len(qs)], len(res), err)
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}

func envInt(name string, def int) int {
	var n int
	if _, err := fmt.Sscan(os.Getenv(name), &n); err != nil || n <= 0 {
		return def
	}
	return n
}

// benchTopics are what the synthetic help centre is about: each article
// and conversation is about one, in the words customers and agents use.
var benchTopics = [][]string{
	{"refund", "refunded", "money back", "card", "bank", "days"},
	{"delivery", "parcel", "courier", "late", "tracking number", "delayed"},
	{"password", "reset", "login", "account", "locked", "email link"},
	{"invoice", "VAT", "billing address", "company name", "receipt", "PDF"},
	{"return", "label", "exchange", "wrong size", "box", "warehouse"},
	{"subscription", "cancel", "renewal", "plan", "upgrade", "charged"},
	{"damaged", "broken", "photo", "replacement", "screen", "cracked"},
	{"discount", "coupon code", "promotion", "checkout", "expired", "price"},
	{"warranty", "repair", "battery", "charger", "faulty", "serial number"},
	{"address", "change", "moved", "apartment", "postcode", "redirect"},
	{"payment", "declined", "paypal", "bank transfer", "3D Secure", "failed"},
	{"customs", "fee", "international", "duties", "import", "tax"},
}

var (
	filler = strings.Fields(`please note that you can also we will our team usually within business hours if the this for your order
		after before when then it is was has been from with about any all some more most each every other these those thank you again
		check confirm let me know happy to help sorry for the trouble as soon as possible today tomorrow next week`)
	products = strings.Fields(`shoes jacket shirt laptop phone headphones watch backpack lamp chair desk blender kettle camera tablet
		speaker keyboard mouse monitor printer sofa mattress pillow towel mug bottle tent bike helmet`)
)

func benchText(rng *rand.Rand, topic []string, words int) string {
	var b strings.Builder
	for i := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch r := rng.IntN(10); {
		case r < 3:
			b.WriteString(topic[rng.IntN(len(topic))])
		case r < 4:
			b.WriteString(products[rng.IntN(len(products))])
		case r < 5:
			b.WriteString(fmt.Sprint(1000 + rng.IntN(90000)))
		default:
			b.WriteString(filler[rng.IntN(len(filler))])
		}
	}
	return b.String()
}

func benchQuestions() []string {
	return []string{
		"Hi, I asked for a refund two weeks ago for my shoes and the money is still not back on my card",
		"My parcel is late, the tracking number has not moved since Monday, where is my delivery?",
		"I can't login, the reset password email link never arrives",
		"Can you send me an invoice with my company name and VAT number for order 48213?",
		"The laptop arrived damaged with a cracked screen, I want a replacement",
		"How do I cancel my subscription before the renewal? I was charged again",
		"The coupon code says expired at checkout but the promotion runs until Sunday",
		"My payment was declined twice with PayPal, is there a problem?",
		"Do I have to pay customs fees on an international order?",
		"I moved to a new apartment, can you change the delivery address of my order?",
	}
}

func seedKnowledge(b *testing.B, dialect string, articles, answers int) *knowledge.Service {
	t0 := time.Now()
	db := storetest.Open(b, dialect)
	s := &knowledge.Service{DB: db}
	rng := rand.New(rand.NewPCG(7, 13))
	for i := range articles {
		topic := benchTopics[i%len(benchTopics)]
		title := fmt.Sprintf("%s %s: %s (%d)", strings.ToUpper(topic[0][:1])+topic[0][1:], products[rng.IntN(len(products))], topic[1+rng.IntN(len(topic)-1)], i)
		if _, err := s.CreateArticle(bg, parley.RoleOwner, parley.Article{Title: title, Body: benchText(rng, topic, 150+rng.IntN(250)),
			Tags: []string{topic[0]}}); err != nil {
			b.Fatal(err)
		}
	}
	// Learned answers need conversations and messages to point at: the
	// store's seed gives each conversation one message.
	res, err := db.Seed(bg, store.SeedOptions{Conversations: answers, Seed: 3})
	if err != nil {
		b.Fatal(err)
	}
	if err := knowledge.SeedAnswers(bg, s, res.FirstID, answers, func(i int) (q, a string) {
		topic := benchTopics[rng.IntN(len(benchTopics))]
		return benchText(rng, topic, 15+rng.IntN(25)), benchText(rng, topic, 30+rng.IntN(60))
	}); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: seeded %d articles and %d learned answers in %s", dialect, articles, answers, time.Since(t0).Round(time.Second))
	return s
}
