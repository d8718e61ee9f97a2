package gateway

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"

	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/parley"
)

// watchPage plays a recording for a customer whose channel cannot carry
// it (a WebM on SMS or WhatsApp): the link in their message opens this,
// on a phone as on a desktop. It has no script; the file comes from the
// signed media link beside it.
var watchPage = template.Must(template.New("watch").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>A video from {{.From}}</title>
<style>body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#f6f7fb;color:#1f2a44}main{max-width:760px;margin:0 auto;padding:24px 16px}
h1{font-size:20px;margin:0 0 12px}video{width:100%;max-height:70vh;border-radius:10px;background:#000}p{color:#5b6478;font-size:14px}</style></head>
<body><main><h1>A video from {{.From}}</h1>
<video controls playsinline preload="metadata" src="{{.Src}}#t=0.1"></video>
<p>{{.Name}}{{if .Length}} · {{.Length}}{{end}} · <a href="{{.Src}}" download="{{.Name}}">Download</a></p>
<p>This link works until {{.Until}}.</p></main></body></html>
`))

// serveWatch is the customer's page for one recording.
func (g *Gateway) serveWatch(w http.ResponseWriter, r *http.Request) {
	a, until, err := g.signedAttachment(r)
	if err == nil && !strings.HasPrefix(a.ContentType, "video/") {
		err = parley.Errorf(parley.ENOTFOUND, "no such video")
	}
	if err != nil {
		jsonhttp.Error(w, r, err)
		return
	}
	from := "us"
	if m, err := g.DB.Message(r.Context(), a.MessageID); err == nil {
		if in, _, err := g.DB.Inbox(r.Context(), m.InboxID); err == nil && in.Name != "" {
			from = in.Name
		}
	}
	var b bytes.Buffer
	err = watchPage.Execute(&b, map[string]string{
		"From": from, "Name": a.Filename, "Length": parley.VideoLength(a.DurationMS),
		"Src":   strings.Replace(r.URL.Path, "/hooks/watch/", "/hooks/media/", 1),
		"Until": until.UTC().Format("2 January 2006"),
	})
	if err != nil {
		jsonhttp.Error(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "private, max-age=300")
	w.Write(b.Bytes())
}
