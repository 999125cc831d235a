package sip

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Target is one place to send a request to a trunk: a transport and an
// address, in the order RFC 3263 says to try them.
type Target struct {
	Transport string // "UDP", "TCP" or "TLS"
	Addr      netip.AddrPort
	// Host is the name the address came from (an SRV target), for logs.
	Host string
}

func (t Target) String() string { return t.Transport + " " + t.Addr.String() }

// Resolver finds a SIP server's targets from its address by RFC 3263:
// NAPTR, then SRV, then A/AAAA, with answers cached for their TTL. It asks
// the DNS servers it was given, in turn.
type Resolver struct {
	transports []string // what the server can send over, preferred first
	client     *dns.Client
	now        func() time.Time

	mu      sync.Mutex
	servers []string   // guarded by mu: SetServers replaces them
	rnd     *rand.Rand // SRV weights (RFC 2782); guarded by mu
	cache   map[cacheKey]cached
	down    map[Target]time.Time // targets that failed, until when: see MarkDown
}

type cacheKey struct {
	name  string
	qtype uint16
}

type cached struct {
	rrs     []dns.RR
	expires time.Time
}

// downFor is how long a target that failed a request is tried after the
// others: a carrier's SBC that is down would otherwise cost every call
// its 5 s of silence before the next is tried.
const downFor = 30 * time.Second

// negativeTTL caps how long "no such record" is kept when the answer
// carries no SOA to say (RFC 2308 §5): long enough to spare every call a
// lookup, short enough that a record the carrier adds is soon used.
const negativeTTL = 5 * time.Minute

// dnsTimeout bounds one query to one server.
const dnsTimeout = 2 * time.Second

// ResolvConf is where the system's DNS servers are listed.
const ResolvConf = "/etc/resolv.conf"

// NewResolver resolves through servers (IP:PORT); none means those of
// /etc/resolv.conf. transports are those the server sends over (UDP,
// TCP): NAPTR and SRV records for others are passed over (RFC 3263 §4.1).
func NewResolver(servers, transports []string, seed uint64) (*Resolver, error) {
	servers, err := dnsServers(servers)
	if err != nil {
		return nil, err
	}
	if len(transports) == 0 {
		transports = []string{"UDP", "TCP"}
	}
	return &Resolver{
		servers:    servers,
		transports: transports,
		client:     &dns.Client{Timeout: dnsTimeout},
		now:        time.Now,
		rnd:        rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		cache:      map[cacheKey]cached{},
		down:       map[Target]time.Time{},
	}, nil
}

// dnsServers are the servers given, or else /etc/resolv.conf's.
func dnsServers(servers []string) ([]string, error) {
	if len(servers) > 0 {
		return slices.Clone(servers), nil
	}
	conf, err := dns.ClientConfigFromFile(ResolvConf)
	if err != nil {
		return nil, fmt.Errorf("reading the DNS servers from %s: %w", ResolvConf, err)
	}
	for _, s := range conf.Servers {
		servers = append(servers, net.JoinHostPort(s, conf.Port))
	}
	if len(servers) == 0 {
		return nil, fmt.Errorf("no DNS server: %s lists none, and sip.dns_servers is empty", ResolvConf)
	}
	return servers, nil
}

// SetServers asks other DNS servers from now on (none: /etc/resolv.conf's),
// forgetting what the old ones answered.
func (r *Resolver) SetServers(servers []string) error {
	servers, err := dnsServers(servers)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.servers = servers
	clear(r.cache)
	r.mu.Unlock()
	return nil
}

type naptrService struct{ service, transport, srv string }

// naptrServices maps RFC 3263 §4.1's NAPTR services to transports and the
// SRV prefix used when there is no NAPTR.
var naptrServices = []naptrService{
	{"SIP+D2U", "UDP", "_sip._udp."},
	{"SIP+D2T", "TCP", "_sip._tcp."},
	{"SIPS+D2T", "TLS", "_sips._tcp."},
}

// Resolve returns the targets for address (IP, IP:PORT, HOST:PORT or a
// domain) of a sip: URI without a transport parameter, best first.
func (r *Resolver) Resolve(ctx context.Context, address string) ([]Target, error) {
	return r.ResolveURI(ctx, address, "", false)
}

// defaultPort is the port a transport is reached on when nothing names
// one (RFC 3261 §19.1.2).
func defaultPort(transport string) uint16 {
	if transport == "TLS" {
		return 5061
	}
	return 5060
}

