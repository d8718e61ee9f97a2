package live

import (
	"context"
	"encoding/json"

	"github.com/parleyhq/parley/internal/parley"
)

// ChangeWatcher hands config.changed events (parley.Change) to the cache
// owners of this process, whichever process made the change: a token
// revoked on node A is dropped from node B's cache as soon as B's hub
// reads the event, within the live-update latency (LISTEN/NOTIFY wakes
// the hub on PostgreSQL).
type ChangeWatcher struct {
	hub *Hub
	sub *Sub
	fns []func(parley.Change)
}

// WatchChanges subscribes now, so no change committed after it returns
// is missed (caches are filled only after this, when Parley serves);
// call Run to deliver.
func (h *Hub) WatchChanges(fns ...func(parley.Change)) *ChangeWatcher {
	w := &ChangeWatcher{hub: h, fns: fns}
	w.sub, _ = h.Subscribe(isChange)
	return w
}

func isChange(e *parley.Event) bool { return e.Type == parley.EventConfigChanged }

// Run delivers changes until ctx ends. A watcher that fell too far
// behind (the hub dropped it) subscribes again and tells every owner to
// drop everything, since it cannot know what it missed.
func (w *ChangeWatcher) Run(ctx context.Context) {
	defer func() { w.hub.Unsubscribe(w.sub) }()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.sub.Wait():
		}
		frames, closed := w.sub.Take()
		for _, f := range frames {
			var c parley.Change
			if json.Unmarshal(f.Event.Data, &c) != nil || c.What == "" {
				c = parley.Change{What: parley.ChangeEverything}
			}
			w.tell(c)
		}
		if closed {
			if ctx.Err() != nil {
				return
			}
			w.hub.Unsubscribe(w.sub)
			w.sub, _ = w.hub.Subscribe(isChange)
			w.tell(parley.Change{What: parley.ChangeEverything})
		}
	}
}

func (w *ChangeWatcher) tell(c parley.Change) {
	for _, f := range w.fns {
		f(c)
	}
}
