package sip

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func srv(name string, prio, weight uint16) *dns.SRV {
	return &dns.SRV{Hdr: dns.RR_Header{Name: "_sip._udp.carrier.test."}, Priority: prio, Weight: weight, Port: 5060, Target: name + "."}
}

func names(srvs []*dns.SRV) string {
	var out []string
	for _, s := range srvs {
		out = append(out, strings.TrimSuffix(s.Target, "."))
	}
	return strings.Join(out, ",")
}

// scripted returns the given numbers in turn as intn's results, checking
// each is in range: the exact RFC 2782 selection for chosen draws.
func scripted(t *testing.T, draws ...int) func(int) int {
	return func(n int) int {
		t.Helper()
		if len(draws) == 0 {
			t.Fatalf("more random draws than scripted (n=%d)", n)
		}
		d := draws[0]
		draws = draws[1:]
		if d >= n {
			t.Fatalf("scripted draw %d out of [0,%d)", d, n)
		}
		return d
	}
}

func TestOrderSRV(t *testing.T) {
	for _, tc := range []struct {
		name  string
		srvs  []*dns.SRV
		draws []int
		want  string
	}{
		{"priority first, whatever the weight", []*dns.SRV{srv("b", 20, 100), srv("a", 10, 0)}, []int{0, 0}, "a,b"},
		{"three priorities", []*dns.SRV{srv("c", 30, 1), srv("a", 10, 1), srv("b", 20, 1)}, []int{0, 0, 0}, "a,b,c"},
		// Weights 10 and 90: running sums 10, 100; a draw of 0..10 picks
		// x, 11..100 picks y.
		{"low draw picks the lighter", []*dns.SRV{srv("x", 10, 10), srv("y", 10, 90)}, []int{5, 0}, "x,y"},
		{"draw at the first sum picks it", []*dns.SRV{srv("x", 10, 10), srv("y", 10, 90)}, []int{10, 0}, "x,y"},
		{"draw past the first sum picks the heavier", []*dns.SRV{srv("x", 10, 10), srv("y", 10, 90)}, []int{11, 0}, "y,x"},
		// Zero weights come first in the list (RFC 2782), so a draw of 0
		// picks one of them; any other, a weighted one.
		{"zero weight chosen on a draw of 0", []*dns.SRV{srv("w", 10, 50), srv("z", 10, 0)}, []int{0, 0}, "z,w"},
		{"zero weight last otherwise", []*dns.SRV{srv("w", 10, 50), srv("z", 10, 0)}, []int{1, 0}, "w,z"},
		{"all zero weights keep their order", []*dns.SRV{srv("p", 10, 0), srv("q", 10, 0)}, []int{0, 0}, "p,q"},
		{"weights within priority, then the next", []*dns.SRV{srv("backup", 20, 0), srv("m", 10, 60), srv("n", 10, 40)}, []int{70, 0, 0}, "n,m,backup"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(OrderSRV(tc.srvs, scripted(t, tc.draws...))); got != tc.want {
				t.Fatalf("order %s, want %s", got, tc.want)
			}
		})
	}
}

// TestOrderSRVWeights: over many orderings with a seeded source, each
// record of a priority comes first in proportion to its weight.
func TestOrderSRVWeights(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	srvs := []*dns.SRV{srv("a", 10, 10), srv("b", 10, 30), srv("c", 10, 60), srv("z", 20, 100)}
	first := map[string]int{}
	const runs = 20000
	for range runs {
		o := OrderSRV(srvs, rnd.IntN)
		if names(o[3:]) != "z" {
			t.Fatalf("the priority-20 record is not last: %s", names(o))
		}
		first[strings.TrimSuffix(o[0].Target, ".")]++
	}
	for name, weight := range map[string]float64{"a": 0.1, "b": 0.3, "c": 0.6} {
		share := float64(first[name]) / runs
		if share < weight-0.02 || share > weight+0.02 {
			t.Errorf("%s first in %.3f of orderings, want %.2f±0.02 (its weight)", name, share, weight)
		}
	}
}

