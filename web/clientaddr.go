package web

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// ParseTrustedProxies parses addresses and CIDR ranges of reverse proxies.
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not an IP address or CIDR range", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

const addrKey = "iamd.addr"

// addr returns the client's address, worked out once per request.
func (s *Server) addr(c *fiber.Ctx) string {
	if a, ok := c.Locals(addrKey).(string); ok {
		return a
	}
	a := s.clientAddr(c)
	c.Locals(addrKey, a)
	return a
}

// clientAddr returns the client's address as a string of its own (fiber's
// strings point into buffers reused by the next request, and the throttle
// keeps this one). It is the peer's address, unless the peer is a trusted
// proxy: then it is the rightmost X-Forwarded-For hop that is not a trusted
// proxy. Hops further left were written by the client and prove nothing.
func (s *Server) clientAddr(c *fiber.Ctx) string {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	peer = peer.Unmap()
	if !s.trusted(peer) {
		return peer.String()
	}
	headers := c.Request().Header.PeekAll(fiber.HeaderXForwardedFor)
	for i := len(headers) - 1; i >= 0; i-- {
		hops := strings.Split(string(headers[i]), ",")
		for j := len(hops) - 1; j >= 0; j-- {
			hop := strings.TrimSpace(hops[j])
			a, err := netip.ParseAddr(hop)
			if err != nil {
				if ap, perr := netip.ParseAddrPort(hop); perr == nil {
					a, err = ap.Addr(), nil
				}
			}
			if err != nil {
				// Not an address: whoever wrote it is the client.
				return "unparsable:" + truncate(hop, 64)
			}
			if a = a.Unmap(); !s.trusted(a) {
				return a.String()
			}
		}
	}
	return peer.String()
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
