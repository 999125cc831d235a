package sip

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/acdserver/acd/media"
)

// joint is what joins a dialog's media to others': a two-party bridge or
// a conference. It hears when the dialog's phone holds or resumes, and
// passes on the keys the phone sends by INFO.
type joint interface {
	update()
	relayDigit(from *dialog, key rune)
}

var (
	_ joint = (*bridge)(nil)
	_ joint = (*Conference)(nil)
)

// ErrJoined is a call or leg added to a conference while already in a
// bridge or a conference.
var ErrJoined = errors.New("already in a bridge or a conference")

// Conference joins answered calls and legs, each in a mode (see
// media.Mode): a customer and an agent talking, with a supervisor
// listening, whispering to the agent or barging in, and a tap taking
// everyone's audio for a recording. Two parties in Both with no tap are
// relayed, and held, as Join's bridge does; see media.Conference for when
// it mixes. A phone that holds is parked (heard by nobody, hearing
// nobody), and a party left hearing nobody while another holds hears the
// hold sound. A party whose call ends leaves the conference; unlike
// Join, the conference hangs nobody up: that is its owner's to decide.
type Conference struct {
	hold *media.Sound // nil: silence
	blip *media.Sound // one frame: see relayDigit
	mix  *media.Conference

	// mu guards what follows and orders the conference's changes. It is
	// taken before a dialog's mu, never inside it: a dialog hands its
	// hold and keys to the conference with its own mu let go.
	mu      sync.Mutex
	parties []*party
	ended   bool
}

// party is one call or leg in a conference.
type party struct {
	d      *dialog
	id     media.Member
	mode   media.Mode
	held   bool          // its phone holds
	parked bool          // out of the audio: held, or hearing the hold sound
	music  bool          // hearing the hold sound
	gone   chan struct{} // closed when it leaves: stops its watcher
}

// Conference starts an empty conference; hold is what a party hears
// while the parties it would hear hold.
func (s *Server) Conference(hold *media.Sound) *Conference {
	return &Conference{hold: hold, mix: media.NewConference(),
		blip: media.NewSoundPCM(make([]byte, 2*media.FrameSize))}
}

// dialogOf is the dialog of a call or leg of this package, or nil.
func dialogOf(b Bridger) *dialog {
	e := endOf(b)
	switch {
	case e == nil:
		return nil
	case e.call != nil:
		return &e.call.dialog
	case e.leg != nil:
		return &e.leg.dialog
	}
	return nil
}

// Add joins an answered call or leg in mode; the member it returns names
// it as a whisper's target and in the tap's frames.
func (c *Conference) Add(p Bridger, mode media.Mode) (media.Member, error) {
	d := dialogOf(p)
	if d == nil {
		return 0, fmt.Errorf("adding to a conference: %w", ErrNotBridgeable)
	}
	return c.add(d, mode)
}

func (c *Conference) add(d *dialog, mode media.Mode) (media.Member, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return 0, fmt.Errorf("adding to a conference: %w", media.ErrConferenceEnded)
	}
	select {
	case <-d.done:
		return 0, fmt.Errorf("adding to a conference: %w", errEnded)
	default:
	}
	d.mu.Lock()
	if d.bridge != nil {
		d.mu.Unlock()
		return 0, fmt.Errorf("adding to a conference: %w", ErrJoined)
	}
	d.bridge = c
	d.mu.Unlock()
	id, err := c.mix.Add(d.session, mode)
	if err != nil {
		c.unjoin(d)
		return 0, fmt.Errorf("adding to a conference: %w", err)
	}
	pt := &party{d: d, id: id, mode: mode, gone: make(chan struct{})}
	c.parties = append(c.parties, pt)
	c.updateLocked()
	go c.watch(pt)
	d.log.Info("joined a conference", "member", id, "mode", mode.Role.String())
	return id, nil
}

// watch takes a party out once its call ends, unless it left before.
func (c *Conference) watch(pt *party) {
	select {
	case <-pt.d.done:
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.find(pt.d) == pt {
			c.removeLocked(pt)
			c.updateLocked()
		}
	case <-pt.gone:
	}
}

// SetMode changes how a party takes part: a supervisor listening starts
// to whisper, or barges in.
func (c *Conference) SetMode(p Bridger, mode media.Mode) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	pt := c.find(dialogOf(p))
	if pt == nil {
		return fmt.Errorf("changing a party's mode: %w", media.ErrNotMember)
	}
	if err := c.mix.SetMode(pt.id, mode); err != nil {
		return fmt.Errorf("changing a party's mode: %w", err)
	}
	pt.mode = mode
	c.updateLocked()
	pt.d.log.Info("conference mode changed", "member", pt.id, "mode", mode.Role.String())
	return nil
}

// Remove takes a party out; its call goes on, playing on its own.
func (c *Conference) Remove(p Bridger) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if pt := c.find(dialogOf(p)); pt != nil {
		c.removeLocked(pt)
		c.updateLocked()
	}
}

// Member is the member a call or leg is in the conference, as a tap's
// frames and a whisper's target name it; false when it is not in it.
func (c *Conference) Member(p Bridger) (media.Member, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if pt := c.find(dialogOf(p)); pt != nil {
		return pt.id, true
	}
	return 0, false
}

