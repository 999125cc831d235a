package sip

import (
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// StoredBinding is a Binding as storage keeps it.
type StoredBinding struct {
	Agent     string
	Contact   string
	Source    string
	Transport string
	CallID    string
	CSeq      uint32
	Expires   time.Time
}

// BindingStore keeps registrations across restarts, so that a restarted
// server rings agents whose phones registered before it stopped.
type BindingStore interface {
	// Replace stores an agent's live bindings in place of the old ones.
	Replace(agent string, bindings []StoredBinding) error
	// Live lists the bindings that have not expired.
	Live() ([]StoredBinding, error)
}

// persistLocked stores user's bindings; r.mu is held, so that stores of
// one user's changes keep their order.
func (r *registrar) persistLocked(user string) {
	if r.store == nil {
		return
	}
	var out []StoredBinding
	for _, b := range r.bindings[user] {
		out = append(out, StoredBinding{Agent: user, Contact: b.Contact.String(), Source: b.Source, Transport: b.Transport,
			CallID: b.CallID, CSeq: b.CSeq, Expires: b.Expires})
	}
	if err := r.store.Replace(user, out); err != nil {
		r.log.Error("registrations not stored: they will not survive a restart", "agent", user, "error", err)
	}
}

// restore takes back the stored bindings and reports their agents
// reachable. Only UDP bindings come back: a TCP or TLS phone is reached
// over the connection it registered on, which did not survive the
// restart; such phones reconnect and register again when it drops.
func (r *registrar) restore() {
	if r.store == nil {
		return
	}
	stored, err := r.store.Live()
	if err != nil {
		r.log.Error("stored registrations not read: agents are reachable once their phones register again", "error", err)
		return
	}
	r.mu.Lock()
	now := r.now()
	var changes []change
	for _, sb := range stored {
		if !sb.Expires.After(now) || !strings.EqualFold(sb.Transport, "UDP") {
			continue
		}
		var uri sip.Uri
		if err := sip.ParseUri(sb.Contact, &uri); err != nil {
			continue
		}
		r.bindings[sb.Agent] = append(r.bindings[sb.Agent], Binding{Contact: uri, Source: sb.Source, Transport: sb.Transport,
			Expires: sb.Expires, CallID: sb.CallID, CSeq: sb.CSeq})
		changes = r.settleLocked(sb.Agent, CauseRestored, changes)
	}
	r.unlock()
	for _, c := range changes {
		r.log.Info("registration restored", "agent", c.user)
	}
	r.tell(changes)
}
