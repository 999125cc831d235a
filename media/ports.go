package media

import (
	crand "crypto/rand"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"

	"golang.org/x/sys/unix"
)

// Ports hands out even UDP ports from a range for RTP, leaving the odd port
// above each for RTCP as RFC 3550 expects. Each port is drawn at random
// among those not in use, so that the port of the next call cannot be
// guessed from the last one's (a sender that knows it can aim stray media
// at a call before its phone starts sending); a closed socket's port goes
// back to the pool.
type Ports struct {
	mu        sync.Mutex
	low, high int
	free      []uint16 // the even ports not handed out, in no order
	rng       *rand.Rand
	listen    func(netip.AddrPort) (*Socket, error) // ListenSocket; tests replace it
}

// NewPorts serves ports from low to high inclusive.
func NewPorts(low, high int) (*Ports, error) {
	if low < 1024 || high > 65534 || low >= high {
		return nil, fmt.Errorf("rtp port range %d-%d: want 1024 <= low < high <= 65534", low, high)
	}
	low += low & 1
	free := make([]uint16, 0, (high-low)/2+1)
	for port := low; port <= high; port += 2 {
		free = append(free, uint16(port))
	}
	var seed [32]byte
	_, _ = crand.Read(seed[:])
	return &Ports{low: low, high: high, free: free, rng: rand.New(rand.NewChaCha8(seed)), listen: ListenSocket}, nil
}

// Listen binds a UDP socket on ip at a free even port of the range, drawn
// at random; closing the socket frees the port.
func (p *Ports) Listen(ip netip.Addr) (*Socket, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// A partial shuffle: free[:tried] are the ports this call found taken
	// by another process (they stay in the pool for later calls), and each
	// draw is uniform over the rest, so a nearly full range is still
	// searched to the end, once each.
	for tried := 0; tried < len(p.free); tried++ {
		i := tried + p.rng.IntN(len(p.free)-tried)
		p.free[tried], p.free[i] = p.free[i], p.free[tried]
		port := p.free[tried]
		sock, err := p.listen(netip.AddrPortFrom(ip, port))
		if err != nil {
			if errors.Is(err, unix.EADDRINUSE) {
				continue
			}
			return nil, err // the address, not the port: no other port would do
		}
		last := len(p.free) - 1
		p.free[tried] = p.free[last]
		p.free = p.free[:last]
		sock.release = func() { p.put(port) }
		return sock, nil
	}
	return nil, fmt.Errorf("no free rtp port in %d-%d on %s", p.low, p.high, ip)
}

func (p *Ports) put(port uint16) {
	p.mu.Lock()
	p.free = append(p.free, port)
	p.mu.Unlock()
}