// Tap sets the writer that takes every party's audio (a recording), or
// with nil removes it; see media.FrameWriter.
func (c *Conference) Tap(w media.FrameWriter) { c.mix.Tap(w) }

// End takes every party out for good; their calls go on.
func (c *Conference) End() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mix.End() // first: parting the parties one by one would regroup the rest
	for len(c.parties) > 0 {
		c.removeLocked(c.parties[0])
	}
	c.ended = true
}

func (c *Conference) find(d *dialog) *party {
	for _, pt := range c.parties {
		if pt.d == d {
			return pt
		}
	}
	return nil
}

func (c *Conference) removeLocked(pt *party) {
	c.mix.Remove(pt.id)
	if pt.music {
		pt.d.session.Stop() // it was the conference's to play
	}
	c.unjoin(pt.d)
	close(pt.gone)
	for i, x := range c.parties {
		if x == pt {
			c.parties = append(c.parties[:i], c.parties[i+1:]...)
			break
		}
	}
	pt.d.log.Info("left a conference", "member", pt.id)
}

func (c *Conference) unjoin(d *dialog) {
	d.mu.Lock()
	if d.bridge == c {
		d.bridge = nil
	}
	d.mu.Unlock()
}

// update parks and unparks the parties by who holds; a dialog calls it
// when its phone holds or resumes.
func (c *Conference) update() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.updateLocked()
}

// updateLocked parks every party whose phone holds, and every party left
// hearing nobody while another holds, which hears the hold sound: for two
// parties, what a bridge does. All parking comes before any sound starts,
// because parting a bridge stops what its sides play.
func (c *Conference) updateLocked() {
	if c.ended {
		return
	}
	anyHeld := false
	for _, pt := range c.parties {
		pt.held = pt.d.isHeld()
		anyHeld = anyHeld || pt.held
	}
	var play []*party
	for _, pt := range c.parties {
		audible := false
		for _, q := range c.parties {
			audible = audible || q != pt && !q.held && q.mode.HeardBy(pt.id)
		}
		music := anyHeld && !pt.held && !audible
		park := pt.held || music
		if pt.music && !music {
			pt.music = false
			if !park {
				pt.d.session.Stop()
			}
		}
		if pt.parked != park {
			if err := c.mix.Park(pt.id, park); err != nil {
				pt.d.log.Warn("conference parking failed", "member", pt.id, "error", err)
			}
			pt.parked = park
		}
		if music && !pt.music {
			pt.music = true
			play = append(play, pt)
		}
	}
	if c.hold == nil {
		return
	}
	for _, pt := range play {
		pt.d.session.Play(c.hold, true)
	}
}

// relayDigit sends a key that from received by INFO, as an RFC 4733
// event, to the parties who hear from. Mixed, each party's own stream
// carries it. Relayed, a session sends its own events only while not
// bridged, so the two part for the event's few frames, as a bridge's do.
func (c *Conference) relayDigit(from *dialog, key rune) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fp := c.find(from)
	if fp == nil || c.ended {
		return
	}
	var to []*party
	for _, q := range c.parties {
		if q != fp && fp.mode.HeardBy(q.id) {
			to = append(to, q)
		}
	}
	if len(to) != 1 || !c.mix.Relaying() {
		for _, q := range to {
			q.d.session.SendDigit(key)
		}
		return
	}
	q := to[0]
	_ = c.mix.Park(fp.id, true)
	_ = c.mix.Park(q.id, true)
	q.d.session.SendDigit(key)
	sent := q.d.session.Play(c.blip, false)
	bound := time.NewTimer(time.Second)
	defer bound.Stop()
	select {
	case <-sent:
	case <-bound.C:
	case <-from.done:
	case <-q.d.done:
	}
	_ = c.mix.Park(fp.id, false)
	_ = c.mix.Park(q.id, false)
}

// ErrNotJoined is a conference asked of a call or leg that is in no
// bridge or conference.
var ErrNotJoined = errors.New("not in a bridge or a conference")

// ConferenceOf is the conference the call or leg p is in. A two-party
// bridge made by Join or JoinLegs becomes one, the same two parties in
// Both with its hold sound, so that a recording's tap or a supervisor
// joins the call where it is: calls that nobody records or monitors
// keep the bridge, and the bridge's rules for hanging up go on
// unchanged (they watch the calls, not the bridge).
func (s *Server) ConferenceOf(p Bridger) (*Conference, error) {
	d := dialogOf(p)
	if d == nil {
		return nil, fmt.Errorf("finding a call's conference: %w", ErrNotBridgeable)
	}
	// joinMu makes turning a bridge into a conference one step: a
	// recording and a supervisor asking at once get the same one.
	s.joinMu.Lock()
	defer s.joinMu.Unlock()
	d.mu.Lock()
	j := d.bridge
	d.mu.Unlock()
	switch j := j.(type) {
	case *Conference:
		return j, nil
	case *bridge:
		c := s.Conference(j.hold)
		j.end()
		for _, side := range []*dialog{j.a, j.b} {
			if _, err := c.add(side, media.Mode{}); err != nil {
				c.End()
				return nil, fmt.Errorf("turning a bridge into a conference: %w", err)
			}
		}
		return c, nil
	}
	return nil, fmt.Errorf("finding a call's conference: %w", ErrNotJoined)
}
