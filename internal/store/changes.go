package store

import (
	"strings"

	"github.com/parleyhq/parley/internal/parley"
)

// changed appends a config.changed event in tx: the rows it names are
// cached by processes (API tokens, agents, inboxes, SLA policies,
// settings), and every process drops its copy when it reads the event
// (docs/ARCHITECTURE.md, "Nothing per node"). The store appends it in
// each write of such a row, so no caller can forget to.
func (tx *Tx) changed(c parley.Change) error {
	return tx.AppendEvent(&parley.Event{Type: parley.EventConfigChanged}, c)
}

// announced reports whether a change to settings row key is one that
// processes must hear of. Rows named cursor.* are positions that
// background scans keep, not configuration, and change all the time.
func announced(key string) bool { return !strings.HasPrefix(key, "cursor.") }
