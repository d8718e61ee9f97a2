// Package a2a is Parley's face for other agents, over the A2A protocol
// (v1.0, JSON-RPC binding, through the official a2a-go SDK): a task is a
// support conversation seen from outside. A customer's own assistant, or
// a partner's agent, opens one with SendMessage, goes away, and comes
// back later with GetTask or SubscribeToTask for the team's answer:
// async, as for people. It shares the API's tokens (api.Server.Caller);
// a token sees only the tasks it opened. docs/AGENTS.md has the mapping.
package a2a

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/a2aproject/a2a-go/v2/a2a"
	"github.com/a2aproject/a2a-go/v2/a2asrv"

	"github.com/parleyhq/parley/internal/api"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Callers checks a request's API token: api.Server, whose tokens this
// face shares.
type Callers interface {
	Caller(w http.ResponseWriter, r *http.Request) (api.Caller, error)
}

// Server serves the agent card and the JSON-RPC endpoint.
type Server struct {
	DB      *store.DB
	Inbox   *inbox.Service
	Callers Callers
	Hub     *live.Hub
	// BaseURL is the public URL Parley answers on, for the card.
	BaseURL func() string
	// Name is the business's name on the card ("Parley" when empty).
	Name string
	// MaxBody bounds a JSON-RPC request's body (1 MiB when zero).
	MaxBody int64
	// StreamFor bounds how long a stream waits for the team (10 minutes
	// when zero): a client that wants to wait longer subscribes again.
	StreamFor time.Duration

	inboxMu sync.Mutex
}

// Path is where the JSON-RPC endpoint is served.
const Path = "/a2a"

// Register adds the card and the endpoint to mux.
func (s *Server) Register(mux *http.ServeMux) {
	card := a2asrv.NewAgentCardHandler(a2asrv.AgentCardProducerFn(func(ctx context.Context) (*a2a.AgentCard, error) {
		return s.card(), nil
	}))
	mux.Handle("GET /.well-known/agent-card.json", card)
	mux.Handle("OPTIONS /.well-known/agent-card.json", card)
	rpc := a2asrv.NewJSONRPCHandler(&handler{s: s}, a2asrv.WithTransportKeepAlive(15*time.Second),
		a2asrv.WithTransportPanicHandler(func(r any) error {
			slog.Error("a2a: handler panicked", "panic", r)
			return a2a.ErrInternalError
		}))
	mux.Handle("POST "+Path, s.authenticate(rpc))
}

type callerKey struct{}

// authenticate admits full tokens and agent tokens (every method) and
// read tokens (reading only, checked by each method); a request without
// a usable token gets 401 before any JSON-RPC is read.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.Callers.Caller(w, r)
		if err == nil && c.Scope == parley.ScopeIngest {
			err = parley.Errorf(parley.EFORBIDDEN, "this API token is ingest-only: it cannot talk to Parley over A2A")
		}
		if err != nil {
			status := http.StatusUnauthorized
			if parley.ErrorCode(err) == parley.EFORBIDDEN {
				status = http.StatusForbidden
			} else if parley.ErrorCode(err) != parley.EUNAUTHORIZED {
				status = http.StatusInternalServerError
				slog.Error("a2a: token check", "err", err)
			}
			http.Error(w, parley.ErrorMessage(err), status)
			return
		}
		max := s.MaxBody
		if max <= 0 {
			max = 1 << 20
		}
		if r.ContentLength > max {
			// Refused unread, on a connection that then closes: the rest
			// of the body must not be read as the next request.
			w.Header().Set("Connection", "close")
			http.Error(w, fmt.Sprintf("a request body is at most %d bytes", max), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	})
}

func callerFrom(ctx context.Context) api.Caller {
	c, _ := ctx.Value(callerKey{}).(api.Caller)
	return c
}

// mayWrite refuses read-only tokens a method that changes something.
func mayWrite(c api.Caller) error {
	if c.Scope == parley.ScopeRead {
		return &a2a.Error{Err: a2a.ErrUnauthorized, Message: "this API token is read-only: it may read tasks, not send or cancel"}
	}
	return nil
}

// card is Parley's agent card: one JSON-RPC interface, bearer tokens,
// and the three things an outside agent can do.
func (s *Server) card() *a2a.AgentCard {
	name := s.Name
	if name == "" {
		name = "Parley"
	}
	return &a2a.AgentCard{
		Name:        name + " support",
		Description: "Write to " + name + "'s support team as an agent. A task is a support conversation: people (and workflows) answer it, often hours later, so send, go away, and come back for the answer with GetTask or SubscribeToTask. A task waits in TASK_STATE_INPUT_REQUIRED while a person's answer or an approval is pending (status.message says who it waits for), and is TASK_STATE_COMPLETED when the team resolves it.",
		Version:     "1.0",
		SupportedInterfaces: []*a2a.AgentInterface{{URL: s.BaseURL() + Path, ProtocolBinding: a2a.TransportProtocolJSONRPC,
			ProtocolVersion: a2a.Version}},
		Capabilities:       a2a.AgentCapabilities{Streaming: true},
		DefaultInputModes:  []string{"text/plain"},
		DefaultOutputModes: []string{"text/plain"},
		SecuritySchemes: a2a.NamedSecuritySchemes{"bearer": a2a.HTTPAuthSecurityScheme{Scheme: "Bearer",
			Description: "A Parley API token (scope agent, or full); read tokens may only read tasks."}},
		SecurityRequirements: a2a.SecurityRequirementsOptions{{"bearer": {}}},
		Skills: []a2a.AgentSkill{
			{ID: "open_conversation", Name: "Open a support conversation", Tags: []string{"support", "async"},
				Description: "Send a message without a task id: it opens a conversation with the support team and returns its task.",
				Examples:    []string{"My blender from order A1001 arrived broken; can you send a replacement?"}},
			{ID: "add_to_conversation", Name: "Add to a conversation", Tags: []string{"support"},
				Description: "Send a message with the task's id: it joins that conversation, as the customer's next message."},
			{ID: "conversation_status", Name: "Ask a conversation's status", Tags: []string{"support", "status"},
				Description: "GetTask or SubscribeToTask: the team's answers so far, and what the task waits for (a person, an approval, or you)."},
		},
	}
}

// failure turns an error into what the protocol answers: Parley's codes
// map to the protocol's, with Parley's message; anything unexpected is
// an internal error whose details stay in the log.
func failure(err error, what string) error {
	var pe *a2a.Error
	if err == nil || errors.As(err, &pe) {
		return err
	}
	msg := parley.ErrorMessage(err)
	switch parley.ErrorCode(err) {
	case parley.ENOTFOUND:
		return &a2a.Error{Err: a2a.ErrTaskNotFound, Message: msg}
	case parley.EINVALID, parley.ETOOLARGE:
		return &a2a.Error{Err: a2a.ErrInvalidParams, Message: msg}
	case parley.EFORBIDDEN, parley.EUNAUTHORIZED:
		return &a2a.Error{Err: a2a.ErrUnauthorized, Message: msg}
	case parley.ECONFLICT:
		return &a2a.Error{Err: a2a.ErrUnsupportedOperation, Message: msg}
	}
	slog.Error("a2a: "+what, "err", err)
	return &a2a.Error{Err: a2a.ErrInternalError, Message: "Parley could not " + what + "; try again"}
}
