// Package widget serves the website chat widget: the /widget.js loader
// that host pages include, the chat page it opens in an iframe, and the
// visitor endpoints behind it (messages, uploads, a live stream).
//
// Visitors never sign in. An anonymous visitor is known by a random token
// the widget keeps in its localStorage (the database holds only its
// SHA-256, as an identity of kind "visitor" scoped to the inbox); a
// signed-in user of the business's site by a user id that the host page
// vouches for with an HMAC under the inbox's identity secret. Every
// visitor endpoint is authorized by one of the two, never by an id alone.
package widget

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/blob"
	"github.com/parleyhq/parley/internal/clientip"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/jobs"
	"github.com/parleyhq/parley/internal/jsonhttp"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/ratelimit"
	"github.com/parleyhq/parley/internal/resumable"
	"github.com/parleyhq/parley/internal/secret"
	"github.com/parleyhq/parley/internal/store"
)

//go:embed static templates
var files embed.FS

// Server holds what the widget needs.
type Server struct {
	DB    *store.DB
	Inbox *inbox.Service
	Hub   *live.Hub
	Blobs blob.Store
	// BaseURL is the public URL of this Parley (links in notification emails).
	BaseURL func() string
	// MaxUploadBytes bounds a visitor's file.
	MaxUploadBytes int64

	// MessagesPerMinute bounds each visitor's messages (default 20);
	// WritesPerMinute bounds each IP address's writes (default 60).
	MessagesPerMinute, WritesPerMinute int
	// Limits holds those limits: ratelimit.New(DB) shares them between
	// every node on PostgreSQL; nil: in this process only.
	Limits ratelimit.Limiter
	// Box signs visitor tokens (token.go); it must have a key.
	Box *secret.Box
	// Proxies are the trusted reverse proxies whose X-Forwarded-For names
	// the client for the per-address limits; nil trusts none.
	Proxies *clientip.Resolver
	// Upload quotas (uploads.go); zero means the default.
	Quota UploadQuota
	// Resumable takes files in pieces that survive a dropped connection
	// (screen recordings from a phone); its quotas are charged at start.
	Resumable *resumable.Server
	// NoticeReplyAddress is the Reply-To of reply notices, an address
	// Parley reads that brings the visitor's answer back into the
	// conversation (gateway.NoticeReplyAddress); nil: none.
	NoticeReplyAddress func(ctx context.Context, conversationID int64) (string, bool, error)

	once      sync.Once
	tmpl      *template.Template
	assetVer  map[string]string // file → content hash, for cache-busting URLs
	ipLimit   *limiter
	userLimit *limiter

	jobsOnce sync.Once
	presence *presence // this node's open streams (presence.go)
}

// MaxJSONBytes bounds visitors' JSON bodies.
const MaxJSONBytes = 64 << 10

func (s *Server) init() {
	s.once.Do(func() {
		s.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
			// json renders a value for a data attribute (escaped there).
			"json": func(v any) string { b, _ := json.Marshal(v); return string(b) },
		}).ParseFS(files, "templates/*.html"))
		s.assetVer = map[string]string{}
		fs.WalkDir(files, "static", func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := files.ReadFile(path)
				sum := sha256.Sum256(b)
				s.assetVer[strings.TrimPrefix(path, "static/")] = hex.EncodeToString(sum[:6])
			}
			return nil
		})
		perMin := func(n, def int) int {
			if n <= 0 {
				return def
			}
			return n
		}
		if s.Limits == nil {
			s.Limits = &ratelimit.Memory{}
		}
		s.ipLimit = newLimiter(s.Limits, perMin(s.WritesPerMinute, 60), time.Minute)
		s.userLimit = newLimiter(s.Limits, perMin(s.MessagesPerMinute, 20), time.Minute)
		s.presence = newPresence()
		if s.Resumable == nil {
			s.Resumable = &resumable.Server{DB: s.DB, Upload: s.Inbox.Upload}
		}
	})
}

// Register adds the widget's routes to mux.
func (s *Server) Register(mux *http.ServeMux) {
	s.init()
	mux.HandleFunc("GET /widget.js", s.loader)
	mux.HandleFunc("GET /widget-assets/{file}", s.asset)
	mux.HandleFunc("GET /widget/{inbox_id}", s.page)
	mux.HandleFunc("GET /widget/{inbox_id}/resume", s.page)
	mux.HandleFunc("GET /survey/{token}", s.surveyPageGet)
	mux.HandleFunc("POST /survey/{token}", s.surveyPagePost)
	for _, rt := range []struct {
		pattern string
		h       handler
	}{
		{"GET /widget/{inbox_id}/config", s.config},
		{"POST /widget/{inbox_id}/session", s.write(s.session)},
		{"POST /widget/{inbox_id}/resume", s.write(s.resume)},
		{"GET /widget/{inbox_id}/messages", s.messages},
		{"POST /widget/{inbox_id}/messages", s.write(s.send)},
		{"POST /widget/{inbox_id}/uploads", s.write(s.upload)},
		{"POST /widget/{inbox_id}/uploads/resumable", s.write(s.startResumable)},
		{"HEAD /widget/{inbox_id}/uploads/resumable/{upload_id}", s.continueResumable(s.Resumable.Head)},
		{"PATCH /widget/{inbox_id}/uploads/resumable/{upload_id}", s.continueResumable(s.Resumable.Patch)},
		{"DELETE /widget/{inbox_id}/uploads/resumable/{upload_id}", s.continueResumable(s.Resumable.Delete)},
		{"GET /widget/{inbox_id}/attachments/{attachment_id}", s.attachment},
		{"POST /widget/{inbox_id}/email", s.write(s.setEmail)},
		{"POST /widget/{inbox_id}/read", s.write(s.markRead)},
		{"POST /widget/{inbox_id}/typing", s.write(s.typing)},
		{"POST /widget/{inbox_id}/survey", s.write(s.answerSurvey)},
		{"GET /widget/{inbox_id}/stream", s.stream},
	} {
		h := rt.h
		mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				writeError(w, r, err)
			}
		})
	}
}

