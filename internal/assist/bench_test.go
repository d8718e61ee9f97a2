package assist_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/assist"
)

// longThread is a 300-message conversation over three weeks and three
// channels: a broken item, a replacement, a lost parcel, promises kept
// and not, questions answered and open.
func longThread() assist.Thread {
	customer := []string{
		"Hi, my blender arrived broken yesterday, the jug is cracked. Order #{n}. Can you send a new one?",
		"I already sent the photo by email on 3 March. Did you get it?",
		"The tracking 1Z999AA101234{n} hasn't moved for 5 days. Is it lost?",
		"This is really frustrating, I paid ${n}.90 and still have nothing!!",
		"Ok thanks. When will the replacement ship? Do I need to send the old one back?",
		"Can you refund the shipping fee instead? Order {n}.",
	}
	agent := []string{
		"Hi Anna, I'm sorry about the blender. I've asked the warehouse for a replacement for order {n}.",
		"Thanks for the photo. I'll call the carrier tomorrow and update you by 5 pm.",
		"I've refunded the shipping fee of ${n}.99 today; your bank shows it within 5 working days.",
	}
	channels := []string{"email", "whatsapp", "widget"}
	var turns []assist.Turn
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for i := range 300 {
		tu := assist.Turn{ID: int64(i + 1), ConversationID: int64(1 + i/100), Channel: channels[i/100], At: at.Add(time.Duration(i) * 100 * time.Minute)}
		if i%3 == 2 {
			tu.Author, tu.Name = assist.Agent, "Maya"
			tu.Text = strings.ReplaceAll(agent[(i/3)%len(agent)], "{n}", fmt.Sprint(10000+i))
		} else {
			tu.Author, tu.Name = assist.Customer, "Anna Weber"
			tu.Text = strings.ReplaceAll(customer[(i/3*2+i%3)%len(customer)], "{n}", fmt.Sprint(10000+i))
		}
		turns = append(turns, tu)
	}
	return assist.Thread{Turns: turns, ContactName: "Anna Weber", AgentName: "Maya", Now: at.Add(600 * time.Hour)}
}

func BenchmarkSummarize(b *testing.B) {
	th := longThread()
	b.ReportAllocs()
	for b.Loop() {
		assist.Summarize(th)
	}
}

// BenchmarkDrafts is the offline summary plus three drafts (and the
// check each draft runs on itself) for the 300-message thread, with the
// five sources retrieval would hand over.
func BenchmarkDrafts(b *testing.B) {
	th := longThread()
	set := mustLoad(b)
	var srcs []assist.Source
	for i, a := range set.Articles[:5] {
		srcs = append(srcs, assist.Source{Kind: "article", ID: int64(i + 1), Title: a.Title, Text: a.Body, Score: 0.5})
	}
	srcs = append(srcs, kb[0])
	b.ReportAllocs()
	for b.Loop() {
		s := assist.Summarize(th)
		d := assist.MakeDrafts(assist.DraftInput{Thread: th, Summary: s, Sources: srcs, Vars: map[string]string{"order.total": "49.90"}})
		if len(d.Drafts) != 3 {
			b.Fatalf("%+v", d)
		}
	}
}

// BenchmarkCheck checks a 1,000-character reply against the long thread.
// (The reply must come out clean, so the benchmark measures the full path.)
func BenchmarkCheck(b *testing.B) {
	th := longThread()
	// The customer wrote last, upset and asking: every check runs.
	th.Turns = append(th.Turns, assist.Turn{ID: 301, Author: assist.Customer, Channel: "email", At: th.Now,
		Text: "This is ridiculous!! Where is my blender? When will the replacement ship? Do I need to send the old one back? Order #10234."})
	reply := "Hi Anna,\n\nI'm so sorry about the broken blender and the wait. I've sent a new blender today by express delivery, and you'll get the tracking number by email tonight. You don't need to send the old one back. "
	reply += "I've also refunded the shipping fee of $12.99; your bank will show it within 3 to 10 working days. "
	for len(reply) < 950 {
		reply += "If anything else goes wrong with the replacement, reply here and I'll take care of it the same day. "
	}
	reply = reply[:950] + "\n\nBest regards,\nMaya"
	if n := len(reply); n < 950 || n > 1050 {
		b.Fatalf("reply is %d characters", n)
	}
	if f := assist.Check(reply, &th); len(f) != 0 {
		b.Fatalf("benchmark reply gets findings: %+v", f)
	}
	b.ReportAllocs()
	for b.Loop() {
		assist.Check(reply, &th)
	}
}

func TestLongThreadSummary(t *testing.T) {
	s := assist.Summarize(longThread())
	if !hasFact(s, "order", "10000") || !hasFact(s, "tracking", "1Z999AA101234") || !hasFact(s, "product", "blender") {
		t.Errorf("facts: %v", s.Facts[:5])
	}
	if !strings.Contains(s.Text, "Next step:") || len(strings.Split(s.Text, "\n")) > 6 {
		t.Errorf("a few lines, whatever the length:\n%s", s.Text)
	}
}
