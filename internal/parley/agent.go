package parley

import (
	"net/mail"
	"strings"
	"time"
)

// Role is what an agent may do. Owners and admins manage the workspace;
// agents work conversations.
type Role string

const (
	RoleOwner Role = "owner"
	RoleAdmin Role = "admin"
	RoleAgent Role = "agent"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleOwner || r == RoleAdmin || r == RoleAgent }

// IsAdmin reports whether r may manage the workspace.
func (r Role) IsAdmin() bool { return r == RoleOwner || r == RoleAdmin }

// Agent is a person on the business's side who works conversations.
type Agent struct {
	ID     int64  `json:"id"`
	Email  string `json:"email"` // lower-cased; unique
	Name   string `json:"name"`
	Role   Role   `json:"role"`
	Active bool   `json:"active"` // deactivated agents cannot sign in or be assigned
	// MustChangePassword is set for generated passwords (the first owner's
	// one-time password) until the agent picks their own.
	MustChangePassword bool `json:"must_change_password"`
	// Availability is set by the agent (and to away after a while with no
	// inbox open); Capacity bounds their open conversations.
	Availability   Availability `json:"availability"`
	Capacity       int          `json:"capacity"`
	LastAssignedAt *time.Time   `json:"last_assigned_at,omitempty"`
	CreatedAt      time.Time    `json:"created_at"`
}

// Validate normalises and checks an agent before it is stored.
func (a *Agent) Validate() error {
	a.Email = strings.ToLower(strings.TrimSpace(a.Email))
	a.Name = CleanLine(a.Name)
	if _, err := mail.ParseAddress(a.Email); err != nil || a.Email == "" {
		return Errorf(EINVALID, "agent email %q is not a valid address", a.Email)
	}
	if a.Name == "" {
		return Errorf(EINVALID, "agent name is required")
	}
	if !a.Role.Valid() {
		return Errorf(EINVALID, "role %q is not one of owner, admin, agent", a.Role)
	}
	if a.Availability == "" {
		a.Availability = Offline
	}
	if !a.Availability.Valid() {
		return Errorf(EINVALID, "availability %q is not one of online, away, offline", a.Availability)
	}
	if a.Capacity == 0 {
		a.Capacity = DefaultCapacity
	}
	if a.Capacity < 1 || a.Capacity > 500 {
		return Errorf(EINVALID, "capacity must be between 1 and 500 open conversations")
	}
	return nil
}

// Team is a group of agents that conversations can be routed to.
type Team struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Validate checks a team before it is stored.
func (t *Team) Validate() error {
	t.Name = CleanLine(t.Name)
	if t.Name == "" {
		return Errorf(EINVALID, "team name is required")
	}
	return nil
}
