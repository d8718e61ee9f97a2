package a2a_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/a2aproject/a2a-go/v2/a2a"
	"github.com/a2aproject/a2a-go/v2/a2aclient"
	"github.com/a2aproject/a2a-go/v2/a2aclient/agentcard"

	"github.com/parleyhq/parley/internal/app/apptest"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

var ctx = context.Background()

// bearer adds a Parley API token to every request.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// client is the official a2a-go client, made from Parley's own card.
func client(t testing.TB, e *apptest.Env, token string) *a2aclient.Client {
	t.Helper()
	card, err := agentcard.NewResolver(http.DefaultClient).Resolve(ctx, e.URL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a2aclient.NewFromCard(ctx, card, a2aclient.WithJSONRPCTransport(&http.Client{Transport: bearer{token}}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func token(t testing.TB, e *apptest.Env, name string, scope parley.TokenScope) (int64, string) {
	t.Helper()
	tok, secret, err := e.App.Inbox.CreateToken(ctx, inbox.System, parley.APIToken{Name: name, Scope: scope})
	if err != nil {
		t.Fatal(err)
	}
	return tok.ID, secret
}

func say(text, id string, task a2a.TaskID) *a2a.SendMessageRequest {
	m := a2a.NewMessage(a2a.MessageRoleUser, a2a.NewTextPart(text))
	m.ID, m.TaskID = id, task
	return &a2a.SendMessageRequest{Message: m}
}

func waiting(v *a2a.Task) string { w, _ := v.Metadata["parley_waiting_for"].(string); return w }

func lastText(v *a2a.Task) string {
	if len(v.History) == 0 {
		return ""
	}
	return v.History[len(v.History)-1].Parts[0].Text()
}

// TestTaskIsAConversation: an outside agent, with its own token and the
// official client, opens a task (a conversation in the A2A inbox), a
// retry stores nothing new, the team's reply shows in the task and moves
// it to the caller's turn, a stream follows the next round, and another
// token sees none of it.
func TestTaskIsAConversation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := apptest.Start(t, dialect, nil)
		tokID, secret := token(t, e, "partner", parley.ScopeAgent)
		c := client(t, e, secret)

		res, err := c.SendMessage(ctx, say("My blender from order A1001 arrived broken.", "m-1", ""))
		if err != nil {
			t.Fatal(err)
		}
		task, ok := res.(*a2a.Task)
		if !ok || task.Status.State != a2a.TaskStateInputRequired || waiting(task) != "person" || len(task.History) != 1 ||
			task.History[0].ID != "m-1" || task.ContextID == "" {
			t.Fatalf("a new task: %#v", res)
		}
		if !strings.Contains(task.Status.Message.Parts[0].Text(), "Waiting for a person") {
			t.Fatalf("status: %q", task.Status.Message.Parts[0].Text())
		}
		// A retry of the same message: the same task, nothing new stored.
		again, err := c.SendMessage(ctx, say("My blender from order A1001 arrived broken.", "m-1", ""))
		if err != nil || again.(*a2a.Task).ID != task.ID || len(again.(*a2a.Task).History) != 1 {
			t.Fatalf("a retry: %#v %v", again, err)
		}
		stored, err := e.App.DB.A2ATask(ctx, string(task.ID))
		if err != nil || stored.TokenID != tokID {
			t.Fatalf("stored task %+v %v", stored, err)
		}
		conv, _ := e.App.DB.Conversation(ctx, stored.ConversationID)
		in, _, _ := e.App.DB.Inbox(ctx, conv.InboxID)
		if in.Name != "Outside agents (A2A)" || in.ChannelType != parley.ChannelAPI {
			t.Fatalf("the task's inbox: %+v", in)
		}

		// The team answers (an agent's reply, and a note the caller never sees).
		e.JSON("POST", fmt.Sprintf("/api/v1/conversations/%d/notes", conv.ID), map[string]any{"text": "Internal: check stock"}, 201, nil)
		e.JSON("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), map[string]any{"text": "Sorry about that! A replacement ships today."}, 201, nil)
		got, err := c.GetTask(ctx, &a2a.GetTaskRequest{ID: task.ID})
		if err != nil || waiting(got) != "you" || len(got.History) != 2 || lastText(got) != "Sorry about that! A replacement ships today." ||
			got.History[1].Role != a2a.MessageRoleAgent {
			t.Fatalf("after the reply: %#v %v", got, err)
		}

		// A stream: the caller writes again and waits; the team answers.
		events := c.SendStreamingMessage(ctx, say("Thanks! Will it come with a return label?", "m-2", task.ID))
		var seen []a2a.Event
		for ev, err := range events {
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, ev)
			if len(seen) == 1 {
				if v, ok := ev.(*a2a.Task); !ok || waiting(v) != "person" {
					t.Fatalf("the stream's first event: %#v", ev)
				}
				go func() {
					time.Sleep(50 * time.Millisecond)
					e.JSON("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv.ID), map[string]any{"text": "Yes, it is in the box."}, 201, nil)
				}()
			}
		}
		if len(seen) != 2 {
			t.Fatalf("the stream gave %d events: %#v", len(seen), seen)
		}
		up, ok := seen[1].(*a2a.TaskStatusUpdateEvent)
		if !ok || up.Status.Message == nil || up.Status.Message.Parts[0].Text() != "Yes, it is in the box." || up.Status.State != a2a.TaskStateInputRequired {
			t.Fatalf("the update: %#v", seen[1])
		}

		// Another token sees nothing of it.
		_, other := token(t, e, "someone else", parley.ScopeAgent)
		oc := client(t, e, other)
		if _, err := oc.GetTask(ctx, &a2a.GetTaskRequest{ID: task.ID}); !errors.Is(err, a2a.ErrTaskNotFound) {
			t.Fatalf("another token's GetTask: %v", err)
		}
		if _, err := oc.SendMessage(ctx, say("me too", "x-1", task.ID)); !errors.Is(err, a2a.ErrTaskNotFound) {
			t.Fatalf("another token writing to the task: %v", err)
		}
		if list, err := oc.ListTasks(ctx, &a2a.ListTasksRequest{}); err != nil || len(list.Tasks) != 0 {
			t.Fatalf("another token's list: %#v %v", list, err)
		}
		if list, err := c.ListTasks(ctx, &a2a.ListTasksRequest{Status: a2a.TaskStateInputRequired}); err != nil || len(list.Tasks) != 1 || list.Tasks[0].ID != task.ID {
			t.Fatalf("the token's list: %#v %v", list, err)
		}
		// A read token may not write.
		_, reader := token(t, e, "dashboard", parley.ScopeRead)
		if _, err := client(t, e, reader).SendMessage(ctx, say("hi", "r-1", "")); !errors.Is(err, a2a.ErrUnauthorized) {
			t.Fatalf("a read token sending: %v", err)
		}

		// The team resolves it: completed, and closed to more messages.
		resolved := parley.StatusResolved
		if _, err := e.App.Inbox.Update(ctx, inbox.System, conv.ID, inbox.Change{Status: &resolved}); err != nil {
			t.Fatal(err)
		}
		if got, _ := c.GetTask(ctx, &a2a.GetTaskRequest{ID: task.ID}); got.Status.State != a2a.TaskStateCompleted {
			t.Fatalf("after resolving: %s", got.Status.State)
		}
		if _, err := c.SendMessage(ctx, say("one more thing", "m-3", task.ID)); !errors.Is(err, a2a.ErrUnsupportedOperation) {
			t.Fatalf("writing to a completed task: %v", err)
		}
		if _, err := c.CancelTask(ctx, &a2a.CancelTaskRequest{ID: task.ID}); !errors.Is(err, a2a.ErrTaskNotCancelable) {
			t.Fatalf("cancelling a completed task: %v", err)
		}

		calls, err := e.App.DB.AgentCalls(ctx, store.AgentCallFilter{Protocol: "a2a", TokenID: &tokID})
		if err != nil || len(calls) < 8 {
			t.Fatalf("audit: %d rows, %v", len(calls), err)
		}
		methods := map[string]int{}
		for _, call := range calls {
			methods[call.Method+"/"+call.Outcome]++
		}
		if methods["SendMessage/ok"] != 2 || methods["SendStreamingMessage/ok"] != 1 || methods["SendMessage/error"] != 1 || methods["CancelTask/error"] != 1 {
			t.Fatalf("audit by method: %v", methods)
		}
	})
}

// TestCancel: a cancelled task says so, its conversation is resolved
// with a note for the team, and it takes no more messages.
func TestCancel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		e := apptest.Start(t, dialect, nil)
		_, secret := token(t, e, "partner", parley.ScopeAgent)
		c := client(t, e, secret)
		res, err := c.SendMessage(ctx, say("Where is my parcel?", "c-1", ""))
		if err != nil {
			t.Fatal(err)
		}
		task := res.(*a2a.Task)
		got, err := c.CancelTask(ctx, &a2a.CancelTaskRequest{ID: task.ID})
		if err != nil || got.Status.State != a2a.TaskStateCanceled {
			t.Fatalf("cancel: %#v %v", got, err)
		}
		stored, _ := e.App.DB.A2ATask(ctx, string(task.ID))
		conv, _ := e.App.DB.Conversation(ctx, stored.ConversationID)
		msgs, _ := e.App.DB.Messages(ctx, []int64{conv.ID})
		if conv.Status != parley.StatusResolved || msgs[len(msgs)-1].Direction != parley.Note || !strings.Contains(msgs[len(msgs)-1].Text, "cancelled") {
			t.Fatalf("the conversation after cancel: %s, last %+v", conv.Status, msgs[len(msgs)-1])
		}
		if _, err := c.SendMessage(ctx, say("never mind", "c-2", task.ID)); !errors.Is(err, a2a.ErrUnsupportedOperation) {
			t.Fatalf("writing to a cancelled task: %v", err)
		}
	})
}

