package media

import (
	"bytes"
	"errors"
	"fmt"
	"unsafe"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// srtpOverhead is the most SRTP adds to a packet we send: the 80-bit
// authentication tag (our own keys carry no MKI). Every buffer a packet
// is built in has this much room past the largest frame, so that it is
// encrypted in place, on the raw path too.
const srtpOverhead = 10

// srtpReplayWindow is how many packets back a late one is still taken
// (RFC 3711 §3.3.2 asks for at least 64); beyond it, and any packet seen
// before, is dropped as a replay.
const srtpReplayWindow = 128

// errSRTPKeys: one direction encrypted and the other not.
var errSRTPKeys = errors.New("srtp: a key for each direction, or neither")

// srtpState is a session's SRTP: the contexts that encrypt what it sends
// and decrypt what it receives, and the keys they were made from. Guarded
// by the session's mu.
type srtpState struct {
	tx, rx       *srtp.Context // nil: plain RTP
	txKey, rxKey Crypto
	// hdr is lent to pion/srtp, which parses each packet's header into
	// it, so that sealing a packet allocates nothing.
	hdr rtp.Header
}

// SetSRTP makes the session encrypt what it sends with local and decrypt
// and authenticate what it receives with remote (pion/srtp, with replay
// protection); nil for both sends and takes plain RTP. It may be called
// again on a re-INVITE: a context is made anew only when its key changed,
// because a new one forgets the rollover counter, which after 65 536
// packets (22 minutes) would lose a long call at its session refresh.
func (s *Session) SetSRTP(local, remote *Crypto) error {
	if (local == nil) != (remote == nil) {
		return errSRTPKeys
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.srtp
	// Set by whatever context is made below, even if the other fails.
	defer func() { s.secure = st.tx != nil || st.rx != nil }()
	if local == nil {
		st.tx, st.rx, st.txKey, st.rxKey = nil, nil, Crypto{}, Crypto{}
		return nil
	}
	if st.tx == nil || !sameKey(st.txKey, *local) {
		tx, err := newSRTPContext(*local, false)
		if err != nil {
			return fmt.Errorf("setting up SRTP to send: %w", err)
		}
		st.tx, st.txKey = tx, *local
	}
	if st.rx == nil || !sameKey(st.rxKey, *remote) {
		rx, err := newSRTPContext(*remote, true)
		if err != nil {
			return fmt.Errorf("setting up SRTP to receive: %w", err)
		}
		st.rx, st.rxKey = rx, *remote
	}
	return nil
}

// Secure reports whether the session sends and takes SRTP.
func (s *Session) Secure() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srtp.tx != nil
}

// SRTPDropped counts the packets dropped because they failed SRTP's
// authentication or were replays.
func (s *Session) SRTPDropped() uint64 { return s.srtpDropped.Load() }

func sameKey(a, b Crypto) bool {
	return a.Suite == b.Suite && bytes.Equal(a.Key, b.Key) && bytes.Equal(a.MKI, b.MKI)
}

func newSRTPContext(c Crypto, receive bool) (*srtp.Context, error) {
	var profile srtp.ProtectionProfile
	switch c.Suite {
	case AESCM128HMACSHA1_80:
		profile = srtp.ProtectionProfileAes128CmHmacSha1_80
	case AESCM128HMACSHA1_32:
		profile = srtp.ProtectionProfileAes128CmHmacSha1_32
	default:
		return nil, fmt.Errorf("srtp: suite %v not supported", c.Suite)
	}
	if len(c.Key) != keySaltLen {
		return nil, errors.New("srtp: the master key and salt are not 30 bytes")
	}
	opts := []srtp.ContextOption{srtp.SRTPReplayProtection(srtpReplayWindow)}
	if receive && c.MKI != nil {
		opts = append(opts, srtp.MasterKeyIndicator(c.MKI))
	}
	ctx, err := srtp.CreateContext(c.Key[:16], c.Key[16:], profile, opts...)
	if err != nil {
		return nil, fmt.Errorf("srtp context: %w", err)
	}
	return ctx, nil
}

// sealLocked encrypts the RTP packet pkt[:n] in place when the session
// sends SRTP, and returns its new length; false drops the packet. pkt
// must have srtpOverhead bytes of room past n. It is small enough to be
// inlined, so that a plain RTP packet, sent or relayed, pays no call,
// only a test of the session's secure flag, which sits beside fields the
// packet path reads anyway: srtp's own fields, past the packet buffer,
// would be a cache miss a packet at thousands of plain calls. The call and
// that miss were 2–4 % of the relay's CPU.
func (s *Session) sealLocked(pkt []byte, n int) (int, bool) {
	if !s.secure {
		return n, true
	}
	return s.encryptLocked(pkt, n)
}

// encryptLocked is sealLocked for a session with SRTP.
func (s *Session) encryptLocked(pkt []byte, n int) (int, bool) {
	tx := s.srtp.tx
	if tx == nil {
		return n, true
	}
	if cap(pkt) < n+srtpOverhead {
		return 0, false
	}
	out, err := tx.EncryptRTP(pkt[:n], pkt[:n], &s.srtp.hdr)
	// pion/srtp writes in place when the room is there; a copy elsewhere
	// would not be what the raw batch sends.
	if err != nil || unsafe.SliceData(out) != unsafe.SliceData(pkt) {
		return 0, false
	}
	return len(out), true
}

// openLocked authenticates and decrypts a received SRTP packet in place
// when the session takes SRTP, and returns the plain packet (header and
// payload), or why it is dropped (dropSRTPAuth, dropSRTPReplay). h gets
// the packet's header. Inlined like sealLocked: a plain packet pays a
// test of secure.
func (s *Session) openLocked(pkt []byte, h *rtp.Header) ([]byte, dropReason) {
	if !s.secure {
		return pkt, dropNone
	}
	return s.decryptLocked(pkt, h)
}

// decryptLocked is openLocked for a session with SRTP.
func (s *Session) decryptLocked(pkt []byte, h *rtp.Header) ([]byte, dropReason) {
	rx := s.srtp.rx
	if rx == nil {
		return pkt, dropNone
	}
	out, err := rx.DecryptRTP(pkt, pkt, h)
	if err != nil {
		if isReplay(err) {
			return nil, dropSRTPReplay
		}
		return nil, dropSRTPAuth
	}
	if len(out) == 0 || unsafe.SliceData(out) != unsafe.SliceData(pkt) {
		return nil, dropSRTPAuth
	}
	return out, dropNone
}

// isReplay reports whether pion/srtp refused a packet as a replay. It
// says so with an unexported error wrapping an unexported sentinel; the
// sentinel's text is read, since Error on the wrapper would format (and
// allocate) per packet. TestSRTPDropReasons holds pion to it.
func isReplay(err error) bool {
	inner := errors.Unwrap(err)
	return inner != nil && inner.Error() == "duplicated packet"
}
