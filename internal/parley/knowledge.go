package parley

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ArticleStatus says whether customers and drafts may see an article.
type ArticleStatus string

const (
	ArticlePublished ArticleStatus = "published" // shown on the help page and cited by drafts
	ArticleDraft     ArticleStatus = "draft"     // seen by agents in Settings only
)

// Limits on knowledge articles: generous for real help-centre pages,
// bounded so one import cannot fill the database with one file.
const (
	MaxArticleTitle = 300       // bytes
	MaxArticleBody  = 256 << 10 // bytes of Markdown
	MaxArticleSlug  = 120
	MaxArticleTags  = 20
	MaxArticleTag   = 50
)

// Article is a knowledge-base article: a help page agents link to and
// drafts cite. Body is Markdown.
type Article struct {
	ID     int64         `json:"id"`
	Slug   string        `json:"slug"`
	Title  string        `json:"title"`
	Body   string        `json:"body"`
	Tags   []string      `json:"tags"`
	Lang   string        `json:"lang"`
	Status ArticleStatus `json:"status"`
	// Source is where an imported article came from (its path under the
	// imported directory); empty for articles written in Parley.
	Source string `json:"source"`
	// Clip is a recording or screenshot sent along when an agent links
	// the article; nil for none.
	Clip      *Clip     `json:"clip,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Normalize fills defaults (language "en", status published, a slug
// from the title) and tidies what can be tidied without changing
// meaning: surrounding spaces, tag case and duplicates. It never
// removes characters: Validate refuses what is not acceptable.
func (a *Article) Normalize() {
	a.Title = strings.TrimSpace(a.Title)
	a.Slug = strings.TrimSpace(a.Slug)
	a.Lang = strings.ToLower(strings.TrimSpace(a.Lang))
	if a.Lang == "" {
		a.Lang = "en"
	}
	if a.Status == "" {
		a.Status = ArticlePublished
	}
	if a.Slug == "" {
		a.Slug = Slugify(a.Title)
	}
	seen := map[string]bool{}
	tags := make([]string, 0, len(a.Tags))
	for _, t := range a.Tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t != "" && !seen[t] {
			seen[t] = true
			tags = append(tags, t)
		}
	}
	a.Tags = tags
}

// Validate checks an article. Returns EINVALID naming the first problem.
// Control characters are refused rather than cleaned (unlike message
// text): an article is typed or imported by an admin who can fix it, and
// silently changing it would make re-imports look like edits.
func (a *Article) Validate() error {
	switch {
	case a.Title == "":
		return Errorf(EINVALID, "an article needs a title")
	case len(a.Title) > MaxArticleTitle:
		return Errorf(EINVALID, "the title is longer than %d bytes", MaxArticleTitle)
	case CheckID("the title", a.Title) != nil:
		return Errorf(EINVALID, "the title must be valid UTF-8 without control characters or line breaks")
	case len(a.Body) > MaxArticleBody:
		return Errorf(EINVALID, "the body is longer than %d KiB", MaxArticleBody>>10)
	case !utf8.ValidString(a.Body):
		return Errorf(EINVALID, "the body is not valid UTF-8")
	case strings.ContainsFunc(a.Body, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
		return Errorf(EINVALID, "the body must not contain control characters")
	case !ValidSlug(a.Slug):
		return Errorf(EINVALID, "slug %q must be 1 to %d lower-case letters, digits and single dashes (like \"refund-policy\")", a.Slug, MaxArticleSlug)
	case !validLang(a.Lang):
		return Errorf(EINVALID, "language %q must be a two- or three-letter code like \"en\"", a.Lang)
	case a.Status != ArticlePublished && a.Status != ArticleDraft:
		return Errorf(EINVALID, "status must be \"published\" or \"draft\"")
	case len(a.Tags) > MaxArticleTags:
		return Errorf(EINVALID, "at most %d tags", MaxArticleTags)
	case len(a.Source) > 1000 || CheckID("the source", a.Source) != nil:
		return Errorf(EINVALID, "the source must be a path of at most 1000 bytes without control characters")
	}
	if err := ValidClip(a.Clip); err != nil {
		return err
	}
	for _, t := range a.Tags {
		if len(t) > MaxArticleTag || strings.Contains(t, ",") || CheckID("tag", t) != nil {
			return Errorf(EINVALID, "tag %q must be at most %d bytes, without commas or control characters", t, MaxArticleTag)
		}
	}
	return nil
}

// ValidSlug reports whether s is a slug: lower-case ASCII letters and
// digits in words joined by single dashes.
func ValidSlug(s string) bool {
	if s == "" || len(s) > MaxArticleSlug || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Slugify makes a slug from a title or a file name: ASCII letters and
// digits are kept, lower-cased, and every other run of characters
// becomes one dash (the knowledge package folds accents away first, so
// "Remboursé" gives "rembourse"). Returns "" when nothing is left.
func Slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	out := b.String()
	if len(out) > MaxArticleSlug {
		out = strings.TrimRight(out[:MaxArticleSlug], "-")
	}
	return out
}

func validLang(l string) bool {
	if len(l) < 2 || len(l) > 3 {
		return false
	}
	for i := 0; i < len(l); i++ {
		if l[i] < 'a' || l[i] > 'z' {
			return false
		}
	}
	return true
}

// LearnedAnswer is an agent's reply that Parley learned from a resolved
// conversation, with the customer's question before it; both have
// contact details masked.
type LearnedAnswer struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	MessageID      int64     `json:"message_id"`
	InboxID        int64     `json:"inbox_id"`
	AgentID        *int64    `json:"agent_id"`
	ResolvedAt     time.Time `json:"resolved_at"` // the resolution it was learned from
	Question       string    `json:"question"`
	Answer         string    `json:"answer"`
	Lang           string    `json:"lang"`
	CreatedAt      time.Time `json:"created_at"`
}