// dnsZone is a DNS server on loopback serving a fixed zone, counting the
// queries it answers.
type dnsZone struct {
	addr    string
	queries atomic.Int64
	mu      sync.Mutex
	rrs     map[string][]dns.RR // by "name TYPE"
}

func startDNS(t *testing.T, records ...string) *dnsZone {
	t.Helper()
	z := &dnsZone{rrs: map[string][]dns.RR{}}
	for _, text := range records {
		rr, err := dns.NewRR(text)
		if err != nil {
			t.Fatalf("record %q: %v", text, err)
		}
		key := strings.ToLower(rr.Header().Name) + " " + dns.TypeToString[rr.Header().Rrtype]
		z.rrs[key] = append(z.rrs[key], rr)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	z.addr = pc.LocalAddr().String()
	started := make(chan struct{})
	server := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
			z.queries.Add(1)
			m := new(dns.Msg)
			m.SetReply(req)
			q := req.Question[0]
			z.mu.Lock()
			m.Answer = append(m.Answer, z.rrs[strings.ToLower(q.Name)+" "+dns.TypeToString[q.Qtype]]...)
			z.mu.Unlock()
			_ = w.WriteMsg(m)
		})}
	done := make(chan struct{})
	go func() { defer close(done); _ = server.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = server.Shutdown(); <-done })
	return z
}

