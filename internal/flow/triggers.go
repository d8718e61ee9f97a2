package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parleyhq/parley/internal/live"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/work"
)

// ConsumerName is the event-log cursor of the trigger consumer.
const ConsumerName = "flow.triggers"

// Triggers returns the consumer that starts runs from the event log: for
// each event, each enabled workflow whose trigger names its kind and
// whose condition holds gets a run keyed by the event's seq and the
// workflow, inserted in the transaction that moves the cursor past the
// event. So a trigger starts a run exactly once, across crashes and
// nodes (the consumer runs under a lease; the key is unique besides).
// It starts at the end of the log the first time: workflows act on what
// happens from then on, not on years of history.
func (e *Engine) Triggers() *work.Consumer {
	return &work.Consumer{Name: ConsumerName, DB: e.DB, Handle: e.handleEvents, StartAtEnd: true, Every: 5 * time.Second}
}

// RunTriggers runs the trigger consumer, woken by the hub as soon as an
// event that can trigger commits on any node (start latency is the hub's
// wake-up, milliseconds, not the consumer's 5-second look).
func (e *Engine) RunTriggers(ctx context.Context, hub *live.Hub) error {
	c := e.Triggers()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		filter := func(ev *parley.Event) bool { return slices.Contains(TriggerEvents, ev.Type) }
		for wctx.Err() == nil {
			sub, _ := hub.Subscribe(filter)
			for closed := false; !closed; {
				select {
				case <-wctx.Done():
					hub.Unsubscribe(sub)
					return
				case <-sub.Wait():
				}
				_, closed = sub.Take()
				c.Wake()
				// Wakes come with every commit; one drain a few
				// milliseconds later covers all of them, instead of a
				// cursor write per commit competing with ingest.
				select {
				case <-wctx.Done():
				case <-time.After(wakeGap):
				}
			}
			hub.Unsubscribe(sub)
			select {
			case <-wctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return c.Run(ctx)
}

// wakeGap is the least time between two wakes of the trigger consumer.
const wakeGap = 10 * time.Millisecond

type trigger struct {
	w store.Workflow
	d *Definition
}

// triggered returns the enabled workflows whose trigger is on, with their
// current documents.
func (e *Engine) triggered(ctx context.Context, match func(*Definition) bool) ([]trigger, error) {
	list, err := e.DB.Workflows(ctx)
	if err != nil {
		return nil, err
	}
	var out []trigger
	for _, w := range list {
		if !w.Enabled {
			continue
		}
		d, err := e.definition(ctx, w.ID, w.Version)
		if err != nil {
			return nil, err
		}
		if match(d) {
			out = append(out, trigger{w, d})
		}
	}
	return out, nil
}

type pendingStart struct {
	t     trigger
	key   string
	input map[string]any
	conv  *int64
}

func (e *Engine) handleEvents(ctx context.Context, events []parley.Event) (work.Commit, error) {
	wake, err := e.repliedTo(ctx, events)
	if err != nil {
		return nil, err
	}
	starts, err := e.startsFor(ctx, events)
	if err != nil || len(starts)+len(wake) == 0 {
		return nil, err
	}
	return func(tx *store.Tx) error {
		for _, s := range starts {
			if _, _, err := e.start(tx, s.t.w, s.t.d, s.key, s.input, s.conv); err != nil {
				return err
			}
		}
		for _, id := range wake {
			if err := e.enqueue(tx, id); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// repliedTo returns the runs waiting for a reply on the conversations the
// customer just wrote on: their wait step looks again now.
func (e *Engine) repliedTo(ctx context.Context, events []parley.Event) ([]int64, error) {
	seen := map[int64]bool{}
	var convs []int64
	for i := range events {
		ev := &events[i]
		if ev.Type == parley.EventMessageCreated && ev.ConversationID != nil && !seen[*ev.ConversationID] && customers(ev) {
			seen[*ev.ConversationID] = true
			convs = append(convs, *ev.ConversationID)
		}
	}
	runs, err := e.DB.RunningFlowRunsOn(ctx, convs) // one query for the batch
	if err != nil {
		return nil, err
	}
	var wake []int64
	for _, run := range runs {
		d, err := e.definition(ctx, run.WorkflowID, run.Version)
		if err != nil {
			return nil, err
		}
		if s := d.Step(run.Step); s != nil && s.Kind == "wait" && s.Until == "reply" {
			wake = append(wake, run.ID)
		}
	}
	return wake, nil
}

// startsFor returns the runs the events start.
func (e *Engine) startsFor(ctx context.Context, events []parley.Event) ([]pendingStart, error) {
	ts, err := e.triggered(ctx, func(d *Definition) bool { return slices.Contains(TriggerEvents, d.Trigger.Event) })
	if err != nil || len(ts) == 0 {
		return nil, err
	}
	// The texts of the batch's customer messages, in one query.
	var ids []int64
	for i := range events {
		if ev := &events[i]; ev.Type == parley.EventMessageCreated && ev.MessageID != nil && customers(ev) {
			ids = append(ids, *ev.MessageID)
		}
	}
	texts, err := e.DB.MessageTexts(ctx, ids)
	if err != nil {
		return nil, err
	}
	var starts []pendingStart
	for i := range events {
		ev := &events[i]
		var input map[string]any
		for _, t := range ts {
			if t.d.Trigger.Event != ev.Type {
				continue
			}
			if input == nil {
				if input = eventInput(ev, texts); input == nil {
					break // not an event that starts anything (Parley's own message)
				}
			}
			if ok, err := t.d.matches(input); err != nil {
				return nil, err
			} else if ok {
				starts = append(starts, pendingStart{t: t, key: fmt.Sprintf("event/%d/%d", ev.Seq, t.w.ID), input: input, conv: ev.ConversationID})
			}
		}
	}
	return starts, nil
}

// matches reports whether the trigger's condition holds for input (no
// condition: always). A condition that fails to run does not match: a
// workflow is not started on an error.
func (d *Definition) matches(input map[string]any) (bool, error) {
	if d.when == nil {
		return true, nil
	}
	ok, err := evalBool(d.when, map[string]any{"input": input, "steps": map[string]any{}, "vars": map[string]any{}})
	if err != nil {
		return false, nil
	}
	return ok, nil
}

// customers reports whether ev (a message.created) is a customer's own
// message: only those start workflows (a workflow's note or an agent's
// reply must never start one, or workflows could loop).
func customers(ev *parley.Event) bool {
	var d struct {
		Direction string `json:"direction"`
	}
	return json.Unmarshal(ev.Data, &d) == nil && d.Direction == string(parley.Incoming)
}

// eventInput is what a run started by ev sees as input: the event, and
// for a customer's message its text (from texts). It returns nil for a
// message that starts nothing.
func eventInput(ev *parley.Event, texts map[int64]store.MessageText) map[string]any {
	var data map[string]any
	if len(ev.Data) > 0 {
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			data = map[string]any{}
		}
	}
	input := map[string]any{"event": map[string]any{"type": ev.Type, "seq": ev.Seq, "data": data}}
	if ev.ConversationID != nil {
		input["conversation_id"] = *ev.ConversationID
	}
	if ev.ContactID != nil {
		input["contact_id"] = *ev.ContactID
	}
	if ev.Type == parley.EventMessageCreated {
		if ev.MessageID == nil || !customers(ev) {
			return nil
		}
		m, ok := texts[*ev.MessageID]
		if !ok {
			return nil
		}
		input["message"] = map[string]any{"id": *ev.MessageID, "text": m.Text, "lower": strings.ToLower(m.Text), "attachments": m.Attachments}
	}
	return input
}

// Inbound starts the runs an event from the business's own systems calls
// for: every enabled workflow whose trigger is inbound:<name>. key names
// the event (the sender's own id for it): the same key again starts
// nothing, so a sender's retries are safe. It returns the runs, started
// now or before.
func (e *Engine) Inbound(ctx context.Context, name, key string, data map[string]any, conversationID *int64) ([]store.FlowRun, error) {
	if !idPattern.MatchString(strings.ReplaceAll(name, ".", "_")) {
		return nil, parley.Errorf(parley.EINVALID, "an event name is lower-case words with dots, such as order.delivered")
	}
	if key == "" || len(key) > 150 {
		return nil, parley.Errorf(parley.EINVALID, "an event needs a key of 1 to 150 characters (your id for it), so a retry starts nothing twice")
	}
	ts, err := e.triggered(ctx, func(d *Definition) bool { return d.Trigger.Event == "inbound:"+name })
	if err != nil {
		return nil, err
	}
	input := map[string]any{"event": map[string]any{"type": "inbound:" + name, "key": key, "data": data}}
	if conversationID != nil {
		input["conversation_id"] = *conversationID
	}
	var runs []store.FlowRun
	for _, t := range ts {
		ok, err := t.d.matches(input)
		if err != nil || !ok {
			continue
		}
		run, _, err := e.Start(ctx, t.w.ID, fmt.Sprintf("inbound/%s/%s/%d", name, key, t.w.ID), input, conversationID)
		if err != nil {
			return runs, err
		}
		runs = append(runs, run)
	}
	return runs, nil
}
