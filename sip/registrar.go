package sip

import (
	"fmt"
	"log/slog"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Registration limits (RFC 3261 §10.3).
const (
	minExpires     = 60
	maxExpires     = 3600
	defaultExpires = 3600
)

// Binding is where an agent's phone can be reached.
type Binding struct {
	Contact   sip.Uri
	Source    string // where the REGISTER came from: phones behind NAT are reached there
	Transport string
	Expires   time.Time
	CallID    string
	CSeq      uint32
	// misses counts OPTIONS the phone left unanswered in a row; past the
	// qualify limit the binding is unreachable until it answers again or
	// registers anew, and no call is offered through it.
	misses      int
	unreachable bool
}

// registrar keeps the contacts of authenticated agents, and writes them
// through to store (when there is one) so that they survive a restart.
type registrar struct {
	mu       sync.Mutex // guards bindings; held while a change is stored
	bindings map[string][]Binding
	now      func() time.Time
	changed  func(user string, reachable bool, cause string)
	// reported is what each user was last told: reachable, or
	// unreachable with live bindings (no-response); absent, neither. So
	// every path that changes bindings tells exactly the changes, and a
	// phone found silent that then unregisters or expires is told too.
	reported map[string]phoneState
	store    BindingStore
	log      *slog.Logger
	// byAddr is the latest expiry of a binding by the address it
	// registered from; see addressIndexLocked.
	byAddr atomic.Pointer[map[netip.Addr]time.Time]
}

// Why an agent's phone became reachable or not, as the events say it.
const (
	CauseRegistered   = "registered"   // a REGISTER added a binding
	CauseRestored     = "restored"     // a stored binding came back at start
	CauseResponding   = "responding"   // an unreachable phone answered OPTIONS again
	CauseUnregistered = "unregistered" // a REGISTER removed the bindings
	CauseExpired      = "expired"      // the bindings ran out
	CauseNoResponse   = "no-response"  // the phone left OPTIONS unanswered
	CauseQualifyOff   = "qualify-off"  // qualify was turned off: a silent phone is taken as there
)

func newRegistrar(changed func(string, bool, string), store BindingStore, log *slog.Logger) *registrar {
	if changed == nil {
		changed = func(string, bool, string) {}
	}
	return &registrar{bindings: map[string][]Binding{}, reported: map[string]phoneState{}, now: time.Now, changed: changed, store: store, log: log}
}

// change is one reachability change to tell, once r.mu is released.
type change struct {
	user      string
	reachable bool
	cause     string
}

// phoneState is a user's reachability as last told.
type phoneState int

const (
	phoneGone        phoneState = iota // no live binding
	phoneReachable                     // a live binding that answers
	phoneUnreachable                   // live bindings, none answering OPTIONS
)

// settleLocked compares user's reachability with what was last told and
// returns the change to tell, if any; r.mu is held. cause is why the
// bindings changed; a user whose live bindings are all unreachable is
// told no-response whatever the cause.
func (r *registrar) settleLocked(user, cause string, out []change) []change {
	now := phoneGone
	switch {
	case r.reachableLocked(user):
		now = phoneReachable
	case r.liveLocked(user):
		now, cause = phoneUnreachable, CauseNoResponse
	}
	if now == r.reported[user] {
		return out
	}
	if now == phoneGone {
		delete(r.reported, user)
	} else {
		r.reported[user] = now
	}
	return append(out, change{user: user, reachable: now == phoneReachable, cause: cause})
}

func (r *registrar) tell(changes []change) {
	for _, c := range changes {
		r.changed(c.user, c.reachable, c.cause)
	}
}

// Contacts returns the live, reachable bindings of user, newest first.
// It drops nothing: only sweep and register expire bindings, because
// they are the ones that tell the distributor an agent became
// unreachable.
func (r *registrar) Contacts(user string) []Binding {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	var out []Binding
	for _, b := range r.bindings[user] {
		if b.Expires.After(now) && !b.unreachable {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Expires.After(out[j].Expires) })
	return out
}

// registeredFrom reports whether user has a live binding registered from
// src, reachable or not: a phone that authenticated there.
func (r *registrar) registeredFrom(user string, src netip.Addr) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for _, b := range r.bindings[user] {
		if ap, err := netip.ParseAddrPort(b.Source); err == nil && ap.Addr().Unmap() == src && b.Expires.After(now) {
			return true
		}
	}
	return false
}

