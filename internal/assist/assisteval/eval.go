// Package assisteval loads the assistant's evaluation set (a knowledge
// base, labelled conversations and labelled replies, under
// internal/assist/testdata/eval) and scores an engine against it: key
// facts recalled by summaries, check precision and recall, and whether
// retrieval puts the right article among a draft's first three sources.
// Retrieval is passed in, so the same harness scores the knowledge
// store's real search.
package assisteval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/parleyhq/parley/internal/assist"
)

// Article is one knowledge article of the set, in the shared file format.
type Article struct {
	Slug, Title, Lang, Status, Body string
	Tags                            []string
}

// Turn is one message of a labelled conversation.
type Turn struct {
	Author  string    `json:"author"`
	Channel string    `json:"channel"`
	Name    string    `json:"name"`
	Text    string    `json:"text"`
	At      time.Time `json:"at"`
}

// Fact is a key fact a summary of the conversation must contain.
type Fact struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// Conversation is a labelled conversation: its key facts, and the slug of
// the article that answers it ("" when none does).
type Conversation struct {
	ID          string `json:"id"`
	Lang        string `json:"lang"`
	ContactName string `json:"contact_name"`
	AgentName   string `json:"agent_name"`
	Turns       []Turn `json:"turns"`
	Facts       []Fact `json:"facts"`
	Article     string `json:"article"`
}

// Reply is a labelled reply to the end of a conversation: "good",
// "ping-pong", "curt" or "vague", and the checks expected to fire.
type Reply struct {
	ID           string   `json:"id"`
	Conversation string   `json:"conversation"`
	Lang         string   `json:"lang"`
	Label        string   `json:"label"`
	Text         string   `json:"text"`
	Expect       []string `json:"expect"`
}

// Set is the whole evaluation set.
type Set struct {
	Articles      []Article
	Conversations []Conversation
	Replies       []Reply
	byID          map[string]int
}

// Load reads dir/kb/*.md, dir/conversations.json and dir/replies.json.
// It returns an error naming the file (and line, for articles) that is
// broken, or a reply whose conversation does not exist.
func Load(dir string) (Set, error) {
	var s Set
	files, err := filepath.Glob(filepath.Join(dir, "kb", "*.md"))
	if err != nil {
		return s, fmt.Errorf("assisteval: %w", err)
	}
	sort.Strings(files)
	for _, f := range files {
		a, err := readArticle(f)
		if err != nil {
			return s, err
		}
		s.Articles = append(s.Articles, a)
	}
	if err := readJSON(filepath.Join(dir, "conversations.json"), &s.Conversations); err != nil {
		return s, err
	}
	if err := readJSON(filepath.Join(dir, "replies.json"), &s.Replies); err != nil {
		return s, err
	}
	s.byID = map[string]int{}
	for i, c := range s.Conversations {
		s.byID[c.ID] = i
	}
	slugs := map[string]bool{}
	for _, a := range s.Articles {
		slugs[a.Slug] = true
	}
	for _, c := range s.Conversations {
		if c.Article != "" && !slugs[c.Article] {
			return s, fmt.Errorf("assisteval: conversation %s: no article %q", c.ID, c.Article)
		}
	}
	for _, r := range s.Replies {
		if _, ok := s.byID[r.Conversation]; !ok {
			return s, fmt.Errorf("assisteval: reply %s: no conversation %q", r.ID, r.Conversation)
		}
	}
	return s, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("assisteval: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("assisteval: %s: %w", path, err)
	}
	return nil
}

