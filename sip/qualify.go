package sip

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Qualify is how often registered phones are asked, with OPTIONS, whether
// they are still there (the "qualify" of Asterisk and Kamailio). A phone
// can vanish without unregistering (it lost power, its Wi-Fi, its NAT
// binding, or it hangs), and its registration would go on promising it for
// up to an hour: every call offered to its agent meanwhile rings nothing
// for a whole ring timeout.
type Qualify struct {
	// Interval is how often each contact is asked; zero turns it off.
	Interval time.Duration
	// Timeout bounds one OPTIONS; shorter than Interval.
	Timeout time.Duration
	// Failures is how many OPTIONS in a row may go unanswered before the
	// phone is unreachable; at least one.
	Failures int
	// Concurrency bounds the OPTIONS in flight at once; zero is 32.
	Concurrency int
}

const defaultQualifyConcurrency = 32

// qualifyTarget is one binding to ask, as the registrar held it when the
// round began.
type qualifyTarget struct {
	user      string
	contact   sip.Uri
	source    string
	transport string
	callID    string
	cseq      uint32
}

// key names the binding across refreshes: a phone's re-REGISTER keeps
// its Call-ID (RFC 3261 §10.2.4) and so its place in the schedule.
func (t qualifyTarget) key() string { return t.user + "\x00" + t.contact.String() + "\x00" + t.callID }

// qualifyTargets lists every live binding.
func (r *registrar) qualifyTargets() []qualifyTarget {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	var out []qualifyTarget
	for user, list := range r.bindings {
		for _, b := range list {
			if b.Expires.After(now) {
				out = append(out, qualifyTarget{user: user, contact: b.Contact, source: b.Source, transport: b.Transport, callID: b.CallID, cseq: b.CSeq})
			}
		}
	}
	return out
}

// qualified records the outcome of one OPTIONS: answered resets the
// misses, and makes an unreachable binding reachable again; unanswered
// counts a miss, and the limit-th makes the binding unreachable. A
// binding registered again since the OPTIONS went out is left alone: its
// REGISTER said more recently that it is there. It reports whether the
// binding changed between reachable and unreachable, and the misses.
func (r *registrar) qualified(t qualifyTarget, answered bool, limit int) (flipped bool, misses int) {
	r.mu.Lock()
	var changes []change
	list := r.bindings[t.user]
	for i := range list {
		b := &list[i]
		if b.Contact.String() != t.contact.String() || b.CallID != t.callID || b.CSeq != t.cseq {
			continue
		}
		if answered {
			flipped = b.unreachable
			b.misses, b.unreachable = 0, false
		} else {
			b.misses++
			if b.misses >= limit && !b.unreachable {
				b.unreachable, flipped = true, true
			}
		}
		misses = b.misses
		cause := CauseResponding
		if !answered {
			cause = CauseNoResponse
		}
		changes = r.settleLocked(t.user, cause, changes)
		break
	}
	r.mu.Unlock() // the addresses registered from are unchanged: no reindex
	r.tell(changes)
	return flipped, misses
}

// forgetMisses clears every binding's misses, making those found silent
// reachable again, and tells the change with CauseQualifyOff: with
// qualify off, nothing would ever find them answering.
func (r *registrar) forgetMisses() {
	r.mu.Lock()
	var changes []change
	for user, list := range r.bindings {
		silent := false
		for i := range list {
			silent = silent || list[i].unreachable
			list[i].misses, list[i].unreachable = 0, false
		}
		if silent {
			changes = r.settleLocked(user, CauseQualifyOff, changes)
		}
	}
	r.mu.Unlock() // the addresses registered from are unchanged: no reindex
	r.tell(changes)
}

// UnreachablePhones counts the live bindings (an agent may have several
// phones) found not to answer OPTIONS: no call is offered through them.
func (s *Server) UnreachablePhones() int {
	r := s.registrar
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	n := 0
	for _, list := range r.bindings {
		for _, b := range list {
			if b.unreachable && b.Expires.After(now) {
				n++
			}
		}
	}
	return n
}

