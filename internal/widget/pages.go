package widget

import (
	"bytes"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/parley"
)

// pageCSP lets the chat page run only its own script and style, talk only
// to Parley, and be framed only by the sites its inbox allows.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; " +
	"form-action 'none'; base-uri 'none'; frame-ancestors "

type pageData struct {
	InboxID       int64
	Name          string
	Greeting      string
	ReplyTimeText string
	Initial       string // the avatar's letter
	Resume        bool
	CSS, JS       string
	Capture       string // capture.js: screen recordings and screenshots
	Resumable     string // resumable.js: uploads in pieces
	Parent        string // the origin it may postMessage with (origins.go); "" for none
	// Look and T: the chat's colour, logo and launcher side, and its words.
	Look parley.WidgetLook
	T    chatTexts
	// Color is the look's colour, or the default.
	Color string
}

// page serves the chat page that the loader frames (and, under /resume,
// the page an emailed link opens).
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	in, err := s.inboxFor(r)
	if err != nil {
		http.Error(w, "Not found", jsonhttp.StatusFor(parley.ErrorCode(err)))
		return
	}
	lang := chatLanguage(in.Look, firstLanguage(r.Header.Get("Accept-Language")))
	t := textsFor(lang)
	name := in.Name
	if in.Look.Title != "" {
		name = in.Look.Title
	}
	reply := s.replyTimeText(r.Context(), in, parley.NormalizeLanguage(lang), "")
	d := pageData{InboxID: in.ID, Name: name, Greeting: greeting(in, t, reply), ReplyTimeText: reply,
		Initial: initial(name), Resume: strings.HasSuffix(r.URL.Path, "/resume"), CSS: s.assetURL("chat.css"), JS: s.assetURL("chat.js"), Capture: s.assetURL("capture.js"), Resumable: s.assetURL("resumable.js"),
		Parent: parentOrigin(in.AllowedOrigins, r.URL.Query().Get("origin")), Look: in.Look, T: t, Color: in.Look.ColorOr()}
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, "chat.html", d); err != nil {
		writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	csp := pageCSP
	if in.Look.LogoURL != "" {
		// The inbox's logo is the one image from elsewhere the page shows.
		if u, err := url.Parse(in.Look.LogoURL); err == nil {
			csp = strings.Replace(csp, "img-src 'self' data:;", "img-src 'self' data: https://"+u.Host+";", 1)
		}
	}
	h.Set("Content-Security-Policy", csp+frameAncestors(in.AllowedOrigins))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer") // resume links carry a token
	h.Set("Cache-Control", "no-cache")
	w.Write(buf.Bytes())
}

func (s *Server) assetURL(file string) string {
	return "/widget-assets/" + file + "?v=" + s.assetVer[file]
}

var assetTypes = map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

// asset serves the chat page's script and style. With the current
// version in ?v= they are cached for good; the URL changes with them.
func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	ver, ok := s.assetVer[name]
	if !ok || name == "widget.js" {
		http.NotFound(w, r)
		return
	}
	b, _ := files.ReadFile("static/" + name)
	h := w.Header()
	h.Set("Content-Type", assetTypes[path.Ext(name)])
	h.Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("v") == ver {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("ETag", `"`+ver+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

// loader serves /widget.js, which host pages include. It is cached only
// briefly, so fixes reach every site soon, and may be loaded cross-origin.
func (s *Server) loader(w http.ResponseWriter, r *http.Request) {
	b, _ := files.ReadFile("static/widget.js")
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("ETag", `"`+s.assetVer["widget.js"]+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

func initial(name string) string {
	for _, r := range strings.TrimSpace(name) {
		return strings.ToUpper(string(r))
	}
	return "?"
}

// firstLanguage is the first tag of an Accept-Language header.
func firstLanguage(h string) string {
	tag, _, _ := strings.Cut(h, ",")
	tag, _, _ = strings.Cut(tag, ";")
	return strings.TrimSpace(tag)
}
