package parley

import (
	"net/url"
	"regexp"
	"strings"
)

// WidgetLook is how a website chat looks and speaks: its colour, the
// name and logo in its header, where its launcher sits, and the language
// of its own words (buttons, placeholders; the team's messages are the
// team's). Empty fields take the defaults.
type WidgetLook struct {
	Color    string `json:"color,omitempty"`    // #rrggbb; default #2f5bea
	Title    string `json:"title,omitempty"`    // default: the inbox's name
	LogoURL  string `json:"logo_url,omitempty"` // an https image; default: the title's initial
	Position string `json:"position,omitempty"` // right (default) or left
	Language string `json:"language,omitempty"` // en, fr, es, de, pt, vi; default: the visitor's browser's
}

// WidgetLanguages are the languages the chat's own words come in.
var WidgetLanguages = []string{"en", "fr", "es", "de", "pt", "vi"}

var hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// Validate normalises and checks a look.
func (l *WidgetLook) Validate() error {
	l.Color = strings.ToLower(strings.TrimSpace(l.Color))
	if l.Color != "" && !hexColor.MatchString(l.Color) {
		return Errorf(EINVALID, "the chat's colour is a hex colour such as #2f5bea")
	}
	l.Title = CleanLine(l.Title)
	if len([]rune(l.Title)) > 60 {
		return Errorf(EINVALID, "the chat's title is at most 60 characters")
	}
	l.LogoURL = strings.TrimSpace(l.LogoURL)
	if l.LogoURL != "" {
		u, err := url.Parse(l.LogoURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || len(l.LogoURL) > 500 {
			return Errorf(EINVALID, "the chat's logo is an https:// address of an image, at most 500 characters")
		}
	}
	switch l.Position {
	case "", "right", "left":
	default:
		return Errorf(EINVALID, "the launcher sits right or left")
	}
	if l.Language != "" {
		ok := false
		for _, x := range WidgetLanguages {
			ok = ok || x == l.Language
		}
		if !ok {
			return Errorf(EINVALID, "the chat's language is one of %s, or the visitor's own", strings.Join(WidgetLanguages, ", "))
		}
	}
	return nil
}

// ColorOr is the look's colour, or the default.
func (l WidgetLook) ColorOr() string {
	if l.Color == "" {
		return "#2f5bea"
	}
	return l.Color
}