// readArticle reads one Markdown article with optional front matter.
func readArticle(path string) (Article, error) {
	f, err := os.Open(path)
	if err != nil {
		return Article{}, fmt.Errorf("assisteval: %w", err)
	}
	defer f.Close()
	a := Article{Slug: strings.ToLower(strings.TrimSuffix(filepath.Base(path), ".md")), Lang: "en", Status: "published"}
	sc := bufio.NewScanner(f)
	var body []string
	line, inFront := 0, false
	for sc.Scan() {
		line++
		t := sc.Text()
		if line == 1 && t == "---" {
			inFront = true
			continue
		}
		if inFront {
			if t == "---" {
				inFront = false
				continue
			}
			k, v, ok := strings.Cut(t, ":")
			if !ok {
				return a, fmt.Errorf("assisteval: %s:%d: front matter line without a colon", path, line)
			}
			v = strings.TrimSpace(v)
			switch strings.TrimSpace(k) {
			case "title":
				a.Title = v
			case "slug":
				a.Slug = strings.ToLower(v)
			case "lang":
				a.Lang = v
			case "status":
				a.Status = v
			case "tags":
				for _, tag := range strings.Split(strings.Trim(v, "[]"), ",") {
					if tag = strings.TrimSpace(tag); tag != "" {
						a.Tags = append(a.Tags, tag)
					}
				}
			}
			continue
		}
		if a.Title == "" && strings.HasPrefix(t, "# ") {
			a.Title = strings.TrimPrefix(t, "# ")
			continue
		}
		body = append(body, t)
	}
	if err := sc.Err(); err != nil {
		return a, fmt.Errorf("assisteval: %s: %w", path, err)
	}
	if inFront {
		return a, fmt.Errorf("assisteval: %s:%d: front matter not closed", path, line)
	}
	if a.Title == "" {
		a.Title = a.Slug
	}
	a.Body = strings.TrimSpace(strings.Join(body, "\n"))
	return a, nil
}

// Conversation returns the conversation with this id.
func (s Set) Conversation(id string) (Conversation, bool) {
	i, ok := s.byID[id]
	if !ok {
		return Conversation{}, false
	}
	return s.Conversations[i], true
}

// Thread is the conversation as the engine sees it, Now an hour after
// its last turn.
func (c Conversation) Thread() assist.Thread {
	t := assist.Thread{ContactName: c.ContactName, AgentName: c.AgentName}
	for i, tu := range c.Turns {
		t.Turns = append(t.Turns, assist.Turn{ID: int64(i + 1), ConversationID: 1, Channel: tu.Channel,
			Author: assist.Author(tu.Author), Name: tu.Name, Text: tu.Text, At: tu.At})
		t.Now = tu.At.Add(time.Hour)
	}
	return t
}

// fold lower-cases s, takes accents off and keeps letters and digits
// only, so "39,90 €" holds "3990" and "grille-pain" meets "grille pain".
func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case strings.ContainsRune("àâáä", r):
			r = 'a'
		case strings.ContainsRune("éèêë", r):
			r = 'e'
		case strings.ContainsRune("îïí", r):
			r = 'i'
		case strings.ContainsRune("ôóö", r):
			r = 'o'
		case strings.ContainsRune("ûùúü", r):
			r = 'u'
		case r == 'ç':
			r = 'c'
		case r == 'ñ':
			r = 'n'
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// FactPresent reports whether a summary holds the expected fact: a fact
// of the same kind whose value, folded, contains the expected one.
func FactPresent(s assist.Summary, want Fact) bool {
	w := fold(want.Value)
	for _, f := range s.Facts {
		if f.Kind == want.Kind && strings.Contains(fold(f.Value), w) {
			return true
		}
	}
	return false
}

// FactRecall summarises every conversation with summarize and returns
// the share of expected facts found, and the ones missed ("id kind
// value").
func FactRecall(set Set, summarize func(assist.Thread) assist.Summary) (float64, []string) {
	found, total := 0, 0
	var missed []string
	for _, c := range set.Conversations {
		s := summarize(c.Thread())
		for _, f := range c.Facts {
			total++
			if FactPresent(s, f) {
				found++
			} else {
				missed = append(missed, c.ID+" "+f.Kind+" "+f.Value)
			}
		}
	}
	if total == 0 {
		return 0, nil
	}
	return float64(found) / float64(total), missed
}

// CheckScores are check precision and recall two ways: per (reply,
// check) pair against the expected checks, and per label (a good reply
// must get no finding, ping-pong a one_shot finding, curt a tone
// finding, vague a bare_promise or next_step finding).
type CheckScores struct {
	PairPrecision, PairRecall   float64
	LabelPrecision, LabelRecall float64
	Mistakes                    []string // "reply-id: +fired -missed"
}

