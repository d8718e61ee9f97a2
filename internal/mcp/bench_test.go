package mcp_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// BenchmarkSearchKnowledge measures an MCP tools/call of search_knowledge
// end to end: the go-sdk client over loopback HTTP to a running Parley's
// /mcp (token check, a server built for the request, the search over
// 10,000 articles, the audit row), with questions written like
// customers' messages, and reports the p50/p95/p99 of single calls.
// PARLEY_BENCH_ARTICLES changes the number of articles.
//
//	go test ./internal/mcp/ -run '^$' -bench SearchKnowledge -benchtime 2000x
func BenchmarkSearchKnowledge(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		// Seeded once, with the parent's lifetime: the sub-benchmark runs
		// several times as b.N grows.
		e := apptest.Start(b, dialect, nil)
		seedArticles(b, e, benchArticles())
		cs := connect(b, e.URL, e.Token)
		b.Run(dialect, func(b *testing.B) {
			qs := []string{
				"Hi, I asked for a refund two weeks ago for my shoes and the money is still not back on my card",
				"My parcel is late, the tracking number has not moved since Monday, where is my delivery?",
				"I can't login, the reset password email link never arrives",
				"Can you send me an invoice with my company name and VAT number for order 48213?",
				"The laptop arrived damaged with a cracked screen, I want a replacement",
				"How do I cancel my subscription before the renewal? I was charged again",
				"The coupon code says expired at checkout but the promotion runs until Sunday",
				"My payment was declined twice with PayPal, is there a problem?",
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				t0 := time.Now()
				res, err := cs.CallTool(bg, &sdk.CallToolParams{Name: "search_knowledge", Arguments: map[string]any{"query": qs[i%len(qs)], "lang": "en"}})
				lat = append(lat, time.Since(t0))
				if err != nil || res.IsError {
					b.Fatalf("%q: %v %v", qs[i%len(qs)], err, res)
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

func benchArticles() int {
	var n int
	if _, err := fmt.Sscan(os.Getenv("PARLEY_BENCH_ARTICLES"), &n); err != nil || n <= 0 {
		return 10000
	}
	return n
}

// seedArticles writes n published articles, each about one of a help
// centre's topics, in the words customers use.
func seedArticles(b *testing.B, e *apptest.Env, n int) {
	t0 := time.Now()
	topics := [][]string{
		{"refund", "refunded", "money back", "card", "bank", "days"},
		{"delivery", "parcel", "courier", "late", "tracking number", "delayed"},
		{"password", "reset", "login", "account", "locked", "email link"},
		{"invoice", "VAT", "billing address", "company name", "receipt", "PDF"},
		{"return", "label", "exchange", "wrong size", "box", "warehouse"},
		{"subscription", "cancel", "renewal", "plan", "upgrade", "charged"},
		{"damaged", "broken", "photo", "replacement", "screen", "cracked"},
		{"discount", "coupon code", "promotion", "checkout", "expired", "price"},
		{"payment", "declined", "paypal", "bank transfer", "3D Secure", "failed"},
	}
	filler := strings.Fields(`please note that you can also we will our team usually within business hours if the this for your order
		after before when then it is was has been from with about any all some more most each every other thank you again
		check confirm let me know happy to help sorry for the trouble as soon as possible today tomorrow next week`)
	products := strings.Fields(`shoes jacket shirt laptop phone headphones watch backpack lamp chair desk blender kettle camera tablet`)
	rng := rand.New(rand.NewPCG(7, 13))
	for i := range n {
		topic := topics[i%len(topics)]
		var body strings.Builder
		for w := range 150 + rng.IntN(250) {
			if w > 0 {
				body.WriteByte(' ')
			}
			switch r := rng.IntN(10); {
			case r < 3:
				body.WriteString(topic[rng.IntN(len(topic))])
			case r < 4:
				body.WriteString(products[rng.IntN(len(products))])
			default:
				body.WriteString(filler[rng.IntN(len(filler))])
			}
		}
		title := fmt.Sprintf("%s %s: %s (%d)", strings.ToUpper(topic[0][:1])+topic[0][1:], products[rng.IntN(len(products))], topic[1+rng.IntN(len(topic)-1)], i)
		if _, err := e.App.Knowledge.CreateArticle(bg, parley.RoleOwner, parley.Article{Title: title, Body: body.String(), Tags: []string{topic[0]}}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d articles in %s", n, time.Since(t0).Round(time.Second))
}
