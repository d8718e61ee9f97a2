package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptrace"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/parleyhq/parley/internal/channel"
	"github.com/parleyhq/parley/internal/parley"
)

// Sends that go out once. A provider call cannot be taken back, and only
// RBM (a message id derived from Parley's) and email (a stable Message-ID)
// let a repeat be recognised. So the send job commits a note before the
// call (Inbox.StartSend), records the outcome with the provider's id in
// one write, and treats a note found still open as "handed over, answer
// unknown": on providers that dedupe it sends again; on the others the
// message fails with a reason and only an agent's Retry sends it again.

// idempotent is implemented by drivers whose provider recognises a repeat
// of the same message, so resending after an unknown outcome is safe.
type idempotent interface{ idempotent() bool }

// RBM drops a second send with the same messageId (stableUUID).
func (rcsDriver) idempotent() bool { return true }

// Email goes out under the same Message-ID every time (Gateway.messageID),
// which mail clients show once.
func (emailDriver) idempotent() bool { return true }

func resendSafe(d driver) bool {
	i, ok := d.(idempotent)
	return ok && i.idempotent()
}

// notSent marks an error a driver met before handing anything to the
// provider (a token refresh, reading a file): the message was not sent.
type notSent struct{ err error }

func (e notSent) Error() string { return e.err.Error() }
func (e notSent) Unwrap() error { return e.err }

// wire follows the HTTP requests of one send (a token refresh, the send):
// whether the latest one wrote its request. One that did not never reached
// the provider, whatever the error says (refused, a guard's refusal, DNS,
// a TLS handshake).
type wire struct {
	mu    sync.Mutex
	wrote bool
}

func (w *wire) trace(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn:      func(string) { w.set(false) },
		WroteHeaders: func() { w.set(true) },
	})
}

func (w *wire) set(v bool) {
	w.mu.Lock()
	w.wrote = v
	w.mu.Unlock()
}

func (w *wire) written() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.wrote
}

// handedOver reports whether a failed send may have reached the provider
// anyway, that is whether its outcome is unknown.
//
//   - A SendError is the provider's own answer refusing the message (4xx,
//     429, and 5xx, which Meta, Twilio, Zalo and Google all document as
//     "not processed, retry"): not handed over. The one gap is a proxy's
//     504 that hid an acceptance; providers' own 5xx come with their error
//     codes, and treating every 5xx as unknown would turn each short
//     provider outage into failed messages for agents to retry by hand.
//   - A request that was never written (no connection, refused, DNS, TLS,
//     the outbound guard; or no request at all): not handed over.
//   - Anything else (a timeout or reset after the request was written, an
//     answer that could not be read) may come after the provider took the
//     message: unknown.
func handedOver(err error, w *wire) bool {
	if _, ok := channel.AsSendError(err); ok {
		return false
	}
	var ns notSent
	if errors.As(err, &ns) {
		return false
	}
	return w.written()
}

// providerName names a channel's provider for agents.
func providerName(ct parley.ChannelType) string {
	switch ct {
	case parley.ChannelWhatsApp:
		return "WhatsApp"
	case parley.ChannelMessenger:
		return "Messenger"
	case parley.ChannelZalo:
		return "Zalo"
	case parley.ChannelSMS:
		return "Twilio"
	case parley.ChannelRCS:
		return "RCS"
	case parley.ChannelEmail:
		return "the mail server"
	}
	return string(ct)
}

// uncertainReason is what agents read on a message whose hand-over ended
// without an answer, on a provider where sending again could deliver it
// twice.
func uncertainReason(ct parley.ChannelType) string {
	return "Parley cannot tell whether " + providerName(ct) + " received this message (the connection was lost after it was handed over). " +
		"Check with the customer before sending it again."
}

// uncertain fails a message whose outcome is unknown, for an agent to
// decide on; the job ends without a retry, which could send it twice.
func (g *Gateway) uncertain(ctx context.Context, c *conn, messageID int64, cause error) error {
	slog.Warn("gateway: send outcome unknown; not sending again", "inbox", c.inbox.ID, "message", messageID, "err", cause)
	if err := g.Inbox.EndSend(ctx, messageID, "", uncertainReason(c.inbox.ChannelType)); err != nil {
		return err // the job runs again and finds the note still open
	}
	return permanentErr{fmt.Errorf("outcome unknown, not sent again: %w", cause)}
}

// openSend looks at a message's note from an earlier hand-over, before a
// new one. It reports done when the job has nothing left to do: the
// earlier send was accepted (its record had failed, and is made now), or
// its outcome is unknown on a provider that would not recognise a repeat.
func (g *Gateway) openSend(ctx context.Context, c *conn, messageID int64) (done bool, err error) {
	open, ok, err := g.DB.OpenSend(ctx, messageID)
	if err != nil || !ok {
		return false, err
	}
	if v, found := g.accepted.Load(messageID); found {
		return true, g.recordSent(ctx, c, messageID, open.Attempt, v.(string))
	}
	if resendSafe(c.driver) {
		return false, nil
	}
	return true, g.uncertain(ctx, c, messageID, fmt.Errorf("attempt %s, handed over at %s, never recorded an outcome", open.Attempt, open.StartedAt.Format(time.RFC3339)))
}

// recordTries are the waits before each try of recording an accepted
// send; the provider has the message, so only the record is tried again.
var recordTries = []time.Duration{0, 100 * time.Millisecond, 400 * time.Millisecond, 1600 * time.Millisecond}

// recordSent records that the provider accepted a message. The outcome is
// known here, so the write is tried a few times, outside the job's
// deadline; if it still fails, the provider id is kept in memory and the
// job fails in a way that never sends again: its next run finds the note
// open and records the id (or, in another process, reports the outcome as
// unknown).
func (g *Gateway) recordSent(ctx context.Context, c *conn, messageID int64, attempt, providerID string) error {
	mark := g.markSent
	if mark == nil {
		mark = g.Inbox.MarkSent
	}
	if strings.ContainsRune(providerID, 0) || !utf8.ValidString(providerID) || len(providerID) > 1024 {
		// An id no database would take, and retrying would not change:
		// the message is recorded as sent without it (receipts for it
		// will find nothing), rather than never recorded.
		slog.Warn("gateway: provider gave an unusable message id", "inbox", c.inbox.ID, "message", messageID, "provider_id", fmt.Sprintf("%.64q", providerID))
		providerID = ""
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var err error
	for _, wait := range recordTries {
		if wait > 0 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(wait):
			}
		}
		if err = mark(ctx, messageID, attempt, providerID); err == nil {
			g.accepted.Delete(messageID)
			return nil
		}
		if parley.ErrorCode(err) == parley.ENOTFOUND {
			return permanentErr{err} // the message is gone
		}
	}
	g.accepted.Store(messageID, providerID)
	slog.Error("gateway: provider accepted a message but recording it failed", "inbox", c.inbox.ID, "message", messageID, "provider_id", providerID, "err", err)
	return fmt.Errorf("gateway: %s accepted message %d as %q; recording it failed: %w", providerName(c.inbox.ChannelType), messageID, providerID, err)
}