// normalized is q with its defaults filled in; the zero Qualify (off)
// when Interval is not positive.
func (q Qualify) normalized() Qualify {
	if q.Interval <= 0 {
		return Qualify{}
	}
	if q.Failures < 1 {
		q.Failures = 1
	}
	if q.Timeout <= 0 || q.Timeout >= q.Interval {
		q.Timeout = q.Interval / 2
	}
	if q.Concurrency <= 0 {
		q.Concurrency = defaultQualifyConcurrency
	}
	return q
}

// Results of one OPTIONS, as QualifyCounts counts them.
const (
	QualifyOK      = "ok"      // a final response, whatever its status
	QualifyTimeout = "timeout" // none within the timeout
	QualifyError   = "error"   // the request could not be sent, or the transport failed
)

// qualifyResults are the results by the index qualifier.probes counts
// them at.
var qualifyResults = [...]string{resultOK: QualifyOK, resultTimeout: QualifyTimeout, resultError: QualifyError}

const (
	resultOK = iota
	resultTimeout
	resultError
)

// qualifier runs the qualify loop under the settings in force, so that a
// reload changes them without touching registrations: the loop is
// stopped and one started under the new settings. The misses each
// binding has are the registrar's, and outlast the loop.
type qualifier struct {
	// mu guards the fields below, and is held while a loop is stopped and
	// another started, so that two changes never interleave.
	mu sync.Mutex
	q  Qualify // normalized; a zero Interval is off
	// ctx is the server's life while Serve runs (nil before), ended once
	// Serve stops: no loop starts then.
	ctx   context.Context
	ended bool
	stop  func() // the running loop's; nil when none runs

	// probes counts the OPTIONS answered, timed out and failed, indexed
	// as qualifyResults, one atomic add each.
	probes [len(qualifyResults)]atomic.Uint64
}

// SetQualify puts new qualify settings in force: the next OPTIONS follow
// them. Turning it off ends the OPTIONS and makes every phone found
// silent reachable again (nothing would ever find it answering);
// turning it on asks every registered phone from then on. Registrations
// and calls are untouched.
func (s *Server) SetQualify(q Qualify) {
	q = q.normalized()
	qr := &s.qualify
	qr.mu.Lock()
	defer qr.mu.Unlock()
	if q == qr.q {
		return
	}
	was := qr.q
	qr.q = q
	if qr.stop != nil {
		qr.stop()
		qr.stop = nil
	}
	if q.Interval == 0 && was.Interval > 0 {
		s.registrar.forgetMisses()
	}
	if qr.ctx != nil && !qr.ended && q.Interval > 0 {
		qr.stop = s.startQualifyLoop(qr.ctx, q)
	}
}

// startQualify starts asking registered phones under the settings in
// force, for as long as ctx lasts; the returned stop ends it, waits for
// the OPTIONS in flight, and keeps SetQualify from starting it again.
func (s *Server) startQualify(ctx context.Context) (stop func()) {
	qr := &s.qualify
	qr.mu.Lock()
	qr.ctx = ctx
	if qr.q.Interval > 0 && qr.stop == nil {
		qr.stop = s.startQualifyLoop(ctx, qr.q)
	}
	qr.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			qr.mu.Lock()
			defer qr.mu.Unlock()
			qr.ended = true
			if qr.stop != nil {
				qr.stop()
				qr.stop = nil
			}
		})
	}
}

// startQualifyLoop runs one qualify loop under q on a goroutine owned by
// the returned stop, which ends it and waits for the OPTIONS in flight.
func (s *Server) startQualifyLoop(ctx context.Context, q Qualify) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.qualifyLoop(ctx, q)
	}()
	return func() {
		cancel()
		<-done
	}
}