func TestResolve(t *testing.T) {
	zone := startDNS(t,
		// carrier.test: NAPTR prefers TCP (order 10) to UDP (order 20);
		// TLS is listed but not ours to use.
		`carrier.test. 60 IN NAPTR 5 10 "s" "SIPS+D2T" "" _sips._tcp.carrier.test.`,
		`carrier.test. 60 IN NAPTR 10 10 "s" "SIP+D2T" "" _sip._tcp.carrier.test.`,
		`carrier.test. 60 IN NAPTR 20 10 "s" "SIP+D2U" "" _sip._udp.carrier.test.`,
		`_sips._tcp.carrier.test. 60 IN SRV 10 0 5061 tls.carrier.test.`,
		`_sip._tcp.carrier.test. 60 IN SRV 10 0 5070 sbc1.carrier.test.`,
		`_sip._udp.carrier.test. 60 IN SRV 10 0 5080 sbc1.carrier.test.`,
		`_sip._udp.carrier.test. 60 IN SRV 20 0 5090 sbc2.carrier.test.`,
		`tls.carrier.test. 60 IN A 127.0.0.9`,
		`sbc1.carrier.test. 60 IN A 127.0.0.11`,
		`sbc1.carrier.test. 60 IN AAAA ::1`,
		`sbc2.carrier.test. 60 IN A 127.0.0.12`,
		// srvonly.test: no NAPTR, SRV for UDP only.
		`_sip._udp.srvonly.test. 60 IN SRV 10 0 5062 sbc2.carrier.test.`,
		// plain.test: an A record alone.
		`plain.test. 60 IN A 127.0.0.13`,
		// dot.test: SRV says there is no SIP service here.
		`_sip._udp.dot.test. 60 IN SRV 0 0 0 .`,
		// named.test: NAPTR leads to other SRV names than the
		// transports' own, so that which was asked shows.
		`named.test. 60 IN NAPTR 10 10 "s" "SIP+D2T" "" _sip._tcp.via-naptr.test.`,
		`named.test. 60 IN NAPTR 20 10 "s" "SIPS+D2T" "" _sips._tcp.via-naptr.test.`,
		`_sip._tcp.via-naptr.test. 60 IN SRV 10 0 5071 sbc2.carrier.test.`,
		`_sips._tcp.via-naptr.test. 60 IN SRV 10 0 5073 tls.carrier.test.`,
		`_sip._tcp.named.test. 60 IN SRV 10 0 5072 sbc2.carrier.test.`,
		`_sip._udp.named.test. 60 IN SRV 10 0 5074 sbc2.carrier.test.`,
		`_sips._tcp.named.test. 60 IN SRV 10 0 5075 tls.carrier.test.`,
		// udponly.test: NAPTR offers no SIPS service.
		`udponly.test. 60 IN NAPTR 10 10 "s" "SIP+D2U" "" _sip._udp.carrier.test.`,
		// sipsrv.test: no NAPTR; SRV for SIPS alongside SIP.
		`_sips._tcp.sipsrv.test. 60 IN SRV 10 0 5076 tls.carrier.test.`,
		`_sip._udp.sipsrv.test. 60 IN SRV 10 0 5077 sbc2.carrier.test.`,
	)
	ctx := context.Background()
	for _, tc := range []struct {
		address    string
		transports []string
		want       string
		wantErr    bool
		transport  string // the URI's transport parameter
		secure     bool   // a sips: URI
	}{
		{"carrier.test", []string{"UDP", "TCP"}, "TCP 127.0.0.11:5070,TCP [::1]:5070,UDP 127.0.0.11:5080,UDP [::1]:5080,UDP 127.0.0.12:5090", false, "", false},
		{"carrier.test", []string{"UDP"}, "UDP 127.0.0.11:5080,UDP [::1]:5080,UDP 127.0.0.12:5090", false, "", false},
		{"srvonly.test", []string{"UDP", "TCP"}, "UDP 127.0.0.12:5062", false, "", false},
		{"plain.test", []string{"UDP", "TCP"}, "UDP 127.0.0.13:5060", false, "", false},
		// An explicit port skips NAPTR and SRV (RFC 3263 §4.2).
		{"sbc2.carrier.test:5099", []string{"UDP"}, "UDP 127.0.0.12:5099", false, "", false},
		{"192.0.2.7:5070", []string{"UDP"}, "UDP 192.0.2.7:5070", false, "", false},
		{"192.0.2.7", []string{"UDP"}, "UDP 192.0.2.7:5060", false, "", false},
		{"[2001:db8::7]:5070", []string{"UDP"}, "UDP [2001:db8::7]:5070", false, "", false},
		{"nowhere.test", []string{"UDP"}, "", true, "", false},
		{"dot.test", []string{"UDP"}, "", true, "", false},
		// A transport named skips NAPTR for that transport's SRV (RFC
		// 3263 §4.1, §4.2).
		{"named.test", []string{"UDP", "TCP"}, "TCP 127.0.0.12:5071", false, "", false},
		{"named.test", []string{"UDP", "TCP"}, "TCP 127.0.0.12:5072", false, "tcp", false},
		{"named.test", []string{"UDP", "TCP"}, "UDP 127.0.0.12:5074", false, "udp", false},
		{"named.test", []string{"UDP", "TCP"}, "TLS 127.0.0.9:5075", false, "tls", false},
		{"plain.test", []string{"UDP", "TCP"}, "TCP 127.0.0.13:5060", false, "tcp", false},
		{"sbc2.carrier.test:5099", []string{"UDP", "TCP"}, "TCP 127.0.0.12:5099", false, "tcp", false},
		{"192.0.2.7", []string{"UDP", "TCP"}, "TLS 192.0.2.7:5061", false, "tls", false},
		// sips: NAPTR's SIPS+D2T alone, then _sips._tcp, then A on 5061.
		{"carrier.test", []string{"UDP", "TCP"}, "TLS 127.0.0.9:5061", false, "", true},
		{"named.test", []string{"UDP", "TCP"}, "TLS 127.0.0.9:5073", false, "", true},
		{"named.test", []string{"UDP", "TCP"}, "TLS 127.0.0.9:5075", false, "tls", true},
		{"sipsrv.test", []string{"UDP", "TCP"}, "TLS 127.0.0.9:5076", false, "", true},
		{"plain.test", []string{"UDP", "TCP"}, "TLS 127.0.0.13:5061", false, "", true},
		{"udponly.test", []string{"UDP", "TCP"}, "", true, "", true},
	} {
		t.Run(tc.address+"/"+strings.Join(tc.transports, "+")+"/"+tc.transport+map[bool]string{true: "/sips"}[tc.secure], func(t *testing.T) {
			r, err := NewResolver([]string{zone.addr}, tc.transports, 1)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.ResolveURI(ctx, tc.address, tc.transport, tc.secure)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("resolved to %v; want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, tg := range got {
				s = append(s, tg.String())
			}
			if strings.Join(s, ",") != tc.want {
				t.Fatalf("targets\n got %s\nwant %s", strings.Join(s, ","), tc.want)
			}
		})
	}
}

