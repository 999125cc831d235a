package media

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeListen replaces binding in p: ports in taken fail as a port another
// process holds does, and the rest succeed without a real socket.
func fakeListen(p *Ports, taken map[uint16]bool) {
	p.listen = func(ap netip.AddrPort) (*Socket, error) {
		if taken[ap.Port()] {
			return nil, fmt.Errorf("rtp socket %v: %w", ap, unix.EADDRINUSE)
		}
		return &Socket{fd: -1, local: ap}, nil
	}
}

func mustPorts(t *testing.T, low, high int) *Ports {
	t.Helper()
	p, err := NewPorts(low, high)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func take(t *testing.T, p *Ports) (*Socket, uint16) {
	t.Helper()
	s, err := p.Listen(netip.MustParseAddr("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	return s, s.LocalAddr().Port()
}

// TestPortsAreUnpredictable: two servers hand out different sequences, and
// a port does not tell the next.
func TestPortsAreUnpredictable(t *testing.T) {
	seq := func() []uint16 {
		p := mustPorts(t, 20000, 29999)
		var out []uint16
		for range 50 {
			s, port := take(t, p)
			t.Cleanup(func() { _ = s.Close() })
			out = append(out, port)
		}
		return out
	}
	a, b := seq(), seq()
	if slices.Equal(a, b) {
		t.Fatalf("two Ports handed out the same sequence %v", a)
	}
	steps := map[int]int{}
	for i := 1; i < len(a); i++ {
		steps[int(a[i])-int(a[i-1])]++
	}
	for step, n := range steps {
		if n > 3 {
			t.Fatalf("%d of %d steps between ports are %+d: %v", n, len(a)-1, step, a)
		}
	}
	for _, port := range a {
		if port%2 != 0 || port < 20000 || port > 29999 {
			t.Fatalf("port %d: want even, within 20000-29999", port)
		}
	}
}

// TestPortsSpreadEvenly: drawn one at a time and given back, every port of
// a small range comes up about as often as the others.
func TestPortsSpreadEvenly(t *testing.T) {
	p := mustPorts(t, 40000, 40019) // 10 even ports
	fakeListen(p, nil)
	counts := map[uint16]int{}
	const draws = 20000
	for range draws {
		s, port := take(t, p)
		counts[port]++
		_ = s.Close()
	}
	if len(counts) != 10 {
		t.Fatalf("%d distinct ports in %d draws, want all 10: %v", len(counts), draws, counts)
	}
	for port, n := range counts {
		if n < draws/10*8/10 || n > draws/10*12/10 {
			t.Fatalf("port %d drawn %d times of %d, want about %d: %v", port, n, draws, draws/10, counts)
		}
	}
}

// TestPortsNearlyFull: every port is handed out once before the range
// runs dry, a port another process holds is skipped, and a port given
// back is the one handed out next.
func TestPortsNearlyFull(t *testing.T) {
	p := mustPorts(t, 40001, 40040) // 40002…40040: 20 even ports
	fakeListen(p, map[uint16]bool{40010: true, 40022: true})
	held := map[uint16]*Socket{}
	for range 18 {
		s, port := take(t, p)
		if held[port] != nil {
			t.Fatalf("port %d handed out twice", port)
		}
		if port == 40010 || port == 40022 {
			t.Fatalf("port %d, held by another process, handed out", port)
		}
		held[port] = s
	}
	if _, err := p.Listen(netip.MustParseAddr("127.0.0.1")); err == nil {
		t.Fatal("a port handed out from a full range")
	}
	_ = held[40030].Close()
	if _, port := take(t, p); port != 40030 {
		t.Fatalf("port %d handed out, want 40030, the only one free", port)
	}
	// The ports another process held are tried again later.
	fakeListen(p, nil)
	got := map[uint16]bool{}
	for range 2 {
		_, port := take(t, p)
		got[port] = true
	}
	if !got[40010] || !got[40022] {
		t.Fatalf("ports %v, want 40010 and 40022 once their holder let go", got)
	}
}

// TestPortsBindForReal: sockets from the range are real, distinct, and
// their ports come back when closed.
func TestPortsBindForReal(t *testing.T) {
	p := mustPorts(t, 46000, 46999)
	var socks []*Socket
	seen := map[uint16]bool{}
	for range 20 {
		s, port := take(t, p)
		if seen[port] || port%2 != 0 || port < 46000 || port > 46999 {
			t.Fatalf("port %d: want a new even port within 46000-46999", port)
		}
		seen[port] = true
		socks = append(socks, s)
	}
	free := len(p.free)
	for _, s := range socks {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(p.free) != free+len(socks) {
		t.Fatalf("%d ports free after closing %d sockets, want %d", len(p.free), len(socks), free+len(socks))
	}
	if _, err := p.Listen(netip.MustParseAddr("192.0.2.1")); err == nil {
		t.Fatal("bound an address this machine does not have")
	}
	if len(p.free) != free+len(socks) {
		t.Fatal("a failed bind lost ports")
	}
}
