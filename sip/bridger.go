package sip

import (
	"errors"
	"fmt"

	"github.com/acdserver/acd/media"
)

// Bridger is an answered call or leg, which a bridge can join: Call and
// Leg are. Packages above name the interface, never the types, and a
// value that is not one of this package's (a test's fake) hands out no
// end: Join refuses it rather than leaving two parties in silence.
type Bridger interface {
	// BridgeEnd is the call or leg as a bridge joins it.
	BridgeEnd() *BridgeEnd
}

// BridgeEnd is one answered call or leg, as Join sees it. Only this
// package makes one.
type BridgeEnd struct {
	call *Call
	leg  *Leg
}

// BridgeEnd is the call as a bridge joins it.
func (c *Call) BridgeEnd() *BridgeEnd { return &BridgeEnd{call: c} }

// BridgeEnd is the leg as a bridge joins it.
func (l *Leg) BridgeEnd() *BridgeEnd { return &BridgeEnd{leg: l} }

var (
	_ Bridger = (*Call)(nil)
	_ Bridger = (*Leg)(nil)
)

// ErrNotBridgeable is a bridge asked of something that is not an
// answered call or leg of this package, or of the wrong kind.
var ErrNotBridgeable = errors.New("not a call or leg this server can bridge")

func endOf(b Bridger) *BridgeEnd {
	if b == nil {
		return nil
	}
	return b.BridgeEnd()
}

// Join connects an inbound caller and a leg as BridgeHolding does.
func (s *Server) Join(caller, leg Bridger, hold *media.Sound) error {
	c, l := endOf(caller), endOf(leg)
	if c == nil || c.call == nil {
		return fmt.Errorf("bridging the caller: %w", ErrNotBridgeable)
	}
	if l == nil || l.leg == nil {
		return fmt.Errorf("bridging the caller %s to a leg: %w", c.call.ID(), ErrNotBridgeable)
	}
	s.BridgeHolding(c.call, l.leg, hold)
	return nil
}

// JoinLegs connects two legs as BridgeLegsHolding does.
func (s *Server) JoinLegs(a, b Bridger, hold *media.Sound) error {
	x, y := endOf(a), endOf(b)
	if x == nil || x.leg == nil || y == nil || y.leg == nil {
		return fmt.Errorf("bridging two legs: %w", ErrNotBridgeable)
	}
	s.BridgeLegsHolding(x.leg, y.leg, hold)
	return nil
}
