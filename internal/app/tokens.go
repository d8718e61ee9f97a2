package app

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
)

// The token commands act as the system (an owner): whoever can run them
// can read the database and the secret key anyway.

func (a *App) createToken(ctx context.Context, stdout io.Writer, name, agentEmail, scope, expires string) error {
	t := parley.APIToken{Name: name, Scope: parley.TokenScope(scope)}
	life, err := parley.ParseTokenLifetime(expires)
	if err != nil {
		return err
	}
	if life > 0 {
		at := a.DB.Now().Add(life)
		t.ExpiresAt = &at
	}
	if agentEmail != "" {
		ag, _, err := a.DB.AgentByEmail(ctx, agentEmail)
		if err != nil {
			return err
		}
		t.AgentID = &ag.ID
	}
	t, secret, err := a.Inbox.CreateToken(ctx, inbox.System, t)
	if err != nil {
		return err
	}
	until := "never expires"
	if t.ExpiresAt != nil {
		until = "expires " + t.ExpiresAt.Format(time.RFC3339)
	}
	fmt.Fprintf(stdout, "token %d (%s, scope %s, %s) created. Copy it now; it is not shown again:\n%s\n", t.ID, t.Name, t.Scope, until, secret)
	return nil
}

func (a *App) listTokens(ctx context.Context, stdout io.Writer) error {
	list, err := a.DB.APITokens(ctx)
	if err != nil {
		return err
	}
	agents, err := a.DB.Agents(ctx)
	if err != nil {
		return err
	}
	emails := map[int64]string{}
	for _, ag := range agents {
		emails[ag.ID] = ag.Email
	}
	now := a.DB.Now()
	when := func(t *time.Time, none string) string {
		if t == nil {
			return none
		}
		return t.UTC().Format(time.RFC3339)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tACTS AS\tSTATUS\tEXPIRES\tLAST USED")
	for _, t := range list {
		as := "admin"
		if t.AgentID != nil {
			as = emails[*t.AgentID]
		}
		name := strconv.Quote(t.Name) // older names may hold tabs or newlines
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, name[1:len(name)-1],
			t.Scope, as, t.Status(now), when(t.ExpiresAt, "never"), when(t.LastUsedAt, "never"))
	}
	return tw.Flush()
}

func (a *App) revokeToken(ctx context.Context, stdout io.Writer, id string) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return parley.Errorf(parley.EINVALID, "token id %q is not a positive integer (see parley token list)", id)
	}
	t, err := a.Inbox.RevokeToken(ctx, inbox.System, n)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "token %d (%s) revoked at %s; running servers refuse it within 10 seconds.\n",
		t.ID, t.Name, t.RevokedAt.Format(time.RFC3339))
	return nil
}