// qualifyLoop asks each binding once per interval. A binding's first
// OPTIONS comes one interval after the loop first sees it (its REGISTER
// has just said it is there), plus a fraction of the interval drawn from
// its key, so that phones that registered together (a restart, an
// office's power coming back) are asked spread over the interval rather
// than at once. A binding whose turn comes while Concurrency OPTIONS are
// in flight waits for the next tick.
func (s *Server) qualifyLoop(ctx context.Context, q Qualify) {
	tick := min(max(q.Interval/50, 10*time.Millisecond), time.Second)
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	slots := make(chan struct{}, q.Concurrency)
	var inflight sync.WaitGroup
	defer inflight.Wait()
	due := map[string]time.Time{} // by target key; this goroutine's alone
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		now := time.Now()
		seen := make(map[string]bool, len(due))
		for _, t := range s.registrar.qualifyTargets() {
			k := t.key()
			seen[k] = true
			at, ok := due[k]
			if !ok {
				due[k] = now.Add(q.Interval + spread(k, q.Interval))
				continue
			}
			if now.Before(at) {
				continue
			}
			select {
			case slots <- struct{}{}:
			default:
				continue // all slots busy: next tick
			}
			due[k] = now.Add(q.Interval)
			inflight.Add(1)
			go func() {
				defer inflight.Done()
				defer func() { <-slots }()
				s.qualifyOne(ctx, q, t)
			}()
		}
		for k := range due {
			if !seen[k] {
				delete(due, k) // unregistered or expired
			}
		}
	}
}

// spread is where within the interval a binding's first OPTIONS falls.
func spread(key string, interval time.Duration) time.Duration {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return time.Duration(h.Sum64() % uint64(interval))
}

// qualifyOne asks one binding and records the answer. Any final response
// counts as an answer, a 404 or 405 as much as a 200: the phone is there
// to say it, as Asterisk and Kamailio take it.
func (s *Server) qualifyOne(ctx context.Context, q Qualify, t qualifyTarget) {
	started := time.Now()
	res, err := s.options(ctx, q.Timeout, t)
	if ctx.Err() != nil {
		return // stopping, or new settings: not the phone's silence
	}
	switch {
	case err == nil:
		s.qualify.probes[resultOK].Add(1)
	case errors.Is(err, errOptionsTimeout):
		s.qualify.probes[resultTimeout].Add(1)
	default:
		s.qualify.probes[resultError].Add(1)
	}
	flipped, misses := s.registrar.qualified(t, err == nil, q.Failures)
	log := s.log.With("agent", t.user, "contact", t.contact.String(), "source", t.source, "transport", t.transport)
	switch {
	case err == nil && flipped:
		log.Info("agent's phone answers OPTIONS again: reachable", "status", res.StatusCode, "rtt_ms", time.Since(started).Milliseconds())
	case err != nil && flipped:
		log.Warn("agent's phone does not answer OPTIONS: unreachable, no call is offered to it until it answers", "misses", misses, "error", err)
	case err != nil:
		log.Debug("agent's phone left an OPTIONS unanswered", "misses", misses, "error", err)
	}
}

// QualifyCounts are the OPTIONS sent to registered phones since start,
// by result (every Qualify… result is present).
func (s *Server) QualifyCounts() map[string]uint64 {
	out := make(map[string]uint64, len(qualifyResults))
	for i, r := range qualifyResults {
		out[r] = s.qualify.probes[i].Load()
	}
	return out
}

// errOptionsTimeout: an OPTIONS went unanswered for its whole timeout.
var errOptionsTimeout = errors.New("no answer")

// options sends one OPTIONS to a binding, where and how it registered (a
// phone behind NAT is reached at the address its REGISTER came from, a
// TCP phone over its connection), and returns the final response.
func (s *Server) options(ctx context.Context, timeout time.Duration, t qualifyTarget) (*sip.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host := s.dialogsFor(peerAddr(t.source), t.transport).ContactHDR.Address.Host
	req := sip.NewRequest(sip.OPTIONS, *t.contact.Clone())
	req.AppendHeader(sip.NewHeader("From", fmt.Sprintf("<sip:acd@%s>;tag=%s", host, sip.GenerateTagN(10))))
	req.AppendHeader(sip.NewHeader("To", fmt.Sprintf("<sip:%s@%s>", t.user, t.contact.Host)))
	req.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	req.SetTransport(t.transport)
	req.SetDestination(t.source)
	// A TLS phone is asked over its own connection, which the TLS client
	// finds; the main one would dial from the SIP port.
	res, err := s.clientFor(t.transport).Do(ctx, req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("asking %s with OPTIONS: %w in %v", t.source, errOptionsTimeout, timeout)
		}
		return nil, fmt.Errorf("asking %s with OPTIONS: %w", t.source, err)
	}
	return res, nil
}