// CheckPrecisionRecall runs check on every reply with its conversation.
func CheckPrecisionRecall(set Set, check func(text string, t *assist.Thread) []assist.Finding) CheckScores {
	var tp, fp, fn int
	var ltp, lfp, lfn int
	var sc CheckScores
	for _, r := range set.Replies {
		c, _ := set.Conversation(r.Conversation)
		t := c.Thread()
		fired := map[string]bool{}
		for _, f := range check(r.Text, &t) {
			fired[f.Check] = true
		}
		want := map[string]bool{}
		for _, e := range r.Expect {
			want[e] = true
		}
		var extra, miss []string
		for k := range fired {
			if want[k] {
				tp++
			} else {
				fp++
				extra = append(extra, k)
			}
		}
		for k := range want {
			if !fired[k] {
				fn++
				miss = append(miss, k)
			}
		}
		if len(extra)+len(miss) > 0 {
			sort.Strings(extra)
			sort.Strings(miss)
			sc.Mistakes = append(sc.Mistakes, fmt.Sprintf("%s (%s): +%v -%v", r.ID, r.Label, extra, miss))
		}
		// Label level: a flagged reply is a positive.
		flagged := len(fired) > 0
		switch {
		case r.Label == "good" && flagged:
			lfp++
		case r.Label != "good" && familyFired(r.Label, fired):
			ltp++
		case r.Label != "good":
			lfn++
		}
	}
	sc.PairPrecision, sc.PairRecall = ratio(tp, tp+fp), ratio(tp, tp+fn)
	sc.LabelPrecision, sc.LabelRecall = ratio(ltp, ltp+lfp), ratio(ltp, ltp+lfn)
	return sc
}

func familyFired(label string, fired map[string]bool) bool {
	for k := range fired {
		switch label {
		case "ping-pong":
			if strings.HasPrefix(k, "one_shot.") {
				return true
			}
		case "curt":
			if strings.HasPrefix(k, "tone.") {
				return true
			}
		case "vague":
			if k == assist.CheckBarePromise || k == assist.CheckNextStep {
				return true
			}
		}
	}
	return false
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// RecallAt3 is the share of conversations with an answering article for
// which that article is among the first three sources a draft cites. For
// each one it summarises the thread, builds the query, calls retrieve
// (the knowledge store's search: it must return Sources whose URL ends
// with the article's slug, or whose Title is the article's title), drafts
// and looks at the cited sources, then at retrieval's top three when
// drafting cited fewer. Misses are listed.
func RecallAt3(set Set, retrieve func(query, lang string) ([]assist.Source, error)) (float64, []string, error) {
	titles := map[string]string{}
	for _, a := range set.Articles {
		titles[a.Slug] = a.Title
	}
	hit, total := 0, 0
	var missed []string
	for _, c := range set.Conversations {
		if c.Article == "" {
			continue
		}
		total++
		t := c.Thread()
		s := assist.Summarize(t)
		srcs, err := retrieve(assist.Query(t, s), s.Lang)
		if err != nil {
			return 0, nil, fmt.Errorf("assisteval: retrieve for %s: %w", c.ID, err)
		}
		d := assist.MakeDrafts(assist.DraftInput{Thread: t, Summary: s, Sources: srcs})
		// The draft's cited sources first, then retrieval's order.
		var ranked []assist.Source
		ranked = append(ranked, d.Sources...)
		ranked = append(ranked, srcs...)
		ok := false
		seen := map[string]bool{}
		n := 0
		for _, src := range ranked {
			key := fmt.Sprint(src.Kind, src.ID, src.URL, src.Title)
			if seen[key] {
				continue
			}
			seen[key] = true
			if n++; n > 3 {
				break
			}
			if strings.HasSuffix(src.URL, "/"+c.Article) || src.URL == c.Article || src.Title == titles[c.Article] {
				ok = true
			}
		}
		if ok {
			hit++
		} else {
			missed = append(missed, c.ID+" "+c.Article)
		}
	}
	return ratio(hit, total), missed, nil
}
