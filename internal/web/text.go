package web

import (
	"net/url"
	"strings"
)

// Segment is a piece of message text: plain text, or a link. Templates
// render both with html/template's escaping; a link's Href is only ever
// an http or https URL.
type Segment struct {
	Text string
	Href string
}

// segments splits customer text into text and link segments. Only
// http(s) URLs become links; anything else (javascript:, data:) stays text.
func segments(text string) []Segment {
	var out []Segment
	rest := text
	for rest != "" {
		i := indexURL(rest)
		if i < 0 {
			out = append(out, Segment{Text: rest})
			break
		}
		end := i
		for end < len(rest) && !isURLEnd(rest[end]) {
			end++
		}
		raw := strings.TrimRight(rest[i:end], ".,;:!?)]'\"")
		end = i + len(raw)
		if i > 0 {
			out = append(out, Segment{Text: rest[:i]})
		}
		if u, err := url.Parse(raw); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			out = append(out, Segment{Text: raw, Href: u.String()})
		} else {
			out = append(out, Segment{Text: raw})
		}
		rest = rest[end:]
	}
	return out
}

func indexURL(s string) int {
	lower := strings.ToLower(s)
	a, b := strings.Index(lower, "http://"), strings.Index(lower, "https://")
	switch {
	case a < 0:
		return b
	case b < 0:
		return a
	}
	return min(a, b)
}

func isURLEnd(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '<' || c == '>' || c == '"'
}
