package sip

import (
	"net"
	"sync"
)

// listeningConn is the UDP socket as sipgo reads it. Its first read
// means sipgo has taken it as its listener, from which the requests we
// send go out too; before that, a request to a new peer would make
// sipgo bind the same address anew, and fail. Requests that do not
// answer a peer (an outbound registration at start) wait for it.
type listeningConn struct {
	net.PacketConn
	once  sync.Once
	ready chan struct{}
}

func newListeningConn(c net.PacketConn) *listeningConn {
	return &listeningConn{PacketConn: c, ready: make(chan struct{})}
}

func (l *listeningConn) ReadFrom(b []byte) (int, net.Addr, error) {
	l.once.Do(func() { close(l.ready) })
	return l.PacketConn.ReadFrom(b)
}
