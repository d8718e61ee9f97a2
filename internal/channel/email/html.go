package email

import (
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlPolicy is built once: a bluemonday policy is safe for concurrent
// use and costly to build, and never changes after construction.
var htmlPolicy = sync.OnceValue(newHTMLPolicy)

// newHTMLPolicy allows the markup mail is written in (text formatting,
// lists, tables, links, images) and nothing that runs code, submits
// forms, embeds other pages, or loads anything but a plain image or
// link: no scripts, event handlers, style sheets, frames, objects or
// relative URLs (which would point at Parley itself); URLs are limited
// to http(s), mailto and cid, the last for inline images.
func newHTMLPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardURLs()
	p.AllowURLSchemes("http", "https", "mailto", "cid")
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowElements("p", "br", "div", "span", "b", "strong", "i", "em", "u", "s", "strike", "del", "ins",
		"sub", "sup", "small", "big", "font", "center", "blockquote", "pre", "code", "tt", "hr",
		"h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "thead", "tbody", "tfoot",
		"tr", "td", "th", "caption", "abbr", "address", "cite", "q", "article", "section")
	p.AllowAttrs("href").OnElements("a")
	p.AllowImages()
	p.AllowLists()
	p.AllowTables()
	p.AllowRelativeURLs(false) // after the helpers above, which allow them
	p.AllowAttrs("dir").Matching(bluemonday.Direction).Globally()
	p.AllowAttrs("align").Matching(regexp.MustCompile(`(?i)^(left|right|center|justify)$`)).
		OnElements("p", "div", "table", "h1", "h2", "h3", "h4", "h5", "h6")
	p.AllowAttrs("bgcolor", "color").Matching(regexp.MustCompile(`^#?[0-9A-Za-z]{1,20}$`)).
		OnElements("table", "tr", "td", "th", "font")
	p.AllowAttrs("colspan", "rowspan", "cellpadding", "cellspacing", "border").
		Matching(bluemonday.Integer).OnElements("table", "td", "th")
	p.AllowAttrs("face").Matching(regexp.MustCompile(`^[\w ,'"-]{1,100}$`)).OnElements("font")
	p.AllowAttrs("size").Matching(regexp.MustCompile(`^[+-]?\d$`)).OnElements("font")
	// Inline styles carry most of a mail's look; these properties cannot
	// load anything or move content over the page around it.
	p.AllowStyles("color", "background-color", "font-weight", "font-style", "font-size",
		"font-family", "text-decoration", "text-align").Globally()
	return p
}

// sanitizeHTML returns the HTML of a mail body safe to show to agents.
func sanitizeHTML(s string) string {
	return strings.TrimSpace(htmlPolicy().Sanitize(s))
}

// Classes and ids that mark quoted history in the HTML of common clients:
// Gmail, Yahoo, Proton, Thunderbird, and Outlook's several generations.
var (
	quoteClasses = []string{"gmail_quote", "gmail_quote_container", "gmail_extra", "yahoo_quoted",
		"protonmail_quote", "moz-cite-prefix", "gmail_signature", "moz-signature"}
	// Outlook puts its reply header in one of these and the quoted
	// message after it, as siblings rather than children: everything
	// from the marker to the end of the document goes.
	cutIDs     = []string{"divRplyFwdMsg", "appendonsend", "OLK_SRC_BODY_SECTION", "mail-editor-reference-message-container", "stopSpelling"}
	cutClasses = []string{"OutlookMessageHeader"}
)

// StripQuotedHTML returns the new part of an HTML reply as plain text:
// blockquotes and the quote containers of Gmail, Yahoo, Proton Mail,
// Thunderbird and Outlook are removed (for Outlook, everything after its
// reply header too), the rest is converted to text, and StripQuoted
// then removes what plain-text conventions still mark as history or
// signature (an Apple Mail "On … wrote:" line, "Sent from my iPhone").
func StripQuotedHTML(s string) string {
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		return StripQuoted(s)
	}
	var remove []*html.Node
	var cut *html.Node
	var find func(*html.Node)
	find = func(n *html.Node) {
		for c := n.FirstChild; c != nil && cut == nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			switch {
			case hasAny(attr(c, "id"), cutIDs) || hasAny(attr(c, "class"), cutClasses):
				cut = c
			case c.DataAtom == atom.Blockquote || hasAny(attr(c, "class"), quoteClasses):
				remove = append(remove, c)
			default:
				find(c)
			}
		}
	}
	find(doc)
	for _, n := range remove {
		n.Parent.RemoveChild(n)
	}
	if cut != nil {
		for n := cut; n.Parent != nil; n = n.Parent {
			for n.NextSibling != nil {
				n.Parent.RemoveChild(n.NextSibling)
			}
		}
		cut.Parent.RemoveChild(cut)
	}
	return StripQuoted(nodeText(doc))
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// hasAny reports whether the space-separated list v holds one of names.
func hasAny(v string, names []string) bool {
	for _, f := range strings.Fields(v) {
		for _, n := range names {
			if f == n {
				return true
			}
		}
	}
	return false
}

