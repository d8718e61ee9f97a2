package knowledge

import (
	"bytes"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/parley"
)

// The shared file format (also the evaluation set's): a Markdown file
// may start with front matter between two "---" lines, one "key: value"
// a line: title (default: the first "# " heading, else the file name),
// slug (default: the file name without its extension, lower-cased),
// tags (comma-separated, optionally in [brackets]), lang (default en),
// status (published, the default, or draft). An HTML file takes its
// title from <title> or its first <h1>, its language from <html lang>,
// and its body as Markdown-like text (html.go).

// ParseError is a file that cannot be imported, with the line (1-based;
// 0 when the problem is the whole file) that shows why.
type ParseError struct {
	Line   int
	Reason string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return "line " + strconv.Itoa(e.Line) + ": " + e.Reason
	}
	return e.Reason
}

// ParseFile reads one article file. name is its path (its base name
// gives the default slug and title, its extension the format). Returns a
// *ParseError for a file that cannot be imported.
func ParseFile(name string, data []byte) (parley.Article, error) {
	if line, ok := invalidUTF8Line(data); !ok {
		return parley.Article{}, &ParseError{Line: line, Reason: "the file is not valid UTF-8"}
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	base := path.Base(name)
	stem := strings.TrimSuffix(base, path.Ext(base))
	var a parley.Article
	var err error
	switch strings.ToLower(path.Ext(base)) {
	case ".html", ".htm":
		a, err = parseHTML(data)
	default:
		a, err = parseMarkdown(string(data))
	}
	if err != nil {
		return a, err
	}
	a.Source = name
	if a.Slug == "" {
		a.Slug = parley.Slugify(strings.Join(wordsOf(strings.ToLower(stem)), " "))
	}
	if a.Title == "" {
		a.Title = strings.TrimSpace(strings.NewReplacer("-", " ", "_", " ").Replace(stem))
	}
	a.Normalize()
	if err := a.Validate(); err != nil {
		return a, &ParseError{Reason: parley.ErrorMessage(err)}
	}
	return a, nil
}

// invalidUTF8Line returns the line of the first byte that is not UTF-8.
func invalidUTF8Line(data []byte) (int, bool) {
	if utf8.Valid(data) {
		return 0, true
	}
	line := 1
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return line, false
		}
		if r == '\n' {
			line++
		}
		i += n
	}
	return line, false
}

// parseMarkdown reads front matter, then takes the body.
func parseMarkdown(text string) (parley.Article, error) {
	var a parley.Article
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	bodyStart := 0
	titleSet := false
	if len(lines) > 0 && strings.TrimSpace(lines[0]) == "---" {
		end := -1
		for i := 1; i < len(lines); i++ {
			if strings.TrimSpace(lines[i]) == "---" {
				end = i
				break
			}
		}
		if end < 0 {
			return a, &ParseError{Line: 1, Reason: "the front matter opened here is never closed with a \"---\" line"}
		}
		for i := 1; i < end; i++ {
			line := strings.TrimSpace(lines[i])
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			key, value, ok := strings.Cut(line, ":")
			if !ok {
				return a, &ParseError{Line: i + 1, Reason: "front matter lines must be \"key: value\""}
			}
			key, value = strings.ToLower(strings.TrimSpace(key)), unquote(strings.TrimSpace(value))
			switch key {
			case "title":
				if value == "" {
					return a, &ParseError{Line: i + 1, Reason: "the title is empty"}
				}
				a.Title, titleSet = value, true
			case "slug":
				if !parley.ValidSlug(value) {
					return a, &ParseError{Line: i + 1, Reason: "slug " + strconv.Quote(value) + " must be lower-case letters, digits and single dashes"}
				}
				a.Slug = value
			case "tags":
				value = strings.TrimSuffix(strings.TrimPrefix(value, "["), "]")
				for t := range strings.SplitSeq(value, ",") {
					if t = unquote(strings.TrimSpace(t)); t != "" {
						a.Tags = append(a.Tags, t)
					}
				}
			case "lang", "language":
				a.Lang = value
			case "status":
				switch s := parley.ArticleStatus(strings.ToLower(value)); s {
				case parley.ArticlePublished, parley.ArticleDraft:
					a.Status = s
				default:
					return a, &ParseError{Line: i + 1, Reason: "status must be published or draft, not " + strconv.Quote(value)}
				}
			default:
				// Other keys (a date, an author) belong to other tools: ignored.
			}
		}
		bodyStart = end + 1
	}
	body := lines[bodyStart:]
	if !titleSet {
		for i, l := range body {
			if strings.TrimSpace(l) == "" {
				continue
			}
			if h, ok := strings.CutPrefix(strings.TrimSpace(l), "# "); ok {
				a.Title = strings.TrimSpace(h)
				body = body[i+1:] // the page shows the title already
			}
			break
		}
	}
	a.Body = strings.TrimSpace(strings.Join(body, "\n"))
	return a, nil
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		return v[1 : len(v)-1]
	}
	return v
}
