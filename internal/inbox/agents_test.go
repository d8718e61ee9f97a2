package inbox_test

import (
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/auth"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store/storetest"
)

func TestSessionLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		f := setup(t, dialect)
		owner, _, err := f.svc.CreateAgent(bg, inbox.System, parley.Agent{Email: "o@example.com", Name: "O", Role: parley.RoleOwner}, "owner password")
		if err != nil {
			t.Fatal(err)
		}
		a, _, err := f.svc.CreateAgent(bg, inbox.System, parley.Agent{Email: "a@example.com", Name: "A", Role: parley.RoleAgent}, "agent password")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SignIn(bg, "a@example.com", "wrong password", ""); parley.ErrorCode(err) != parley.EUNAUTHORIZED {
			t.Errorf("wrong password: %v", err)
		}
		if _, err := f.svc.SignIn(bg, "nobody@example.com", "agent password", ""); parley.ErrorCode(err) != parley.EUNAUTHORIZED {
			t.Errorf("unknown email: %v", err)
		}
		in, err := f.svc.SignIn(bg, " A@Example.com ", "agent password", "test")
		if err != nil || in.Agent.ID != a.ID || in.Secret == "" {
			t.Fatalf("sign in: %+v %v", in, err)
		}
		// Sliding renewal: used within the TTL, the session keeps living.
		for i := 0; i < 3; i++ {
			f.clock.Add(auth.SessionTTL - time.Hour)
			if _, _, err := f.svc.Authenticate(bg, in.Secret); err != nil {
				t.Fatalf("renewal %d: %v", i, err)
			}
		}
		f.clock.Add(auth.SessionTTL + time.Minute)
		if _, _, err := f.svc.Authenticate(bg, in.Secret); parley.ErrorCode(err) != parley.EUNAUTHORIZED {
			t.Errorf("expired session: %v", err)
		}
		in, _ = f.svc.SignIn(bg, "a@example.com", "agent password", "")
		actor := inbox.Actor{AgentID: &a.ID, Role: a.Role}
		if err := f.svc.ChangePassword(bg, actor, in.Session.ID, "agent password", "a better password"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Authenticate(bg, in.Secret); err != nil {
			t.Errorf("the session that changed the password ended: %v", err)
		}
		ownerActor := inbox.Actor{AgentID: &owner.ID, Role: parley.RoleOwner}
		if err := f.svc.SetAgentActive(bg, inbox.Actor{AgentID: &a.ID, Role: parley.RoleAgent}, owner.ID, false); parley.ErrorCode(err) != parley.EFORBIDDEN {
			t.Errorf("agent deactivating: %v", err)
		}
		if err := f.svc.SetAgentActive(bg, ownerActor, a.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.Authenticate(bg, in.Secret); parley.ErrorCode(err) != parley.EUNAUTHORIZED {
			t.Errorf("deactivated agent's session: %v", err)
		}
		if _, err := f.svc.SignIn(bg, "a@example.com", "a better password", ""); parley.ErrorCode(err) != parley.EUNAUTHORIZED {
			t.Errorf("deactivated sign-in: %v", err)
		}
		if err := f.svc.SetAgentRole(bg, ownerActor, owner.ID, parley.RoleAdmin); parley.ErrorCode(err) != parley.ECONFLICT {
			t.Errorf("demoting the last owner: %v", err)
		}
		if err := f.svc.SignOut(bg, in.Secret); err != nil {
			t.Error(err)
		}
	})
}
