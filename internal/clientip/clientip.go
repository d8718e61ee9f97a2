// Package clientip finds the address of the client behind a request when
// Parley may sit behind reverse proxies.
//
// A forwarding header is only as trustworthy as whoever wrote it: any
// client can send "X-Forwarded-For: 1.2.3.4". So the header is read only
// when the peer (RemoteAddr) is a proxy the operator listed, and then
// from the right: each entry was appended by the hop to its right, so we
// skip entries that are themselves listed proxies and take the first that
// is not. Entries to the left of it were written by the client and are
// never believed.
//
// Only X-Forwarded-For is honoured. The standard Forwarded header (RFC
// 7239) is ignored on purpose: common proxies append to one of the two
// and pass the other through untouched, so honouring both would let a
// client forge the one its proxy does not write.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver knows which peers are trusted proxies. The zero value and nil
// trust none: the client is always the peer.
type Resolver struct {
	trusted []netip.Prefix
}

// Parse reads a comma-separated list of CIDRs or single addresses (e.g.
// "10.0.0.0/8, 192.0.2.7, ::1"). An empty list trusts nobody. Returns an
// error naming the first entry that is neither.
func Parse(list string) (*Resolver, error) {
	r := &Resolver{}
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q is not an address or CIDR", f)
			}
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
			}
			r.trusted = append(r.trusted, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not an address or CIDR", f)
		}
		a = a.Unmap().WithZone("")
		r.trusted = append(r.trusted, netip.PrefixFrom(a, a.BitLen()))
	}
	return r, nil
}

// MustParse is Parse for lists known to be valid (tests, constants).
func MustParse(list string) *Resolver {
	r, err := Parse(list)
	if err != nil {
		panic(err)
	}
	return r
}

// Trusts reports whether a is a listed proxy.
func (r *Resolver) Trusts(a netip.Addr) bool {
	if r == nil || !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Peer is the address of the connection's other end (RemoteAddr), or the
// zero Addr when it cannot be read.
func Peer(req *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.RemoteAddr)
	if err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	a, err := netip.ParseAddr(req.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// Client returns the client's address and whether it was read from a
// forwarding header (false: it is the peer itself). See the package
// comment for the rules. The zero Addr means even the peer was unreadable.
func (r *Resolver) Client(req *http.Request) (netip.Addr, bool) {
	peer := Peer(req)
	if !r.Trusts(peer) {
		return peer, false
	}
	hops := forwardedFor(req.Header)
	if len(hops) == 0 {
		return peer, false
	}
	last := peer // the leftmost hop known to be a trusted proxy
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			// A trusted proxy writes an address; this is the client's own
			// text. The proxy that passed it on is as far as we can see.
			return last, last != peer
		}
		if !r.Trusts(a) {
			return a, true
		}
		last = a
	}
	// Every hop is a listed proxy: the request started inside, at the
	// leftmost one.
	return last, true
}

// Key is the rate-limit key for a request's client: its address, with an
// IPv6 client reduced to its /64, since one subscriber usually holds a
// whole /64 and could otherwise take a fresh address per request.
func (r *Resolver) Key(req *http.Request) string {
	a, _ := r.Client(req)
	return KeyOf(a)
}

// KeyOf is Key for an address already resolved.
func KeyOf(a netip.Addr) string {
	if !a.IsValid() {
		return "unknown"
	}
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// forwardedFor returns the X-Forwarded-For entries in order, across
// repeated header lines.
func forwardedFor(h http.Header) []string {
	var out []string
	for _, line := range h.Values("X-Forwarded-For") {
		for _, f := range strings.Split(line, ",") {
			out = append(out, strings.TrimSpace(f))
		}
	}
	return out
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a
// port, possibly bracketed (IPv6).
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap().WithZone(""), true
		}
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return a.Unmap().WithZone(""), true
	}
	return netip.Addr{}, false
}
