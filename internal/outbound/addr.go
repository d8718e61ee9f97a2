// Package outbound is the one way Parley reaches other machines: inbox
// webhooks, provider APIs and media downloads, SMTP and IMAP.
//
// A URL or mail host typed by an admin (or sent by a provider) must not
// turn Parley into a probe of the network it runs in. So every connection
// is checked at dial time, on the IP address actually being dialled after
// DNS resolution, which a name that resolves differently on a second
// lookup (DNS rebinding) cannot get past. Loopback, private, link-local
// (cloud metadata services live at 169.254.169.254), shared (CGNAT),
// multicast and reserved addresses are refused unless an allow-list
// entry permits them. HTTP redirects are not followed, except by the
// download client, whose every hop is checked the same way. Errors say
// in plain words what was refused and never carry the raw dial error,
// whose "connection refused" or "i/o timeout" would map the network;
// the detail is logged on the server.
package outbound

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Kinds of addresses Parley does not call unless allowed. Each is the
// plain description an agent or admin reads in an error.
const (
	KindLoopback  = "a loopback address (this machine)"
	KindPrivate   = "a private network address"
	KindLinkLocal = "a link-local address (such as a cloud metadata service)"
	KindShared    = "a shared carrier-grade NAT address"
	KindMulticast = "a multicast or broadcast address"
	KindReserved  = "a reserved or special-purpose address"
)

// reserved lists special-purpose ranges (RFC 6890 and its successors)
// that netip's predicates do not cover. None is a host on the public
// internet that Parley has reason to call.
var reserved = []struct {
	prefix netip.Prefix
	kind   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), KindReserved}, // "this network"; 0.0.0.0 reaches the local host on Linux
	{netip.MustParsePrefix("100.64.0.0/10"), KindShared},
	{netip.MustParsePrefix("192.0.0.0/24"), KindReserved},
	{netip.MustParsePrefix("192.0.2.0/24"), KindReserved},
	{netip.MustParsePrefix("192.88.99.0/24"), KindReserved},
	{netip.MustParsePrefix("198.18.0.0/15"), KindReserved},
	{netip.MustParsePrefix("198.51.100.0/24"), KindReserved},
	{netip.MustParsePrefix("203.0.113.0/24"), KindReserved},
	{netip.MustParsePrefix("240.0.0.0/4"), KindReserved}, // includes 255.255.255.255
	{netip.MustParsePrefix("::/96"), KindReserved},       // IPv4-compatible (deprecated); ::1 and :: are caught before
	{netip.MustParsePrefix("64:ff9b:1::/48"), KindReserved},
	{netip.MustParsePrefix("100::/64"), KindReserved},
	{netip.MustParsePrefix("2001::/23"), KindReserved}, // IETF protocol assignments, Teredo among them
	{netip.MustParsePrefix("2001:db8::/32"), KindReserved},
	{netip.MustParsePrefix("3fff::/20"), KindReserved},
	{netip.MustParsePrefix("5f00::/16"), KindReserved},
	{netip.MustParsePrefix("fec0::/10"), KindReserved}, // site-local (deprecated, still routed on some networks)
}

var (
	nat64   = netip.MustParsePrefix("64:ff9b::/96")
	sixToF4 = netip.MustParsePrefix("2002::/16")
)