// ResolveURI returns the targets for address as RFC 3263 §4 resolves a
// URI: transport is its transport parameter ("" when it has none, or
// UDP, TCP, TLS), secure a sips: URI, reached over TLS alone. A numeric
// IP, or an explicit port, skips NAPTR and SRV; a host with a port is
// looked up as A/AAAA, over the transport named, else UDP (TLS for
// sips:). A domain with a transport named skips NAPTR and asks that
// transport's SRV record (§4.2); one without asks NAPTR first, keeping
// only SIPS+D2T for sips:.
func (r *Resolver) ResolveURI(ctx context.Context, address, transport string, secure bool) ([]Target, error) {
	transport = strings.ToUpper(transport)
	named := transport != ""
	if secure {
		transport = cmp.Or(transport, "TLS")
	}
	// §4.1: no transport named and no NAPTR to ask: UDP, or TLS for sips:.
	fixed := cmp.Or(transport, r.transports[0])
	if ip, err := netip.ParseAddr(address); err == nil {
		return []Target{{Transport: fixed, Addr: netip.AddrPortFrom(ip, defaultPort(fixed))}}, nil
	}
	if ap, err := netip.ParseAddrPort(address); err == nil {
		return []Target{{Transport: fixed, Addr: ap}}, nil
	}
	if host, p, err := net.SplitHostPort(address); err == nil {
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("resolving %s: bad port", address)
		}
		t, err := r.hostTargets(ctx, host, uint16(port), fixed)
		return r.demote(t), err
	}
	domain := dns.Fqdn(address)
	// The services this URI may use: all we speak, or only the one named.
	var services []naptrService
	for _, svc := range naptrServices {
		switch {
		case transport != "" && svc.transport != transport:
		case transport == "" && !slices.Contains(r.transports, svc.transport):
		default:
			services = append(services, svc)
		}
	}
	var out []Target
	srvs := 0 // SRV records found, "." included
	var naptrs []dns.RR
	if !named {
		// §4.1: NAPTR first; its replacements name the SRV records. A
		// transport named explicitly skips it (§4.2).
		var err error
		if naptrs, err = r.lookup(ctx, domain, dns.TypeNAPTR); err != nil {
			return nil, err
		}
		for _, n := range orderNAPTR(naptrs, services) {
			t, found, err := r.srvTargets(ctx, n.Replacement, n.transport)
			if err != nil {
				return nil, err
			}
			out, srvs = append(out, t...), srvs+found
		}
	}
	if len(naptrs) == 0 {
		// No NAPTR (or none asked): an SRV query per transport we may
		// use, in our order.
		for _, svc := range services {
			t, found, err := r.srvTargets(ctx, svc.srv+domain, svc.transport)
			if err != nil {
				return nil, err
			}
			out, srvs = append(out, t...), srvs+found
		}
	}
	if len(naptrs) == 0 && srvs == 0 {
		// No SRV either: the domain's own addresses on the transport's
		// port (§4.2). Only then: an SRV of target "." says there is no
		// SIP here at all (RFC 2782).
		t, err := r.hostTargets(ctx, domain, defaultPort(fixed), fixed)
		return r.demote(t), err
	}
	if len(out) == 0 {
		var over []string
		for _, svc := range services {
			over = append(over, svc.transport)
		}
		return nil, fmt.Errorf("resolving %s: no server reachable over %s", address, strings.Join(over, " or "))
	}
	return r.demote(out), nil
}

// MarkDown has the target tried after the others for a while, once it
// failed a request (no answer, or 503).
func (r *Resolver) MarkDown(t Target) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t.Host = ""
	r.down[t] = r.now().Add(downFor)
}

// demote moves the targets marked down after the others, each group in
// its order: still tried, last, in case all are down.
func (r *Resolver) demote(ts []Target) []Target {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	var up, down []Target
	for _, t := range ts {
		key := t
		key.Host = ""
		until, ok := r.down[key]
		if ok && now.After(until) {
			delete(r.down, key)
			ok = false
		}
		if ok {
			down = append(down, t)
		} else {
			up = append(up, t)
		}
	}
	return append(up, down...)
}

type naptr struct {
	*dns.NAPTR
	transport string
}

