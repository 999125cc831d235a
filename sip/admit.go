package sip

import (
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Admission says who may call in. A server on a public address is found
// by scanners within minutes, and each INVITE they send would otherwise
// run a dial plan, hold an RTP port and, through a queue, ring an agent;
// so a new call (an out-of-dialog INVITE) is taken only from a trunk
// (Config.Trusted), from the address a live registration of an agent's
// phone came from, or from Networks. Anything else gets 403 with no
// transaction kept. Requests within a dialog are never screened here:
// the dialog itself says they belong.
type Admission struct {
	// Networks are where callers that are neither a trunk nor a
	// registered phone may call from: desk phones on the LAN, a proxy.
	Networks []netip.Prefix
}

// Admission security lines: one per source every admissionLogEvery, and
// at most admissionLinesPerSecond in all, as for authentication.
const (
	admissionLogEvery       = 10 * time.Second
	admissionLinesPerSecond = 20
)

// admission is the screen's check of where a new call comes from.
type admission struct {
	trunks *prefixSet
	// networks are replaced whole on reload.
	networks   atomic.Pointer[[]netip.Prefix]
	registered func(netip.Addr) bool
	log        *securityLog
	// refused counts the INVITEs answered 403.
	refused atomic.Uint64
}

func newAdmission(trunks *prefixSet, cfg Admission, registered func(netip.Addr) bool, log *securityLog) *admission {
	a := &admission{trunks: trunks, registered: registered, log: log}
	a.set(cfg)
	return a
}

func (a *admission) set(cfg Admission) {
	networks := append([]netip.Prefix(nil), cfg.Networks...)
	a.networks.Store(&networks)
}

// admits reports whether a new call from src is taken.
func (a *admission) admits(src netip.Addr) bool {
	src = src.Unmap()
	if a.trunks.contains(src) {
		return true
	}
	for _, p := range *a.networks.Load() {
		if p.Contains(src) {
			return true
		}
	}
	return a.registered(src)
}

// refuse counts a call turned away and writes its security line. The
// source comes first after the event, before anything the caller chose,
// so that a log filter (fail2ban) reading "source=" finds ours.
func (a *admission) refuse(req *sip.Request, src netip.AddrPort, transport string) {
	a.refused.Add(1)
	addr := src.Addr().Unmap()
	from := ""
	if f := req.From(); f != nil {
		from = f.Address.User
	}
	a.log.warn(time.Now(), "", addr, false, "security: SIP call refused: source not admitted",
		"event", "call_not_admitted", "source", addr.String(), "transport", transport,
		"number", logUser(req.Recipient.User), "from", logUser(from))
}

// refusedCalls counts the calls turned away; a nil admission (every
// source admitted) turns none away.
func (a *admission) refusedCalls() uint64 {
	if a == nil {
		return 0
	}
	return a.refused.Load()
}

// SetAdmission puts a new list of networks in force at once, for new
// calls; calls up stay. On a server started without an Admission, which
// admits every source, it does nothing.
func (s *Server) SetAdmission(cfg Admission) {
	if s.screen.admit != nil {
		s.screen.admit.set(cfg)
	}
}

// addressIndexLocked publishes, after bindings change, the latest expiry
// of a live binding by the address it registered from. The screen looks
// there for every INVITE from a source that is neither trunk nor listed
// network, on the socket's read path: it must neither scan every binding
// (a flood of INVITEs from forged sources would cost as much as there are
// phones) nor wait for r.mu, held while a change is stored.
func (r *registrar) addressIndexLocked() {
	index := map[netip.Addr]time.Time{}
	for _, list := range r.bindings {
		for _, b := range list {
			ap, err := netip.ParseAddrPort(b.Source)
			if err != nil {
				continue
			}
			addr := ap.Addr().Unmap()
			if b.Expires.After(index[addr]) {
				index[addr] = b.Expires
			}
		}
	}
	r.byAddr.Store(&index)
}

// unlock releases r.mu after a change to the bindings, reindexing them.
func (r *registrar) unlock() {
	r.addressIndexLocked()
	r.mu.Unlock()
}

// fromAddress reports whether a live binding registered from addr.
func (r *registrar) fromAddress(addr netip.Addr) bool {
	index := r.byAddr.Load()
	return index != nil && (*index)[addr.Unmap()].After(r.now())
}
