package parley

import (
	"net"
	"net/url"
	"strconv"
	"strings"
)

// AnyOrigin, alone in an inbox's AllowedOrigins, lets every site embed
// its widget. It is a choice an admin makes, never a fallback.
const AnyOrigin = "*"

// MaxAllowedOrigins bounds an inbox's list; the list becomes a header.
const MaxAllowedOrigins = 50

// NormalizeOrigin returns an origin as browsers write it in an Origin
// header: scheme://host[:port], lower case, without the scheme's default
// port and without a path. A host may start with "*." to stand for every
// subdomain of the rest (not the rest itself), as in a CSP source.
// Anything else — a path, a query, credentials, another scheme, a host
// that is not a plain name or address — is refused, because the result
// goes into a Content-Security-Policy header and into postMessage.
func NormalizeOrigin(s string) (string, error) {
	raw := strings.TrimSpace(s)
	bad := func(why string) (string, error) {
		return "", Errorf(EINVALID, "%q is not a site origin like https://www.example.com: %s", clip(raw, 80), why)
	}
	if raw == "" {
		return bad("it is empty")
	}
	if len(raw) > 300 {
		return bad("it is too long")
	}
	for _, r := range raw {
		if r <= ' ' || r == 0x7f || r == ';' || r == ',' || r == '\'' || r == '"' {
			return bad("it holds spaces, quotes or separators")
		}
		if r > 0x7e {
			return bad("write an international name in its xn-- form")
		}
	}
	// url.Parse refuses "*" in a host; a wildcard is parsed with a
	// stand-in label and put back afterwards.
	wild := false
	if scheme, rest, ok := strings.Cut(raw, "://*."); ok {
		wild, raw = true, scheme+"://wildcard."+rest
	}
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	switch {
	case err != nil:
		return bad("it does not parse")
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("it must start with https:// (or http://)")
	case u.Opaque != "" || u.User != nil:
		return bad("it must not hold a user name")
	case u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#"):
		return bad("an origin has no path, query or fragment")
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return bad("the port must be a number from 1 to 65535")
		}
		if (u.Scheme == "https" && n == 443) || (u.Scheme == "http" && n == 80) {
			port = ""
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return bad("the port is empty")
	}
	if wild {
		host = strings.TrimPrefix(host, "wildcard.")
		if !strings.Contains(host, ".") || net.ParseIP(host) != nil {
			return bad("a wildcard needs a domain with a dot after it, like https://*.example.com")
		}
	}
	if ip := net.ParseIP(host); ip != nil {
		if ip.To4() == nil {
			host = "[" + ip.String() + "]"
		} else {
			host = ip.String()
		}
	} else if !hostName(host) {
		return bad("the host is not a valid name")
	}
	if wild {
		host = "*." + host
	}
	out := u.Scheme + "://" + host
	if port != "" {
		out += ":" + port
	}
	return out, nil
}

// hostName reports whether h is a DNS name: labels of letters, digits and
// inner hyphens (underscores too, which some hosts use), at most 253 long.
func hostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// NormalizeOrigins checks and normalises a list of allowed origins,
// dropping repeats. AnyOrigin must stand alone: a list with it and other
// sites is refused, since the others would mean nothing.
func NormalizeOrigins(list []string) ([]string, error) {
	var out []string // nil when empty, like an inbox that never had any
	seen := map[string]bool{}
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if s != AnyOrigin {
			var err error
			if s, err = NormalizeOrigin(s); err != nil {
				return nil, err
			}
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if seen[AnyOrigin] && len(out) > 1 {
		return nil, Errorf(EINVALID, "allowed origins: * lets any site embed the widget; remove it or the other sites")
	}
	if len(out) > MaxAllowedOrigins {
		return nil, Errorf(EINVALID, "allowed origins: at most %d sites (a wildcard like https://*.example.com covers many)", MaxAllowedOrigins)
	}
	return out, nil
}

// AnyOriginAllowed reports whether the list is the explicit choice of any site.
func AnyOriginAllowed(list []string) bool { return len(list) == 1 && list[0] == AnyOrigin }

// OriginAllowed reports whether origin (as a browser sends it) may embed
// a widget whose inbox allows list. A wildcard entry matches subdomains
// at any depth, with the same scheme and port, as CSP does.
func OriginAllowed(list []string, origin string) bool {
	if AnyOriginAllowed(list) {
		return true
	}
	o, err := NormalizeOrigin(origin)
	if err != nil || strings.Contains(o, "*") {
		return false
	}
	scheme, hostPort, _ := strings.Cut(o, "://")
	for _, a := range list {
		if a == o {
			return true
		}
		as, ahp, _ := strings.Cut(a, "://")
		rest, wild := strings.CutPrefix(ahp, "*.")
		if !wild || as != scheme {
			continue
		}
		// rest is domain[:port]; the origin must be sub.domain[:port].
		if strings.HasSuffix(hostPort, "."+rest) && !strings.HasPrefix(hostPort, "[") {
			return true
		}
	}
	return false
}