// TestResolveCachesForTTL: answers are reused while their TTL lasts and
// asked again after.
func TestResolveCachesForTTL(t *testing.T) {
	zone := startDNS(t, `_sip._udp.cache.test. 30 IN SRV 10 0 5060 host.cache.test.`, `host.cache.test. 300 IN A 127.0.0.20`)
	r, err := NewResolver([]string{zone.addr}, []string{"UDP"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	r.now = func() time.Time { return now }
	want := []Target{{Transport: "UDP", Addr: netip.MustParseAddrPort("127.0.0.20:5060"), Host: "host.cache.test"}}
	resolve := func() {
		t.Helper()
		got, err := r.Resolve(context.Background(), "cache.test")
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("Resolve: %v, %v; want %v", got, err, want)
		}
	}
	resolve()
	// NAPTR (none), SRV, A, AAAA (none).
	first := zone.queries.Load()
	if first != 4 {
		t.Fatalf("%d queries for a cold cache, want 4 (NAPTR, SRV, A, AAAA)", first)
	}
	now = now.Add(29 * time.Second)
	resolve()
	if n := zone.queries.Load(); n != first {
		t.Fatalf("%d more queries within every TTL, want none", n-first)
	}
	now = now.Add(2 * time.Second) // past the SRV's 30 s; A's 300 s lasts
	resolve()
	if n := zone.queries.Load() - first; n != 1 {
		t.Fatalf("%d queries once the SRV's TTL passed, want 1 (the SRV alone)", n)
	}
}

func TestResolveServerDown(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0") // bound, silent
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	r, err := NewResolver([]string{pc.LocalAddr().String()}, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if got, err := r.Resolve(ctx, "carrier.test"); err == nil {
		t.Fatalf("resolved %v with no DNS server answering", got)
	} else if !strings.Contains(err.Error(), "NAPTR") {
		t.Fatalf("error %q does not say what was being looked up", err)
	}
}

// TestMarkDown: a target that failed is tried after the others for 30 s,
// then in its place again.
func TestMarkDown(t *testing.T) {
	zone := startDNS(t,
		`_sip._udp.pair.test. 60 IN SRV 10 0 5060 a.pair.test.`,
		`_sip._udp.pair.test. 60 IN SRV 20 0 5060 b.pair.test.`,
		`a.pair.test. 600 IN A 127.0.0.21`,
		`b.pair.test. 600 IN A 127.0.0.22`,
	)
	r, err := NewResolver([]string{zone.addr}, []string{"UDP"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	r.now = func() time.Time { return now }
	order := func() string {
		t.Helper()
		got, err := r.Resolve(context.Background(), "pair.test")
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, tg := range got {
			s = append(s, tg.Addr.Addr().String())
		}
		return strings.Join(s, ",")
	}
	if got := order(); got != "127.0.0.21,127.0.0.22" {
		t.Fatalf("order %s, want by priority", got)
	}
	r.MarkDown(Target{Transport: "UDP", Addr: netip.MustParseAddrPort("127.0.0.21:5060"), Host: "a.pair.test"})
	if got := order(); got != "127.0.0.22,127.0.0.21" {
		t.Fatalf("order %s after the first failed, want it last", got)
	}
	now = now.Add(31 * time.Second)
	if got := order(); got != "127.0.0.21,127.0.0.22" {
		t.Fatalf("order %s once its 30 s passed, want by priority again", got)
	}
}