// Classify returns the kind of address a is when Parley should not call
// it, or "" for an ordinary public address. IPv4-mapped IPv6 addresses
// (::ffff:127.0.0.1) are judged as the IPv4 address they carry, and so are
// the IPv4 addresses embedded in NAT64 and 6to4 addresses, which a
// translator on the path would deliver to that IPv4 address.
func Classify(a netip.Addr) string {
	if !a.IsValid() {
		return KindReserved
	}
	a = a.Unmap().WithZone("")
	switch {
	case a.IsLoopback():
		return KindLoopback
	case a.IsUnspecified():
		return KindReserved
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return KindLinkLocal
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return KindMulticast
	case a.IsPrivate():
		return KindPrivate
	}
	if a.Is6() {
		b := a.As16()
		if nat64.Contains(a) {
			return Classify(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		}
		if sixToF4.Contains(a) {
			return Classify(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		}
	}
	for _, r := range reserved {
		if r.prefix.Contains(a) {
			return r.kind
		}
	}
	return ""
}

// IsLoopbackHost reports whether host names this machine without a
// lookup: "localhost" or a loopback IP literal. It is what a setting
// documented as "loopback only" is checked against when it is saved; the
// dial checks the address actually reached again (see mail.Config).
func IsLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(host)), ".")
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.Unmap().IsLoopback()
}

// rule is one allow-list entry: a network, or an exact host name.
type rule struct {
	prefix netip.Prefix
	host   string
}

// AllowList is the addresses and names an operator or admin lets Parley
// call although they are not public. The zero value allows nothing.
type AllowList struct {
	rules []rule
}

// ParseAllowList reads entries separated by commas, spaces or new lines:
// CIDRs ("10.0.0.0/8", "fd00::/8"), single addresses ("10.1.2.3"), or
// exact host names ("mail.internal"), which allow whatever the name
// resolves to. Returns an error naming the first entry that is none of
// them, so a typo is refused rather than silently allowing nothing.
func ParseAllowList(s string) (AllowList, error) {
	var l AllowList
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		r, err := parseRule(f)
		if err != nil {
			return AllowList{}, err
		}
		l.rules = append(l.rules, r)
	}
	return l, nil
}

func parseRule(f string) (rule, error) {
	f = strings.ToLower(f)
	if strings.Contains(f, "/") {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return rule{}, fmt.Errorf("outbound allow-list entry %q is not a valid CIDR", f)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return rule{prefix: p.Masked()}, nil
	}
	if a, err := netip.ParseAddr(strings.Trim(f, "[]")); err == nil {
		a = a.Unmap().WithZone("")
		return rule{prefix: netip.PrefixFrom(a, a.BitLen())}, nil
	}
	host := strings.TrimSuffix(f, ".")
	if !validHost(host) {
		return rule{}, fmt.Errorf("outbound allow-list entry %q is not an address, a CIDR or a host name", f)
	}
	return rule{host: host}, nil
}

// validHost accepts DNS names of letters, digits, hyphens and dots.
func validHost(h string) bool {
	if h == "" || len(h) > 253 || strings.HasPrefix(h, ".") || strings.Contains(h, "..") {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// Len is the number of entries.
func (l AllowList) Len() int { return len(l.rules) }

// String lists the entries, comma-separated, in their normal form.
func (l AllowList) String() string {
	out := make([]string, len(l.rules))
	for i, r := range l.rules {
		if r.host != "" {
			out[i] = r.host
		} else if r.prefix.IsSingleIP() {
			out[i] = r.prefix.Addr().String()
		} else {
			out[i] = r.prefix.String()
		}
	}
	return strings.Join(out, ", ")
}

// Permits reports whether the list lets Parley call host, an IP literal
// (by the networks and addresses listed) or a name (listed exactly).
func (l AllowList) Permits(host string) bool {
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return l.allowsAddr(a)
	}
	return l.allowsHost(host)
}

// allowsHost reports whether host is listed by name.
func (l AllowList) allowsHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for _, r := range l.rules {
		if r.host != "" && r.host == host {
			return true
		}
	}
	return false
}

// allowsAddr reports whether a lies in a listed network or is a listed
// address.
func (l AllowList) allowsAddr(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, r := range l.rules {
		if r.host == "" && r.prefix.Contains(a) {
			return true
		}
	}
	return false
}

// IsLoopbackConn reports whether c is connected to this machine, by the
// address actually reached.
func IsLoopbackConn(c net.Conn) bool {
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	return err == nil && ap.Addr().Unmap().IsLoopback()
}
