// Package agents is Parley as an A2A client: the outside agents an admin
// registered by their card's URL (a payment agent, a carrier's agent),
// and asking one of them something. Workflows' agent steps and the
// agent's "ask an agent" both ask through here. Every call goes through
// Parley's outbound guard and into the agent-call audit; what an agent
// answers is untrusted text wherever a person or a model sees it.
package agents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/a2aproject/a2a-go/v2/a2a"
	"github.com/a2aproject/a2a-go/v2/a2aclient"
	"github.com/a2aproject/a2a-go/v2/a2aclient/agentcard"

	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// Service registers remote agents and asks them.
type Service struct {
	DB *store.DB
	// HTTP is a client through the outbound guard: a card or an agent on
	// a private address is refused unless an admin allowed its host.
	HTTP *http.Client
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Register fetches the card at cardURL (an agent's base URL, or the
// card's own URL), checks it and stores the agent under name. token, if
// set, is sent as a bearer token to the agent (sealed at rest).
func (s *Service) Register(ctx context.Context, name, cardURL, token string) (store.RemoteAgent, error) {
	if !namePattern.MatchString(name) {
		return store.RemoteAgent{}, parley.Errorf(parley.EINVALID, "an agent's name is lower-case letters, digits and _, starting with a letter (it is how workflows name it)")
	}
	if len(token) > 4096 || strings.ContainsAny(token, "\r\n") {
		return store.RemoteAgent{}, parley.Errorf(parley.EINVALID, "a token is one line of at most 4096 characters")
	}
	_, raw, err := s.fetchCard(ctx, cardURL, token)
	if err != nil {
		return store.RemoteAgent{}, err
	}
	a := store.RemoteAgent{Name: name, CardURL: cardURL, Card: string(raw), Secret: token}
	err = s.DB.Write(ctx, func(tx *store.Tx) error { return tx.SaveRemoteAgent(&a) })
	return a, err
}

// Refresh fetches an agent's card again (its skills or address changed).
func (s *Service) Refresh(ctx context.Context, id int64) (store.RemoteAgent, error) {
	a, err := s.DB.RemoteAgent(ctx, id)
	if err != nil {
		return a, err
	}
	_, raw, err := s.fetchCard(ctx, a.CardURL, a.Secret)
	if err != nil {
		return a, err
	}
	a.Card = string(raw)
	return a, s.DB.Write(ctx, func(tx *store.Tx) error { return tx.SaveRemoteAgent(&a) })
}

// Delete removes an agent; workflows that name it then fail that step.
func (s *Service) Delete(ctx context.Context, id int64) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error { return tx.DeleteRemoteAgent(id) })
}