// fromSource reports whether a live binding was registered from source
// over transport: the connection it came on is how the phone is reached.
func (r *registrar) fromSource(transport, source string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for _, list := range r.bindings {
		for _, b := range list {
			if b.Source == source && strings.EqualFold(b.Transport, transport) && b.Expires.After(now) {
				return true
			}
		}
	}
	return false
}

// Registered reports whether user has a live binding that answers (or
// has not yet been found not to answer) OPTIONS. The distributor asks it
// for every agent it may offer a call to: it copies nothing.
func (r *registrar) Registered(user string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reachableLocked(user)
}

func (r *registrar) reachableLocked(user string) bool {
	now := r.now()
	for _, b := range r.bindings[user] {
		if b.Expires.After(now) && !b.unreachable {
			return true
		}
	}
	return false
}

func (r *registrar) liveLocked(user string) bool {
	now := r.now()
	for _, b := range r.bindings[user] {
		if b.Expires.After(now) {
			return true
		}
	}
	return false
}

func (r *registrar) expireLocked(user string) {
	now := r.now()
	live := r.bindings[user][:0]
	for _, b := range r.bindings[user] {
		if b.Expires.After(now) {
			live = append(live, b)
		}
	}
	if len(live) == 0 {
		delete(r.bindings, user)
		return
	}
	r.bindings[user] = live
}

// sweep drops expired bindings and reports agents who became unreachable.
func (r *registrar) sweep() {
	r.mu.Lock()
	var changes []change
	for user, before := range r.bindings {
		n := len(before)
		r.expireLocked(user)
		if len(r.bindings[user]) != n {
			r.persistLocked(user)
		}
		changes = r.settleLocked(user, CauseExpired, changes)
	}
	r.unlock()
	r.tell(changes)
}

// register applies an authenticated REGISTER and answers it.
func (r *registrar) register(user string, req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to == nil || to.Address.User != user {
		respond(tx, req, 403, "Forbidden") // one may register only oneself
		return
	}
	expires := defaultExpires
	if h := req.GetHeader("Expires"); h != nil {
		if v, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil {
			expires = v
		}
	}
	contacts := req.GetHeaders("Contact")
	r.mu.Lock()
	// Bindings that ran out since the last sweep: the agent went
	// unreachable then, and is told so before anything else.
	changes := r.settleLocked(user, CauseExpired, nil)
	for _, h := range contacts {
		value := strings.TrimSpace(h.Value())
		if value == "*" {
			if expires != 0 || len(contacts) != 1 {
				r.unlock()
				respond(tx, req, 400, "Bad Request")
				return
			}
			delete(r.bindings, user)
			continue
		}
		var c sip.ContactHeader
		c.Params = sip.NewParams()
		if _, err := sip.ParseAddressValue(value, &c.Address, &c.Params); err != nil {
			r.unlock()
			respond(tx, req, 400, "Bad Contact")
			return
		}
		exp := expires
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil {
				exp = n
			}
		}
		if exp > 0 && exp < minExpires {
			r.unlock()
			respond(tx, req, 423, "Interval Too Brief", sip.NewHeader("Min-Expires", strconv.Itoa(minExpires)))
			return
		}
		exp = min(exp, maxExpires)
		list := r.bindings[user][:0]
		for _, b := range r.bindings[user] {
			if b.Contact.String() != c.Address.String() {
				list = append(list, b)
			}
		}
		if exp > 0 {
			list = append(list, Binding{Contact: c.Address, Source: req.Source(), Transport: req.Transport(),
				Expires: r.now().Add(time.Duration(exp) * time.Second), CallID: req.CallID().Value(), CSeq: req.CSeq().SeqNo})
		}
		if len(list) == 0 {
			delete(r.bindings, user)
		} else {
			r.bindings[user] = list
		}
	}
	r.expireLocked(user) // here, so that a refused REGISTER drops nothing unannounced
	cause := CauseRegistered
	if len(r.bindings[user]) == 0 {
		cause = CauseUnregistered
	}
	changes = r.settleLocked(user, cause, changes)
	r.persistLocked(user)
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	for _, b := range r.bindings[user] {
		left := int(b.Expires.Sub(r.now()).Round(time.Second) / time.Second)
		res.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<%s>;expires=%d", b.Contact.String(), left)))
	}
	r.unlock()
	_ = tx.Respond(res)
	r.tell(changes)
}
