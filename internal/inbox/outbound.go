package inbox

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/parleyhq/parley/internal/outbound"
	"github.com/parleyhq/parley/internal/parley"
	"github.com/parleyhq/parley/internal/store"
)

// outboundAllowKey is the settings row of the admin's outbound
// allow-list: the addresses and names Parley may call although they are
// not public (see package outbound).
const outboundAllowKey = "outbound_allow"

// MaxOutboundAllowLength bounds the allow-list an admin may save.
const MaxOutboundAllowLength = 4000

// OutboundAllow returns the admin's outbound allow-list, comma-separated
// ("" when unset). The operator's list (PARLEY_OUTBOUND_ALLOW) is not
// part of it: it is configuration, not a workspace setting.
func (s *Service) OutboundAllow(ctx context.Context) (string, error) {
	var v string
	_, err := s.DB.Setting(ctx, outboundAllowKey, &v)
	return v, err
}

// SetOutboundAllow saves the admin's outbound allow-list: CIDRs, single
// addresses and exact host names, separated by commas or new lines. It
// returns EINVALID naming the first entry that is none of them, and
// saves nothing then. Only admins may change it: every entry lets Parley
// (and so whoever configures a webhook or a mail host) reach a part of
// the network Parley runs in.
func (s *Service) SetOutboundAllow(ctx context.Context, actor Actor, list string) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if len(list) > MaxOutboundAllowLength {
		return parley.Errorf(parley.EINVALID, "the outbound allow-list is longer than %d characters", MaxOutboundAllowLength)
	}
	l, err := outbound.ParseAllowList(list)
	if err != nil {
		return parley.Errorf(parley.EINVALID, "%s", strings.TrimPrefix(err.Error(), "outbound "))
	}
	if err := s.DB.Write(ctx, func(tx *store.Tx) error { return tx.SetSetting(outboundAllowKey, l.String()) }); err != nil {
		return err
	}
	if s.Outbound != nil {
		s.Outbound.Forget()
	}
	return nil
}

// dial connects notification mail through the guard.
func (s *Service) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	g := s.Outbound
	if g == nil {
		g = outbound.Strict()
	}
	return g.DialContext(ctx, network, addr)
}

// strictClient posts webhooks when the Service was given no client.
var strictClient = sync.OnceValue(func() *http.Client { return outbound.Strict().HTTPClient(20 * time.Second) })

// describedError carries a failure's plain description as its text and
// the original for errors.Is and As.
type describedError struct {
	msg string
	err error
}

func (e *describedError) Error() string { return e.msg }
func (e *describedError) Unwrap() error { return e.err }

// webhookErr words a failed webhook request for the agent who reads it as
// the message's reason. A raw error ("dial tcp 10.0.0.7:80: connect:
// connection refused") would tell whoever set the webhook URL which
// internal hosts and ports exist, so it goes to the log instead. An
// address the guard refused, or a redirect, will not change by retrying:
// those fail at once, and Retry sends again once an admin allows it.
func webhookErr(err error) error {
	slog.Warn("inbox: webhook request failed", "err", err)
	e := &describedError{msg: "webhook: " + outbound.Describe(err), err: err}
	var refused *outbound.RefusedError
	if errors.As(err, &refused) || errors.Is(err, outbound.ErrRedirect) {
		return &PermanentError{e}
	}
	return e
}