// RegisterJobs registers the reply-notification job with the runner and
// starts the scan that enqueues it: after each commit that logs a new
// message, agents' replies on widget inboxes get a job that emails the
// visitor if they have left. Call it once, before Run; later calls do
// nothing.
func (s *Server) RegisterJobs(r *jobs.Runner) {
	s.init()
	s.jobsOnce.Do(func() {
		n := &inbox.ReplyNotifier{Service: s.Inbox, BaseURL: s.BaseURL, Present: s.present, ReplyAddress: s.NoticeReplyAddress}
		r.Handle(inbox.JobWidgetNotify, func(ctx context.Context, j store.Job) error {
			return n.Run(ctx, j.Payload, j.Attempts >= j.MaxAttempts)
		})
		// The first scan of a new database sets the scan position to the
		// end of the log, so replies from before are never emailed. It runs
		// here, before Parley serves anything, so that no reply made after
		// start-up can fall before that position.
		if err := s.Inbox.ScanWidgetReplies(context.Background()); err != nil {
			slog.Error("widget: scan replies", "err", err)
		}
	})
}

// Run follows agents' replies on widget inboxes and queues their email
// notifications, until ctx ends: the inbox's WidgetReplies consumer, woken
// by each outgoing message the hub delivers (from any node) and looking at
// the log every few seconds regardless. One node at a time needs to run
// it; the app runs it under a lease.
func (s *Server) Run(ctx context.Context) error {
	c := s.Inbox.WidgetReplies()
	c.Every = 5 * time.Second
	filter := func(ev *parley.Event) bool {
		return ev.Type == parley.EventMessageCreated && strings.Contains(string(ev.Data), `"outgoing"`)
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		for wctx.Err() == nil {
			sub, _ := s.Hub.Subscribe(filter)
			for closed := false; !closed; {
				select {
				case <-wctx.Done():
					s.Hub.Unsubscribe(sub)
					return
				case <-sub.Wait():
				}
				_, closed = sub.Take()
				c.Wake()
			}
			// The hub stopped (shutdown) or dropped us for falling
			// behind: subscribe again; the log itself loses nothing.
			s.Hub.Unsubscribe(sub)
			select {
			case <-wctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return c.Run(wctx)
}

// RunPresence writes the presence of this node's visitors (presence.go)
// until ctx ends. Every node runs it for its own open streams.
func (s *Server) RunPresence(ctx context.Context) {
	s.init()
	s.presence.run(ctx, presenceEvery, presenceQuick, s.Inbox.TouchVisitors)
}

// present reports whether the contact has a live widget connection here.
func (s *Server) present(contactID int64) bool { return s.presence.present(contactID) }

type handler func(w http.ResponseWriter, r *http.Request) error

// write wraps a state-changing handler in the same-origin check
// (origins.go) and the per-IP rate limit.
func (s *Server) write(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.sameOrigin(r); err != nil {
			return err
		}
		if !s.ipLimit.allow(r.Context(), "ip:"+s.Proxies.Key(r)) {
			return rateLimited(w)
		}
		return h(w, r)
	}
}

func rateLimited(w http.ResponseWriter) error {
	w.Header().Set("Retry-After", "60")
	return parley.Errorf(parley.ERATELIMIT, "Too many requests; please wait a moment and try again.")
}

func writeError(w http.ResponseWriter, r *http.Request, err error) { jsonhttp.Error(w, r, err) }

func writeJSON(w http.ResponseWriter, status int, v any) error { return jsonhttp.Write(w, status, v) }

// decode reads one JSON object strictly, within MaxJSONBytes.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return jsonhttp.Decode(w, r, v, MaxJSONBytes)
}

func pathID(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, parley.Errorf(parley.ENOTFOUND, "not found")
	}
	return id, nil
}

// visitorRequest returns the widget inbox named in the path and the
// visitor making the request (see visitorFor for required).
func (s *Server) visitorRequest(r *http.Request, required bool) (parley.Inbox, visitor, error) {
	in, err := s.inboxFor(r)
	if err != nil {
		return in, visitor{}, err
	}
	v, err := s.visitorFor(r, in, required)
	return in, v, err
}

// inboxFor returns the widget inbox named in the path; ENOTFOUND for any
// other inbox.
func (s *Server) inboxFor(r *http.Request) (parley.Inbox, error) {
	id, err := pathID(r, "inbox_id")
	if err != nil {
		return parley.Inbox{}, err
	}
	return s.Inbox.WidgetInbox(r.Context(), id)
}
