package knowledge

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/parleyhq/parley/internal/parley"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// parseHTML turns a help-centre page into an article: title from <title>
// or the first <h1>, language from <html lang>, and the body as
// Markdown-like text (headings, paragraphs, lists and links kept;
// scripts, styles and navigation dropped).
func parseHTML(data []byte) (parley.Article, error) {
	var a parley.Article
	doc, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		return a, &ParseError{Reason: "the HTML cannot be read: " + err.Error()}
	}
	var h1 string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Html:
				if l := attr(n, "lang"); l != "" {
					a.Lang = langOf(l)
				}
			case atom.Title:
				if a.Title == "" {
					a.Title = collapse(textOf(n))
				}
			case atom.H1:
				if h1 == "" {
					h1 = collapse(textOf(n))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if a.Title == "" {
		a.Title = h1
	}
	var w mdWriter
	if body := find(doc, atom.Body); body != nil {
		w.block(body)
	}
	a.Body = strings.TrimSpace(w.b.String())
	// The page shows the title: a first heading repeating it is dropped.
	if first, rest, _ := strings.Cut(a.Body, "\n"); strings.TrimPrefix(first, "# ") == a.Title {
		a.Body = strings.TrimSpace(rest)
	}
	return a, nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return strings.TrimSpace(a.Val)
		}
	}
	return ""
}

func find(n *html.Node, a atom.Atom) *html.Node {
	if n.Type == html.ElementNode && n.DataAtom == a {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, a); f != nil {
			return f
		}
	}
	return nil
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// mdWriter writes blocks separated by blank lines, each block's inline
// content on one line.
type mdWriter struct{ b strings.Builder }

func (w *mdWriter) para(s string) {
	if s = strings.TrimSpace(s); s == "" {
		return
	}
	if w.b.Len() > 0 {
		w.b.WriteString("\n\n")
	}
	w.b.WriteString(s)
}

// skipped are elements whose content is not the article's.
var skipped = map[atom.Atom]bool{atom.Script: true, atom.Style: true, atom.Nav: true, atom.Header: true, atom.Footer: true,
	atom.Noscript: true, atom.Template: true, atom.Form: true, atom.Button: true, atom.Iframe: true, atom.Svg: true}

func (w *mdWriter) block(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			w.para(collapse(c.Data))
			continue
		}
		if c.Type != html.ElementNode || skipped[c.DataAtom] {
			continue
		}
		switch c.DataAtom {
		case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
			level := int(c.Data[1] - '0')
			w.para(strings.Repeat("#", level) + " " + inline(c))
		case atom.P, atom.Blockquote, atom.Pre, atom.Dt, atom.Dd, atom.Figcaption:
			w.para(inline(c))
		case atom.Ul, atom.Ol:
			var items []string
			i := 1
			for li := c.FirstChild; li != nil; li = li.NextSibling {
				if li.Type != html.ElementNode || li.DataAtom != atom.Li {
					continue
				}
				mark := "- "
				if c.DataAtom == atom.Ol {
					mark = strconv.Itoa(i) + ". "
				}
				items = append(items, mark+inline(li))
				i++
			}
			w.para(strings.Join(items, "\n"))
		case atom.Tr:
			var cells []string
			for td := c.FirstChild; td != nil; td = td.NextSibling {
				if td.Type == html.ElementNode {
					cells = append(cells, inline(td))
				}
			}
			w.para(strings.Join(cells, " | "))
		case atom.Br, atom.Hr, atom.Img:
		default:
			w.block(c) // div, section, article, main, table...: their blocks
		}
	}
}

// inline is an element's text on one line, links kept as [text](href)
// when they go somewhere http(s) or relative.
func inline(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data)
			return
		case n.Type != html.ElementNode || skipped[n.DataAtom]:
			return
		case n.DataAtom == atom.Br:
			b.WriteByte(' ')
			return
		case n.DataAtom == atom.A:
			href, text := attr(n, "href"), collapse(textOf(n))
			if text != "" && safeHref(href) {
				b.WriteString("[" + text + "](" + href + ")")
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return collapse(b.String())
}

func safeHref(h string) bool {
	l := strings.ToLower(h)
	return h != "" && !strings.ContainsAny(h, " ()") &&
		(strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "/") || strings.HasPrefix(l, "mailto:"))
}
