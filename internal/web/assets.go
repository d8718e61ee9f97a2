package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
)

// assets serves static files under /app/static/NAME.HASH.EXT, where HASH
// is the start of the file's SHA-256: a changed file gets a new URL, so
// every URL can be cached for a year.
type assets struct {
	dev   bool
	fsys  fs.FS
	mu    sync.Mutex
	byURL map[string]string // fingerprinted path → file name
	hash  map[string]string // file name → fingerprinted path
}

func loadAssets(dev bool) *assets {
	a := &assets{dev: dev, byURL: map[string]string{}, hash: map[string]string{}}
	if dev && devDirExists("internal/web/static") {
		a.fsys = os.DirFS("internal/web/static")
	} else {
		a.dev = false
		a.fsys, _ = fs.Sub(embedded, "static")
	}
	a.scan()
	return a
}

// devDirExists reports whether the -dev source directory is here (the
// binary runs from the repository root); otherwise the embedded files serve.
func devDirExists(dir string) bool {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return true
	}
	slog.Warn("web: -dev needs to run from the repository root; serving the embedded files", "missing", dir)
	return false
}

func (a *assets) scan() {
	byURL, hash := map[string]string{}, map[string]string{}
	fs.WalkDir(a.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(a.fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(p)
		u := "/app/static/" + strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		byURL[u], hash[p] = p, u
		return nil
	})
	a.mu.Lock()
	a.byURL, a.hash = byURL, hash
	a.mu.Unlock()
}

// url returns the fingerprinted URL of a static file.
func (a *assets) url(name string) string {
	if a.dev {
		a.scan()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if u, ok := a.hash[name]; ok {
		return u
	}
	return "/app/static/missing/" + name
}

func (a *assets) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	name, ok := a.byURL[r.URL.Path]
	a.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(a.fsys, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if a.dev {
		w.Header().Set("Cache-Control", "no-cache")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	w.Write(b)
}
