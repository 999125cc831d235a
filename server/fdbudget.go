package server

// descriptorReserve is kept beyond calls and connections for what the
// server itself holds: the database and its journal, the listeners, the
// log, DNS look-ups, trunks' connections, the runtime's own.
const descriptorReserve = 128

// fdsPerCall are a call's sockets: its RTP socket, and an agent's leg.
const fdsPerCall = 2

// connBudget is how many client connections, SIP's and HTTP's, the
// descriptor limit allows, and the caps that follow from it.
type connBudget struct {
	limit     uint64 // RLIMIT_NOFILE in force
	calls     int    // descriptors kept for calls
	conns     int    // descriptors the connection caps share
	sipTCP    int    // cap on SIP TCP connections (and on TLS ones, apart)
	sipSource int
	http      int
	httpSrc   int
}

// budgetOf shares the descriptor limit: first the reserve, then the calls
// (max_calls, or as many as rtp_ports holds if fewer), then connections.
// Connections are refused rather than calls: they get what the calls
// leave, but never less than a quarter of what the reserve leaves, so
// that a limit too low for max_calls still leaves the API reachable (the
// calls past it then get 503 for want of a descriptor). When that is less
// than the configured caps add up to (SIP TCP, SIP TLS apart, and HTTP),
// each is lowered in proportion.
func budgetOf(limit uint64, calls, sipTCP, sipSource int, tls bool, http, httpSource int) connBudget {
	b := connBudget{limit: limit, calls: fdsPerCall * calls}
	avail := 0
	if limit > descriptorReserve {
		avail = int(min(limit-descriptorReserve, 1<<30))
	}
	b.conns = max(avail-b.calls, avail/4)
	b.calls = avail - b.conns
	want := sipTCP + http
	if tls {
		want += sipTCP // the TCP and TLS listeners are capped apart
	}
	b.sipTCP, b.http = sipTCP, http
	if want > b.conns {
		b.sipTCP = sipTCP * b.conns / want
		b.http = http * b.conns / want
	}
	b.sipTCP = max(b.sipTCP, 1)
	b.http = max(b.http, 1)
	b.sipSource = max(min(sipSource, b.sipTCP), 1)
	b.httpSrc = max(min(httpSource, b.http), 1)
	return b
}
