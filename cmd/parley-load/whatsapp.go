package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/parleyhq/parley/internal/inbox"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// whatsappCmd measures the whole webhook path of a provider channel:
// signed WhatsApp Cloud API webhooks posted to /hooks/whatsapp/{id}, each
// checked (HMAC over the raw body), parsed, deduplicated on its wamid,
// committed, and fanned out to agents' live streams before the 200.
func whatsappCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("parley-load whatsapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs, 64, 20*time.Second)
	newContacts := fs.Float64("new-contacts", 0.2, "share of messages from a customer never seen before")
	words := fs.Int("words", 20, "words per message text")
	streams := fs.Int("streams", 20, "agent live streams (SSE) open during the run, each receiving every event")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if err := c.check(); err != nil {
		return err
	}
	if !c.self {
		return fmt.Errorf("whatsapp runs with --self: it creates its own WhatsApp inbox and agent")
	}
	s, err := startSelf(ctx, &c, stdout)
	if err != nil {
		return err
	}
	defer s.close()
	secret := make([]byte, 16)
	rand.Read(secret)
	appSecret := hex.EncodeToString(secret)
	in, err := s.app.Inbox.CreateInbox(ctx, inbox.System, parley.Inbox{Name: "WhatsApp load", ChannelType: parley.ChannelWhatsApp,
		Settings: map[string]string{"phone_number_id": "109876543210", "base_url": "http://127.0.0.1:9"}},
		map[string]string{"access_token": "unused", "app_secret": appSecret, "verify_token": "unused"})
	if err != nil {
		return err
	}
	var received atomic.Int64
	if *streams > 0 {
		conns, err := agentStreams(ctx, s, *streams, &received)
		if err != nil {
			return err
		}
		defer closeStreams(conns)
	}
	client := newClient(c.load.clients)
	defer client.CloseIdleConnections()
	fmt.Fprintf(stdout, "target %s whatsapp inbox %d, %d agent streams\n", c.url, in.ID, *streams)
	err = c.measure(ctx, stdout, "whatsapp webhooks", client, whatsappRequests(c.url, in.ID, appSecret, *newContacts, *words))
	time.Sleep(500 * time.Millisecond)
	fmt.Fprintf(stdout, "live events received across %d streams: %d\n", *streams, received.Load())
	return err
}

// whatsappRequests makes signed webhooks of one text message each, with
// the wamid unique per request and the sender drawn like ingest's.
func whatsappRequests(base string, inboxID int64, appSecret string, newShare float64, words int) makeRequest {
	u := strings.TrimRight(base, "/") + "/hooks/whatsapp/" + strconv.FormatInt(inboxID, 10)
	b := make([]byte, 6)
	rand.Read(b)
	run := hex.EncodeToString(b)
	texts := make([][]byte, 1024)
	rng := mrand.New(mrand.NewPCG(3, 4))
	for i := range texts {
		texts[i] = []byte(store.SeedText(rng, words))
	}
	var contacts contactPicker
	key := []byte(appSecret)
	return func(n int64, buf []byte) request {
		contact := contacts.pick(n, newShare)
		waID := strconv.AppendInt([]byte("1555"), 10_000_000+contact, 10)
		buf = append(buf, `{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"109876543210"},"contacts":[{"profile":{"name":"Customer `...)
		buf = strconv.AppendInt(buf, contact, 10)
		buf = append(buf, `"},"wa_id":"`...)
		buf = append(buf, waID...)
		buf = append(buf, `"}],"messages":[{"from":"`...)
		buf = append(buf, waID...)
		buf = append(buf, `","id":"wamid.`...)
		buf = append(buf, run...)
		buf = strconv.AppendInt(append(buf, '.'), n, 10)
		buf = append(buf, `","timestamp":"`...)
		buf = strconv.AppendInt(buf, time.Now().Unix(), 10)
		buf = append(buf, `","type":"text","text":{"body":"`...)
		buf = append(buf, texts[n%int64(len(texts))]...)
		buf = append(buf, `"}}]}}]}]}`...)
		mac := hmac.New(sha256.New, key)
		mac.Write(buf)
		return request{method: http.MethodPost, url: u, body: buf, header: [2]string{"X-Hub-Signature-256", "sha256=" + hex.EncodeToString(mac.Sum(nil))}}
	}
}

// agentStreams opens n agent inbox streams (/app/events) signed in as a
// load-test agent, counting the events they receive.
func agentStreams(ctx context.Context, s *selfServer, n int, received *atomic.Int64) ([]*sseStream, error) {
	a, _, err := s.app.Inbox.CreateAgent(ctx, inbox.System, parley.Agent{Email: "load@parley.local", Name: "Load", Role: parley.RoleAgent}, "load test password")
	if err != nil {
		return nil, err
	}
	var streams []*sseStream
	for range n {
		sess, err := s.app.Inbox.SignIn(ctx, a.Email, "load test password", "parley-load")
		if err != nil {
			return streams, err
		}
		seq, _ := s.db.LastEventSeq(ctx)
		st, err := openSSE(ctx, s.app.URL(), fmt.Sprintf("/app/events?after=%d", seq), http.Header{"Cookie": {"parley_session=" + sess.Secret}},
			func(sseMessage) { received.Add(1) })
		if err != nil {
			return streams, err
		}
		streams = append(streams, st)
	}
	return streams, nil
}
