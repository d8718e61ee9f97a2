package parley

// A config.changed event (EventConfigChanged, in the catalogue) says what
// cached row changed, so every process that tails the event log drops its
// copy within the live-update latency instead of trusting it for a TTL.

// What changed, in a Change.
const (
	ChangeAPIToken   = "api_token"  // ID: the token
	ChangeAgent      = "agent"      // ID: the agent (role, active, password)
	ChangeInbox      = "inbox"      // ID: the inbox (settings, secrets)
	ChangeSLAPolicy  = "sla_policy" // ID: the policy
	ChangeSetting    = "setting"    // Key: the settings row
	ChangeEverything = "*"          // a cache owner that may have missed changes drops everything
)

// Change is the data of a config.changed event.
type Change struct {
	What string `json:"what"`
	ID   int64  `json:"id,omitempty"`
	Key  string `json:"key,omitempty"`
}
