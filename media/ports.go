package media

import (
	"fmt"
	"net/netip"
	"sync"
)

// Ports hands out even UDP ports from a range for RTP, leaving the odd port
// above each for RTCP as RFC 3550 expects.
type Ports struct {
	mu        sync.Mutex
	low, high int
	next      int
}

// NewPorts serves ports from low to high inclusive.
func NewPorts(low, high int) (*Ports, error) {
	if low < 1024 || high > 65534 || low >= high {
		return nil, fmt.Errorf("rtp port range %d-%d: want 1024 <= low < high <= 65534", low, high)
	}
	low += low & 1
	return &Ports{low: low, high: high, next: low}, nil
}

// Listen binds a UDP socket on ip at the next free even port of the range.
func (p *Ports) Listen(ip netip.Addr) (*Socket, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	span := (p.high - p.low) / 2
	for range span + 1 {
		port := p.next
		p.next += 2
		if p.next > p.high {
			p.next = p.low
		}
		sock, err := ListenSocket(netip.AddrPortFrom(ip, uint16(port)))
		if err == nil {
			return sock, nil
		}
	}
	return nil, fmt.Errorf("no free rtp port in %d-%d on %s", p.low, p.high, ip)
}
