package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/gateway"
	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/parley"
)

// templates holds one template set per page: the layout and the shared
// partials, plus the page's own file. Partials render on their own for
// htmx requests, from the "partials" set.
type templates struct {
	dev    bool
	assets *assets
	mu     sync.Mutex
	sets   map[string]*template.Template
	err    error
}

func loadTemplates(dev bool, a *assets) *templates {
	t := &templates{dev: dev && devDirExists("internal/web/templates"), assets: a}
	t.sets, t.err = t.parse()
	if t.err != nil && !t.dev {
		panic(t.err) // the embedded templates are tested; failing here is a build mistake
	}
	return t
}

// shared are parsed into every set.
var shared = []string{"layout.html", "partials.html", "conversation.html", "contact.html", "assist.html", "knowledge.html"}

func (t *templates) parse() (map[string]*template.Template, error) {
	var fsys fs.FS
	if t.dev {
		fsys = os.DirFS("internal/web/templates")
	} else {
		fsys, _ = fs.Sub(embedded, "templates")
	}
	base, err := template.New("").Funcs(t.funcs()).ParseFS(fsys, shared...)
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, "*.html")
	if err != nil {
		return nil, err
	}
	sets := map[string]*template.Template{"partials": base}
	for _, n := range names {
		if isShared(n) {
			continue
		}
		set, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := set.ParseFS(fsys, n); err != nil {
			return nil, err
		}
		sets[strings.TrimSuffix(n, ".html")] = set
	}
	return sets, nil
}

func isShared(n string) bool {
	for _, s := range shared {
		if s == n {
			return true
		}
	}
	return false
}

func (t *templates) get(page string) (*template.Template, error) {
	if t.dev {
		sets, err := t.parse()
		if err != nil {
			return nil, err
		}
		t.mu.Lock()
		t.sets = sets
		t.mu.Unlock()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	set, ok := t.sets[page]
	if !ok {
		return nil, fmt.Errorf("web: no template %q", page)
	}
	return set, nil
}

func (t *templates) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":      func(name string) string { return t.assets.url(name) },
		"ago":        ago,
		"clock":      func(tm time.Time) string { return tm.UTC().Format("Jan 2, 15:04 UTC") },
		"iso":        func(tm time.Time) string { return tm.UTC().Format(time.RFC3339) },
		"segments":   segments,
		"timeZones":  func() []string { return commonTimeZones },
		"localTime":  localTime,
		"videoTypes": func(ch parley.ChannelType) string { return strings.Join(gateway.VideoTypes(ch), " ") },
		"widgetLanguages": func() []struct{ Code, Name string } {
			return []struct{ Code, Name string }{{"en", "English"}, {"fr", "Français"}, {"es", "Español"}, {"de", "Deutsch"}, {"pt", "Português"}, {"vi", "Tiếng Việt"}}
		},
		"initials": initials,
		"title":    titleCase,
		"size":     humanSize,
		"deref":    func(p *int64) int64 { return deref(p) },
		"list":     func(xs ...string) []string { return xs },
		"until":    until,
		"channel":  channelName,
		"amount":   amount,
	}
}

// Page is what every page's view carries for the layout.
type Page struct {
	Title   string
	Agent   parley.Agent
	CSRF    string
	Nav     string // "inbox" or an admin section
	Flash   string
	LastSeq int64
	// Approver: the agent may approve held actions; PendingApprovals is
	// how many wait (the top bar's link to the queue).
	Approver         bool
	PendingApprovals int
}

// render executes a page (the "layout" template) or, with block, one named
// partial of it. Output is buffered so a failing template sends a clean
// error instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page, block string, v any) error {
	set, err := s.tmpl.get(page)
	if err != nil {
		return err
	}
	if block == "" {
		block = "layout"
	}
	var buf bytes.Buffer
	if err := set.ExecuteTemplate(&buf, block, v); err != nil {
		return fmt.Errorf("web: render %s/%s: %w", page, block, err)
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(buf.Bytes())
	return err
}

// csp allows only our own scripts, styles and media: no inline script,
// no framing.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// errorView is the error page.
type errorView struct {
	Page
	Status  int
	Message string
}

// fail answers with err: a small fragment for htmx, the error page
// otherwise. Internal errors are logged and shown as "Internal error."
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := parley.ErrorCode(err)
	if code == parley.EINTERNAL {
		slog.Error("web: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	status := jsonhttp.StatusFor(code)
	jsonhttp.SetRetryAfter(w.Header(), code)
	msg := parley.ErrorMessage(err)
	if isHX(r) {
		securityHeaders(w)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprint(w, msg)
		return
	}
	v := errorView{Status: status, Message: msg}
	v.Title = http.StatusText(status)
	if u, ok := userFrom(r); ok {
		v.Agent, v.CSRF = u.Agent, u.Session.CSRFToken
	}
	if rerr := s.render(w, r, status, "error", "", v); rerr != nil {
		slog.Error("web: render error page", "err", rerr)
		http.Error(w, msg, status)
	}
}

func isHX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

func ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "now"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	case d < 7*24*time.Hour:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	return t.UTC().Format("Jan 2")
}

func initials(name string) string {
	var out []rune
	for _, f := range strings.Fields(name) {
		for _, r := range f {
			out = append(out, r)
			break
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return strings.ToUpper(string(out))
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func humanSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.0f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// until says how long is left from now to t, coarsely: "5h 12m", "3d 4h",
// "under a minute"; "" once t has passed.
func until(now, t time.Time) string {
	d := t.Sub(now)
	switch {
	case d <= 0:
		return ""
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd %dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// channelName is how a channel type is written for people.
func channelName(t parley.ChannelType) string {
	switch t {
	case parley.ChannelWhatsApp:
		return "WhatsApp"
	case parley.ChannelSMS:
		return "SMS"
	case parley.ChannelRCS:
		return "RCS"
	case parley.ChannelAPI:
		return "API"
	}
	return titleCase(string(t))
}