// orderNAPTR keeps the records that lead to SRV ("s" flag) for one of
// services, lowest order then preference first (RFC 3403 §4.1).
func orderNAPTR(rrs []dns.RR, services []naptrService) []naptr {
	var out []naptr
	for _, rr := range rrs {
		n, ok := rr.(*dns.NAPTR)
		if !ok || !strings.EqualFold(n.Flags, "s") {
			continue
		}
		for _, svc := range services {
			if strings.EqualFold(n.Service, svc.service) {
				out = append(out, naptr{n, svc.transport})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b naptr) int {
		if a.Order != b.Order {
			return int(a.Order) - int(b.Order)
		}
		return int(a.Preference) - int(b.Preference)
	})
	return out
}

// srvTargets are the targets of name's SRV records, and how many
// records there were.
func (r *Resolver) srvTargets(ctx context.Context, name, transport string) ([]Target, int, error) {
	rrs, err := r.lookup(ctx, dns.Fqdn(name), dns.TypeSRV)
	if err != nil {
		return nil, 0, err
	}
	var srvs []*dns.SRV
	found := 0
	for _, rr := range rrs {
		if s, ok := rr.(*dns.SRV); ok {
			found++
			// RFC 2782: a target of "." means the service is decidedly
			// not available at this domain.
			if s.Target == "." {
				continue
			}
			srvs = append(srvs, s)
		}
	}
	r.mu.Lock()
	ordered := OrderSRV(srvs, r.rnd.IntN)
	r.mu.Unlock()
	var out []Target
	for _, s := range ordered {
		t, err := r.hostTargets(ctx, s.Target, s.Port, transport)
		if err != nil {
			// One target whose name does not resolve leaves the others.
			continue
		}
		out = append(out, t...)
	}
	return out, found, nil
}

// hostTargets are the A then AAAA addresses of host.
func (r *Resolver) hostTargets(ctx context.Context, host string, port uint16, transport string) ([]Target, error) {
	name := dns.Fqdn(host)
	var out []Target
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		rrs, err := r.lookup(ctx, name, qtype)
		if err != nil {
			return nil, err
		}
		for _, rr := range rrs {
			var ip net.IP
			switch a := rr.(type) {
			case *dns.A:
				ip = a.A
			case *dns.AAAA:
				ip = a.AAAA
			default:
				continue
			}
			if addr, ok := netip.AddrFromSlice(ip); ok {
				out = append(out, Target{Transport: transport, Addr: netip.AddrPortFrom(addr.Unmap(), port), Host: strings.TrimSuffix(name, ".")})
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("resolving %s: no address", strings.TrimSuffix(name, "."))
	}
	return out, nil
}

// OrderSRV sorts SRV records as RFC 2782 says clients must: lowest
// priority first; within a priority, a weighted random order, where
// intn(n) returns a number in [0, n).
func OrderSRV(srvs []*dns.SRV, intn func(int) int) []*dns.SRV {
	byPriority := slices.Clone(srvs)
	slices.SortStableFunc(byPriority, func(a, b *dns.SRV) int { return int(a.Priority) - int(b.Priority) })
	var out []*dns.SRV
	for len(byPriority) > 0 {
		end := 1
		for end < len(byPriority) && byPriority[end].Priority == byPriority[0].Priority {
			end++
		}
		out = append(out, weighted(byPriority[:end], intn)...)
		byPriority = byPriority[end:]
	}
	return out
}

// weighted orders records of one priority (RFC 2782, "Usage rules"):
// those of weight 0 first, then repeatedly pick the first whose running
// sum of weights reaches a random number from 0 to the total.
func weighted(group []*dns.SRV, intn func(int) int) []*dns.SRV {
	var rest []*dns.SRV
	for _, s := range group {
		if s.Weight == 0 {
			rest = append(rest, s)
		}
	}
	for _, s := range group {
		if s.Weight != 0 {
			rest = append(rest, s)
		}
	}
	var out []*dns.SRV
	for len(rest) > 0 {
		total := 0
		for _, s := range rest {
			total += int(s.Weight)
		}
		pick := intn(total + 1) // 0..total inclusive
		sum := 0
		i := 0
		for ; i < len(rest); i++ {
			sum += int(rest[i].Weight)
			if sum >= pick {
				break
			}
		}
		out = append(out, rest[i])
		rest = slices.Delete(rest, i, i+1)
	}
	return out
}

// lookup answers name's records of qtype, from the cache while their TTL
// lasts. A name that does not exist, or has no such record, is an empty
// answer, not an error.
func (r *Resolver) lookup(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	key := cacheKey{strings.ToLower(name), qtype}
	r.mu.Lock()
	c, ok := r.cache[key]
	if ok && r.now().Before(c.expires) {
		r.mu.Unlock()
		return c.rrs, nil
	}
	delete(r.cache, key)
	servers := r.servers
	r.mu.Unlock()

	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = true
	var errs []error
	for _, server := range servers {
		res, err := r.exchange(ctx, m, server)
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if res.Rcode != dns.RcodeSuccess && res.Rcode != dns.RcodeNameError {
			errs = append(errs, fmt.Errorf("%s answered %s", server, dns.RcodeToString[res.Rcode]))
			continue
		}
		var rrs []dns.RR
		ttl := uint32(0)
		for _, rr := range res.Answer {
			if rr.Header().Rrtype != qtype {
				continue // a CNAME on the way, which the server followed
			}
			if len(rrs) == 0 || rr.Header().Ttl < ttl {
				ttl = rr.Header().Ttl
			}
			rrs = append(rrs, rr)
		}
		keep := time.Duration(ttl) * time.Second
		if len(rrs) == 0 {
			keep = negativeTTL
			for _, rr := range res.Ns {
				if soa, ok := rr.(*dns.SOA); ok {
					keep = min(keep, time.Duration(min(soa.Minttl, soa.Hdr.Ttl))*time.Second)
				}
			}
		}
		if keep > 0 {
			r.mu.Lock()
			r.cache[key] = cached{rrs: rrs, expires: r.now().Add(keep)}
			r.mu.Unlock()
		}
		return rrs, nil
	}
	return nil, fmt.Errorf("DNS %s query for %s: %w", dns.TypeToString[qtype], name, errors.Join(errs...))
}

// exchange asks one server, over TCP when the UDP answer was truncated
// (RFC 7766 §5).
func (r *Resolver) exchange(ctx context.Context, m *dns.Msg, server string) (*dns.Msg, error) {
	res, _, err := r.client.ExchangeContext(ctx, m, server)
	if err != nil {
		return nil, err
	}
	if res.Truncated {
		tcp := &dns.Client{Net: "tcp", Timeout: dnsTimeout}
		res, _, err = tcp.ExchangeContext(ctx, m, server)
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}
