package flow

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/parleyhq/parley/internal/approval"
	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
	"github.com/parleyhq/parley/internal/store/storetest"
)

// TestTemplatesParse: every built-in workflow is a valid document.
func TestTemplatesParse(t *testing.T) {
	entries, err := templateFiles.ReadDir("templates")
	if err != nil || len(entries) != 4 {
		t.Fatalf("templates: %d, %v", len(entries), err)
	}
	for _, e := range entries {
		b, _ := templateFiles.ReadFile("templates/" + e.Name())
		if _, err := Parse(string(b)); err != nil {
			t.Errorf("%s: %v", e.Name(), err)
		}
	}
	if n := len(Templates()); n != 4 {
		t.Fatalf("Templates() gives %d", n)
	}
}

// TestTemplates: each built-in workflow, pointed at the simulated shop,
// answers the customer message it is for: the damaged item (one label,
// one warehouse notice, one reply with the label), the missing refund
// (no policy holds it here: one refund and two replies), where is my
// order (a reply with the parcel's place and day).
func TestTemplates(t *testing.T) {
	cases := []struct{ template, text, want string }{
		{"Damaged item", "Hello, my blender from order A1001 arrived broken, the jug is cracked.", "https://labels.shop.example/R"},
		{"Missing refund", "Where is my refund for A1003? It's been two weeks.", "Your refund F"},
		{"Where is my order", "Hi, where is my order A1003?", "regional sorting centre and should reach you tomorrow"},
	}
	storetest.Each(t, func(t *testing.T, dialect string) {
		for i, tc := range cases {
			r := newRig(t, dialect)
			ctx := context.Background()
			r.engine.RegisterApprovals(approval.New(r.db, r.engine.Inbox))
			var src string
			for _, tm := range Templates() {
				if tm.Name == tc.template {
					src = strings.Replace(tm.Source, "http://127.0.0.1:8090", r.url, 1)
				}
			}
			if _, err := r.engine.Save(ctx, src); err != nil {
				t.Fatal(err)
			}
			c := r.engine.Triggers()
			if err := c.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			svc := r.engine.Inbox
			in, err := svc.CreateInbox(ctx, inbox.System, parley.Inbox{Name: "Shop", ChannelType: parley.ChannelAPI}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := svc.Receive(ctx, in.ID, inbox.Incoming{Contact: store.ContactKey{Kind: parley.IdentityExternal, ExternalID: fmt.Sprint("c", i)}, Text: tc.text})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			runs, _ := r.db.FlowRuns(ctx, store.FlowRunFilter{ConversationID: got.ConversationID})
			if len(runs) != 1 {
				t.Fatalf("%s: %d runs", tc.template, len(runs))
			}
			r.run(t)
			if run := waitRun(t, r.db, runs[0].ID); run.Status != "succeeded" {
				t.Fatalf("%s: run %+v", tc.template, run)
			}
			msgs, _ := r.db.Messages(ctx, []int64{got.ConversationID})
			last := msgs[len(msgs)-1]
			if last.Direction != parley.Outgoing || !strings.Contains(last.Text, tc.want) {
				t.Fatalf("%s: the reply %q", tc.template, last.Text)
			}
			counts := r.shop.Counts()
			if tc.template == "Damaged item" && (counts.Labels != 1 || counts.Notices != 1) ||
				tc.template == "Missing refund" && counts.Refunds != 1 {
				t.Fatalf("%s: shop %+v", tc.template, counts)
			}
		}
	})
}