// htmlToText converts an HTML body to readable plain text.
func htmlToText(s string) string {
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		return tidyText(s)
	}
	return nodeText(doc)
}

// nodeText renders a parsed document as text: blocks on their own lines,
// blockquotes prefixed with "> " (so the plain-text quote rules apply to
// them), list items with "- ", and links followed by their URL when it
// differs from the link's text.
func nodeText(doc *html.Node) string {
	t := &textWriter{}
	t.node(doc)
	t.flush()
	return tidyText(t.out.String())
}

type textWriter struct {
	out   strings.Builder
	line  strings.Builder
	depth int // blockquote nesting
	pre   int
	blank bool // the last line written was blank
	open  bool // the last line was text that no <br> has ended yet
}

var blockAtoms = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Table: true, atom.Tr: true, atom.Ul: true, atom.Ol: true,
	atom.Li: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true,
	atom.H6: true, atom.Pre: true, atom.Hr: true, atom.Section: true, atom.Article: true,
	atom.Header: true, atom.Footer: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
	atom.Address: true, atom.Center: true, atom.Form: true, atom.Blockquote: true,
}

// paragraphAtoms are blocks separated from their neighbours by a blank line.
var paragraphAtoms = map[atom.Atom]bool{
	atom.P: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true,
	atom.H6: true, atom.Table: true, atom.Ul: true, atom.Ol: true, atom.Blockquote: true, atom.Pre: true,
}

func (t *textWriter) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		t.text(n.Data)
		return
	case html.ElementNode:
	case html.DocumentNode:
		t.children(n)
		return
	default:
		return
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Head, atom.Title, atom.Noscript, atom.Template, atom.Iframe, atom.Object:
		return
	case atom.Br:
		t.flush()
		t.endLine()
		return
	case atom.Td, atom.Th:
		if t.line.Len() > 0 {
			t.line.WriteString(" ")
		}
		t.children(n)
		return
	case atom.A:
		start := t.line.Len()
		t.children(n)
		href := attr(n, "href")
		label := strings.TrimSpace(t.line.String()[min(start, t.line.Len()):])
		if (strings.HasPrefix(href, "http://") || strings.HasPrefix(href, "https://")) && label != href && label != "" {
			t.line.WriteString(" <" + href + ">")
		}
		return
	}
	if !blockAtoms[n.DataAtom] {
		t.children(n)
		return
	}
	t.flush()
	t.open = false // a block ends the line: a <br> inside it starts a new one
	if paragraphAtoms[n.DataAtom] {
		t.blankLine()
	}
	switch n.DataAtom {
	case atom.Blockquote:
		t.depth++
		t.children(n)
		t.flush()
		t.depth--
	case atom.Pre:
		t.pre++
		t.children(n)
		t.pre--
	case atom.Li:
		t.line.WriteString("- ")
		t.children(n)
	default:
		t.children(n)
	}
	t.flush()
	t.open = false
	if paragraphAtoms[n.DataAtom] {
		t.blankLine()
	}
}

func (t *textWriter) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		t.node(c)
	}
}

var spaces = regexp.MustCompile(`[ \t\r\n\f\x{a0}]+`)

func (t *textWriter) text(s string) {
	if t.pre > 0 {
		lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
		for i, l := range lines {
			if i > 0 {
				t.flush()
				t.endLine()
			}
			t.line.WriteString(l)
		}
		return
	}
	s = spaces.ReplaceAllString(s, " ")
	if t.line.Len() == 0 || strings.HasSuffix(t.line.String(), " ") {
		s = strings.TrimLeft(s, " ")
	}
	t.line.WriteString(s)
}

// flush writes the pending line, if any.
func (t *textWriter) flush() {
	line := strings.TrimRight(t.line.String(), " ")
	t.line.Reset()
	if strings.TrimSpace(line) == "" {
		return
	}
	t.writeLine(line)
	t.open = true
}

// endLine handles a <br>: it ends the line flush just wrote, or, when
// there was none, stands for an empty line.
func (t *textWriter) endLine() {
	if t.open {
		t.open = false
		return
	}
	t.writeLine("")
}

func (t *textWriter) blankLine() {
	if t.out.Len() > 0 && !t.blank {
		t.writeLine("")
	}
}

func (t *textWriter) writeLine(s string) {
	prefix := strings.Repeat("> ", t.depth)
	t.open = false
	t.blank = s == ""
	if s == "" {
		prefix = strings.TrimRight(prefix, " ")
	}
	t.out.WriteString(prefix + s + "\n")
}
