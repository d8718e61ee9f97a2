package parley

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Visit is what the widget knows of a visitor when they write: the page
// they are on, the pages they came through in this visit, their browser
// and device (from its User-Agent), and attributes the host page passes.
// It is kept with their message, for the agent; every part is the
// visitor's (or the host page's) word, so it is cleaned and bounded, and
// shown as text.
type Visit struct {
	Page       VisitPage         `json:"page"`
	Trail      []VisitPage       `json:"trail,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Browser    string            `json:"browser,omitempty"`
	Device     string            `json:"device,omitempty"` // desktop, phone, tablet
}

// VisitPage is one page: its address (no query) and title.
type VisitPage struct {
	URL   string `json:"url"`
	Title string `json:"title,omitempty"`
}

var attrKey = regexp.MustCompile(`^[A-Za-z0-9_. -]{1,40}$`)

// CleanVisit keeps what is well-formed of a visit and drops the rest:
// http(s) addresses without query or credentials, titles as one line,
// at most 10 pages and 20 attributes of 200 characters. A visit with no
// page is nil.
func CleanVisit(v *Visit, userAgent string) *Visit {
	if v == nil {
		return nil
	}
	out := &Visit{}
	var ok bool
	if out.Page, ok = cleanPage(v.Page); !ok {
		return nil
	}
	for _, p := range v.Trail {
		if len(out.Trail) == 10 {
			break
		}
		if p, ok := cleanPage(p); ok {
			out.Trail = append(out.Trail, p)
		}
	}
	for k, val := range v.Attributes {
		if len(out.Attributes) == 20 {
			break
		}
		if !attrKey.MatchString(k) {
			continue
		}
		if out.Attributes == nil {
			out.Attributes = map[string]string{}
		}
		out.Attributes[k] = clipRunes(CleanLine(val), 200)
	}
	out.Browser, out.Device = Browser(userAgent)
	return out
}

func cleanPage(p VisitPage) (VisitPage, bool) {
	u, err := url.Parse(strings.TrimSpace(p.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(p.URL) > 2000 {
		return VisitPage{}, false
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return VisitPage{URL: clipRunes(u.String(), 500), Title: clipRunes(CleanLine(p.Title), 200)}, true
}

func clipRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// Browser names a User-Agent's browser and system ("Chrome 131 on
// Android") and its kind of device. It knows the common ones; others are
// "" rather than a guess.
func Browser(ua string) (browser, device string) {
	device = "desktop"
	switch {
	case strings.Contains(ua, "iPad") || (strings.Contains(ua, "Android") && !strings.Contains(ua, "Mobile")):
		device = "tablet"
	case strings.Contains(ua, "Mobile") || strings.Contains(ua, "iPhone"):
		device = "phone"
	}
	name := ""
	for _, b := range []struct{ token, name string }{{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"}, {"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Version/", "Safari"}} {
		if i := strings.Index(ua, b.token); i >= 0 {
			v := ua[i+len(b.token):]
			if j := strings.IndexAny(v, ". ;)"); j > 0 {
				v = v[:j]
			}
			if _, err := strconv.Atoi(v); err == nil {
				name = b.name + " " + v
			} else {
				name = b.name
			}
			break
		}
	}
	system := ""
	for _, o := range []struct{ token, name string }{{"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Android", "Android"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"}} {
		if strings.Contains(ua, o.token) {
			system = o.name
			break
		}
	}
	switch {
	case name != "" && system != "":
		return name + " on " + system, device
	case name != "":
		return name, device
	case system != "":
		return system, device
	}
	return "", device
}