// fetchCard reads and checks a card: it must offer JSON-RPC on A2A 1.0.
func (s *Service) fetchCard(ctx context.Context, cardURL, token string) (*a2a.AgentCard, []byte, error) {
	u, err := url.Parse(cardURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, nil, parley.Errorf(parley.EINVALID, "the card URL must be an http(s) URL, such as https://agent.example/ or https://agent.example/.well-known/agent-card.json")
	}
	base, opts := cardURL, []agentcard.ResolveOption{}
	if strings.HasSuffix(u.Path, ".json") {
		path := u.Path
		u.Path, u.RawQuery = "", ""
		base = u.String()
		opts = append(opts, agentcard.WithPath(path))
	}
	if token != "" {
		opts = append(opts, agentcard.WithRequestHeader("Authorization", "Bearer "+token))
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	card, err := agentcard.NewResolver(s.HTTP).Resolve(ctx, base, opts...)
	if err != nil {
		return nil, nil, parley.Errorf(parley.EINVALID, "could not read an agent card at %s: %s", cardURL, clip(err.Error()))
	}
	if strings.TrimSpace(card.Name) == "" {
		return nil, nil, parley.Errorf(parley.EINVALID, "the card at %s has no name", cardURL)
	}
	if _, err := jsonrpcInterface(card); err != nil {
		return nil, nil, err
	}
	raw, err := json.Marshal(card)
	return card, raw, err
}

// jsonrpcInterface is the card's JSON-RPC interface on A2A 1.0, the one
// Parley speaks.
func jsonrpcInterface(card *a2a.AgentCard) (*a2a.AgentInterface, error) {
	for _, in := range card.SupportedInterfaces {
		if in != nil && in.ProtocolBinding == a2a.TransportProtocolJSONRPC && strings.HasPrefix(string(in.ProtocolVersion), "1.") {
			if u, err := url.Parse(in.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
				return in, nil
			}
		}
	}
	return nil, parley.Errorf(parley.EINVALID, "the agent %q offers no JSON-RPC interface on A2A 1.0 with an http(s) URL, which is what Parley speaks", card.Name)
}

// Card is a stored agent's card.
func Card(a store.RemoteAgent) (*a2a.AgentCard, error) {
	var c a2a.AgentCard
	if err := json.Unmarshal([]byte(a.Card), &c); err != nil {
		return nil, fmt.Errorf("agents: the stored card of %s: %w", a.Name, err)
	}
	return &c, nil
}

// FirstURL is the first interface URL a card lists, to show
// where the agent lives ("" when it lists none).
func FirstURL(c *a2a.AgentCard) string {
	for _, in := range c.SupportedInterfaces {
		if in != nil && in.URL != "" {
			return in.URL
		}
	}
	return ""
}

// Question is what Parley asks an agent: text and, optionally, data (an
// order id), under a message id the caller keeps, so that asking again
// after a crash is the same message (an agent that dedupes answers with
// the same task).
type Question struct {
	MessageID string
	Text      string
	Data      map[string]any
	// TaskID continues a task the agent left waiting for input.
	TaskID string
}

// Answer is what an agent said: its task's id and state, its text (from
// the artifacts, or the status message, or a message reply) and the
// fields of its data parts, merged.
type Answer struct {
	TaskID string         `json:"task_id,omitempty"`
	State  string         `json:"state"`
	Text   string         `json:"text"`
	Data   map[string]any `json:"data,omitempty"`
}

// Done says whether the answer is final: a message, or a task that
// ended or waits for input (which a step takes as its answer).
func (a Answer) Done() bool {
	switch a2a.TaskState(a.State) {
	case a2a.TaskStateSubmitted, a2a.TaskStateWorking:
		return false
	}
	return true
}

// Failed says whether the agent could not do it (failed, rejected,
// cancelled, or asking for authentication Parley cannot give).
func (a Answer) Failed() bool {
	switch a2a.TaskState(a.State) {
	case a2a.TaskStateFailed, a2a.TaskStateRejected, a2a.TaskStateCanceled, a2a.TaskStateAuthRequired:
		return true
	}
	return false
}

// Ask sends q to the agent named name and returns its answer as it
// stands when the call returns (an agent may still be working: Check).
func (s *Service) Ask(ctx context.Context, name string, q Question) (ans Answer, err error) {
	a, client, err := s.client(ctx, name)
	if err != nil {
		return ans, err
	}
	defer func(began time.Time) { s.audit(ctx, a.Name, "SendMessage", ans.TaskID, err, began) }(time.Now())
	parts := a2a.ContentParts{a2a.NewTextPart(q.Text)}
	if len(q.Data) > 0 {
		parts = append(parts, a2a.NewDataPart(q.Data))
	}
	m := a2a.NewMessage(a2a.MessageRoleUser, parts...)
	m.ID, m.TaskID = q.MessageID, a2a.TaskID(q.TaskID)
	res, err := client.SendMessage(ctx, &a2a.SendMessageRequest{Message: m})
	if err != nil {
		return ans, unavailable(a.Name, err)
	}
	return answerOf(res)
}

// Check reads an agent's task again.
func (s *Service) Check(ctx context.Context, name, taskID string) (ans Answer, err error) {
	a, client, err := s.client(ctx, name)
	if err != nil {
		return ans, err
	}
	defer func(began time.Time) { s.audit(ctx, a.Name, "GetTask", taskID, err, began) }(time.Now())
	t, err := client.GetTask(ctx, &a2a.GetTaskRequest{ID: a2a.TaskID(taskID)})
	if err != nil {
		return ans, unavailable(a.Name, err)
	}
	return answerOf(t)
}

func (s *Service) client(ctx context.Context, name string) (store.RemoteAgent, *a2aclient.Client, error) {
	a, err := s.DB.RemoteAgentByName(ctx, name)
	if parley.ErrorCode(err) == parley.ENOTFOUND {
		return a, nil, parley.Errorf(parley.ENOTFOUND, "there is no remote agent named %q (Settings → Agents)", name)
	}
	if err != nil {
		return a, nil, err
	}
	card, err := Card(a)
	if err != nil {
		return a, nil, err
	}
	in, err := jsonrpcInterface(card)
	if err != nil {
		return a, nil, err
	}
	hc := s.HTTP
	if a.Secret != "" {
		hc = &http.Client{Transport: bearer{token: a.Secret, next: transportOf(s.HTTP)}, Timeout: s.HTTP.Timeout,
			CheckRedirect: s.HTTP.CheckRedirect}
	}
	c, err := a2aclient.NewFromEndpoints(ctx, []*a2a.AgentInterface{in}, a2aclient.WithJSONRPCTransport(hc))
	return a, c, err
}

func transportOf(c *http.Client) http.RoundTripper {
	if c.Transport != nil {
		return c.Transport
	}
	return http.DefaultTransport
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// ErrUnavailable marks an agent that could not be reached or answered
// with an error: a step retries it with backoff.
var ErrUnavailable = errors.New("agents: the agent is unavailable")

type unavailableError struct {
	agent string
	err   error
}

func (e *unavailableError) Error() string {
	return fmt.Sprintf("the agent %s: %s", e.agent, clip(e.err.Error()))
}
func (e *unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.err} }

// unavailable wraps a call's error; a refusal the protocol names (an
// unknown task, bad parameters) is the agent's answer, not an outage.
func unavailable(agent string, err error) error {
	for _, final := range []error{a2a.ErrTaskNotFound, a2a.ErrInvalidParams, a2a.ErrInvalidRequest, a2a.ErrMethodNotFound,
		a2a.ErrUnsupportedOperation, a2a.ErrUnauthenticated, a2a.ErrUnauthorized, a2a.ErrUnsupportedContentType} {
		if errors.Is(err, final) {
			return parley.Errorf(parley.EINVALID, "the agent %s refused: %s", agent, clip(err.Error()))
		}
	}
	return &unavailableError{agent: agent, err: err}
}

// answerOf reads a SendMessage or GetTask result. Anything else (no
// task, no message) is nonsense, and said so.
func answerOf(res a2a.SendMessageResult) (Answer, error) {
	var ans Answer
	switch r := res.(type) {
	case *a2a.Message:
		if r == nil {
			break
		}
		ans.State = string(a2a.TaskStateCompleted)
		ans.Text, ans.Data = partsOf(r.Parts, ans.Data)
		return ans, nil
	case *a2a.Task:
		if r == nil || r.ID == "" || r.Status.State == "" {
			break
		}
		ans.TaskID, ans.State = string(r.ID), string(r.Status.State)
		var texts []string
		for _, art := range r.Artifacts {
			if art == nil {
				continue
			}
			var t string
			t, ans.Data = partsOf(art.Parts, ans.Data)
			if t != "" {
				texts = append(texts, t)
			}
		}
		if r.Status.Message != nil {
			var t string
			t, ans.Data = partsOf(r.Status.Message.Parts, ans.Data)
			if t != "" && (len(texts) == 0 || ans.Failed()) {
				texts = append(texts, t)
			}
		}
		ans.Text = strings.Join(texts, "\n")
		return ans, nil
	}
	return ans, parley.Errorf(parley.EINVALID, "the agent answered neither a task nor a message")
}

// partsOf collects text parts (joined) and data parts (merged into data).
func partsOf(parts a2a.ContentParts, data map[string]any) (string, map[string]any) {
	var texts []string
	for _, p := range parts {
		if p == nil {
			continue
		}
		switch c := p.Content.(type) {
		case a2a.Text:
			if t := strings.TrimSpace(string(c)); t != "" {
				texts = append(texts, t)
			}
		case a2a.Data:
			if m, ok := c.Value.(map[string]any); ok {
				if data == nil {
					data = map[string]any{}
				}
				for k, v := range m {
					data[k] = v
				}
			}
		}
	}
	return clipLong(strings.Join(texts, "\n")), data
}

// audit records an outgoing call.
func (s *Service) audit(ctx context.Context, remote, method, subject string, err error, began time.Time) {
	c := store.AgentCall{Direction: "out", Protocol: "a2a", Method: method, Remote: remote, Subject: subject, Outcome: "ok",
		DurationUS: time.Since(began).Microseconds()}
	if err != nil {
		c.Outcome, c.Error = "error", err.Error()
	}
	_ = s.DB.RecordAgentCall(context.WithoutCancel(ctx), c)
}

func clip(s string) string {
	if r := []rune(s); len(r) > 300 {
		return string(r[:300]) + "…"
	}
	return s
}

// clipLong bounds an agent's text: an answer is read by a person, and
// kept with the run.
func clipLong(s string) string {
	if r := []rune(s); len(r) > 8000 {
		return string(r[:8000]) + "…"
	}
	return s
}