// TestBadRequests: what is not A2A gets the protocol's error, never a
// 500, and changes nothing; no token is 401 before any parsing.
func TestBadRequests(t *testing.T) {
	e := apptest.Start(t, "sqlite", nil)
	_, secret := token(t, e, "partner", parley.ScopeAgent)
	post := func(body, tok string) (int, string) {
		req, _ := http.NewRequest("POST", e.URL+"/a2a", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	before, _ := e.App.DB.LastEventSeq(ctx)
	for _, tc := range []struct{ name, body, tok, want string }{
		{"no token", `{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"x"}}`, "", "401"},
		{"not JSON", `{"jsonrpc":`, secret, `"code":-32700`},
		{"unknown method", `{"jsonrpc":"2.0","id":1,"method":"Teleport","params":{}}`, secret, `"code":-32601`},
		{"params of the wrong shape", `{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":"hello"}}`, secret, `"code":-32602`},
		{"no text", `{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"b-1","role":"ROLE_USER","parts":[]}}}`, secret, `"code":-32602`},
		{"an agent's role", `{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"b-2","role":"ROLE_AGENT","parts":[{"text":"hi"}]}}}`, secret, `"code":-32602`},
		{"a text over the limit", `{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"b-3","role":"ROLE_USER","parts":[{"text":"` + strings.Repeat("x", parley.MaxTextLength+1) + `"}]}}}`, secret, `"code":-32602`},
		{"a body over the limit", `{"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"b-4","role":"ROLE_USER","parts":[{"text":"` + strings.Repeat("x", 2<<20) + `"}]}}}`, secret, "413"},
		{"unknown task", `{"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":"nope"}}`, secret, `"code":-32001`},
	} {
		status, body := post(tc.body, tc.tok)
		if tc.want == "401" || tc.want == "413" {
			if fmt.Sprint(status) != tc.want {
				t.Errorf("%s: %d %s", tc.name, status, body)
			}
			continue
		}
		if status >= 500 || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s, want %s", tc.name, status, body, tc.want)
		}
	}
	if after, _ := e.App.DB.LastEventSeq(ctx); after != before {
		t.Errorf("bad requests wrote %d events", after-before)
	}
}
