package media

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Codec is an RTP audio codec this server speaks.
type Codec uint8

// The two G.711 laws, by their static payload types.
const (
	PCMU Codec = 0
	PCMA Codec = 8
)

func (c Codec) String() string {
	switch c {
	case PCMU:
		return "PCMU"
	case PCMA:
		return "PCMA"
	}
	return "codec(" + strconv.Itoa(int(c)) + ")"
}

// Direction is an SDP media direction attribute.
type Direction uint8

// Media directions (RFC 3264 §5.1), from the point of view of the party
// whose description holds them.
const (
	SendRecv Direction = iota
	SendOnly
	RecvOnly
	Inactive
)

func (d Direction) String() string {
	return [...]string{"sendrecv", "sendonly", "recvonly", "inactive"}[d]
}

// Reverse gives the direction an answerer uses for an offer's direction.
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	}
	return d
}

// ErrNoCommonCodec means the offer holds neither PCMU nor PCMA (SIP 488).
var ErrNoCommonCodec = errors.New("sdp: no common codec (PCMU or PCMA over RTP/AVP)")

// ErrNoAddress means the audio stream's c= line is missing or gives no
// IP literal of its own address type, so RTP has nowhere to go (SIP 488).
var ErrNoAddress = errors.New("sdp: no usable c= address for the audio stream (an IPv4 or IPv6 literal)")

// Description is the part of an SDP body this server acts on: the first
// usable audio stream.
type Description struct {
	// Addr is where the peer wants RTP; 0.0.0.0 (or ::) means "hold".
	Addr netip.AddrPort
	// Codecs lists PCMU/PCMA in the peer's order of preference, and
	// PayloadTypes the number the peer gives each on the wire: its static
	// type, or a dynamic one bound by a=rtpmap. Empty PayloadTypes means
	// the static types.
	Codecs       []Codec
	PayloadTypes []uint8
	// DTMFType is the payload type of telephone-event/8000, or 0 if absent.
	DTMFType uint8
	// PTime is the peer's a=ptime in milliseconds, 0 if absent.
	PTime int
	// Direction as the peer states it.
	Direction Direction
}

// PayloadType is the number of Codecs[i] on the wire.
func (d *Description) PayloadType(i int) uint8 {
	return payloadType(d.Codecs, d.PayloadTypes, i)
}

func payloadType(codecs []Codec, pts []uint8, i int) uint8 {
	if i < len(pts) {
		return pts[i]
	}
	return uint8(codecs[i])
}

// OnHold reports whether the peer asked us to stop sending.
func (d *Description) OnHold() bool {
	return d.Direction == SendOnly || d.Direction == Inactive || !d.Addr.Addr().IsValid() || d.Addr.Addr().IsUnspecified()
}

// ParseSDP reads an SDP body leniently: lines may come in any order, LF
// line ends and unknown lines are accepted, and only the first audio stream
// with a non-zero port is used. Media-level c= wins over session-level c=,
// even when only the session-level one is usable: the peer said where this
// stream goes.
func ParseSDP(body []byte) (*Description, error) {
	var (
		sessionConn connection
		sessionDir  = SendRecv
		inAudio     bool
		found       bool
		mediaConn   connection
		port        uint16
		payloads    []int
		rtpmap      = map[int]string{}
		d           = &Description{Direction: SendRecv}
		mediaDir    = -1
		seenVersion bool
		seenMedia   bool // past the session-level part
	)
	finish := func() {
		if !inAudio || found {
			return
		}
		found = true
		conn := sessionConn
		if mediaConn.seen {
			conn = mediaConn
		}
		if conn.addr.IsValid() {
			d.Addr = netip.AddrPortFrom(conn.addr, port)
		}
		d.Direction = sessionDir
		if mediaDir >= 0 {
			d.Direction = Direction(mediaDir)
		}
		for _, pt := range payloads {
			name, ok := rtpmap[pt]
			switch {
			case ok && strings.EqualFold(name, "PCMU/8000"), !ok && pt == 0:
				d.Codecs = append(d.Codecs, PCMU)
				d.PayloadTypes = append(d.PayloadTypes, uint8(pt))
			case ok && strings.EqualFold(name, "PCMA/8000"), !ok && pt == 8:
				d.Codecs = append(d.Codecs, PCMA)
				d.PayloadTypes = append(d.PayloadTypes, uint8(pt))
			case ok && strings.EqualFold(name, "telephone-event/8000") && d.DTMFType == 0:
				d.DTMFType = uint8(pt)
			}
		}
	}
	for line := range bytes.Lines(body) {
		line = bytes.TrimRight(line, "\r\n")
		line = bytes.TrimSpace(line)
		if len(line) < 2 || line[1] != '=' {
			continue
		}
		kind, value := line[0], string(line[2:])
		switch kind {
		case 'v':
			seenVersion = true
		case 'm':
			finish()
			seenMedia = true
			fields := strings.Fields(value)
			inAudio = false
			if found || len(fields) < 4 || fields[0] != "audio" {
				continue
			}
			p, err := strconv.ParseUint(strings.SplitN(fields[1], "/", 2)[0], 10, 16)
			if err != nil || p == 0 || !strings.EqualFold(fields[2], "RTP/AVP") {
				continue // rejected stream, or a profile we do not speak (SRTP)
			}
			inAudio, port, payloads, mediaConn, mediaDir = true, uint16(p), payloads[:0], connection{}, -1
			clear(rtpmap)
			for _, f := range fields[3:] {
				if pt, err := strconv.Atoi(f); err == nil && pt >= 0 && pt < 128 {
					payloads = append(payloads, pt)
				}
			}
		case 'c':
			// An unusable c= is kept as seen, so that it is not mistaken
			// for an absent one and replaced by the session-level address.
			conn := connection{addr: connectionAddr(value), seen: true}
			if inAudio {
				mediaConn = conn
			} else if !seenMedia {
				sessionConn = conn
			}
		case 'a':
			name, arg, _ := strings.Cut(value, ":")
			var dir = -1
			switch name {
			case "sendrecv":
				dir = int(SendRecv)
			case "sendonly":
				dir = int(SendOnly)
			case "recvonly":
				dir = int(RecvOnly)
			case "inactive":
				dir = int(Inactive)
			case "rtpmap":
				if inAudio {
					ptText, enc, _ := strings.Cut(strings.TrimSpace(arg), " ")
					if pt, err := strconv.Atoi(ptText); err == nil {
						rtpmap[pt] = strings.TrimSpace(enc)
					}
				}
			case "ptime":
				if inAudio {
					if ms, err := strconv.Atoi(strings.TrimSpace(arg)); err == nil && ms > 0 && ms <= 1000 {
						d.PTime = ms
					}
				}
			}
			if dir >= 0 {
				if inAudio {
					mediaDir = dir
				} else if !seenMedia {
					sessionDir = Direction(dir)
				}
			}
		}
	}
	finish()
	if !seenVersion {
		return nil, errors.New("sdp: no v= line")
	}
	if len(d.Codecs) == 0 {
		return nil, ErrNoCommonCodec
	}
	if !d.Addr.IsValid() {
		return nil, ErrNoAddress
	}
	return d, nil
}

// connection is what a c= line said: seen, and its address when usable.
type connection struct {
	addr netip.Addr
	seen bool
}

// connectionAddr reads the value of a c= line ("IN IP4 192.0.2.1", with an
// optional multicast /ttl suffix), or the zero Addr when it names no
// address RTP can be sent to.
func connectionAddr(value string) netip.Addr {
	fields := strings.Fields(value)
	if len(fields) < 3 || !strings.EqualFold(fields[0], "IN") {
		return netip.Addr{}
	}
	// Host names fail here and are never resolved: a DNS lookup of a name
	// an unauthenticated caller chose is an attack of its own. A zone
	// would have the caller choose one of our interfaces.
	addr, err := netip.ParseAddr(strings.SplitN(fields[2], "/", 2)[0])
	if err != nil || addr.Zone() != "" {
		return netip.Addr{}
	}
	switch {
	case strings.EqualFold(fields[1], "IP4") && addr.Is4(),
		strings.EqualFold(fields[1], "IP6") && addr.Is6():
		return addr
	}
	return netip.Addr{}
}

// Answer is what we put in our own SDP.
type Answer struct {
	Addr   netip.AddrPort
	Codecs []Codec // in our order of preference; one for an answer
	// PayloadTypes numbers Codecs on the wire: the offerer's numbers in an
	// answer (RFC 3264 §6.1); empty, the static types, as in our offers.
	PayloadTypes []uint8
	DTMFType     uint8 // 0: none
	Direction    Direction
	SessionID    uint64
	Version      uint64
}

// Negotiate chooses, for an offer, the codec and direction of our answer:
// the first of PCMU/PCMA in the offerer's order, on the offerer's payload
// type, and the offerer's telephone-event payload type.
func Negotiate(offer *Description, local netip.AddrPort) Answer {
	dir := offer.Direction.Reverse()
	if !offer.Addr.Addr().IsValid() || offer.Addr.Addr().IsUnspecified() {
		// RFC 3264 §8.4: c=0.0.0.0 is the old way of putting a call on hold.
		dir = Inactive
		if offer.Direction == SendRecv || offer.Direction == SendOnly {
			dir = RecvOnly
		}
	}
	return Answer{Addr: local, Codecs: offer.Codecs[:1], PayloadTypes: []uint8{offer.PayloadType(0)},
		DTMFType: offer.DTMFType, Direction: dir}
}

// PayloadType is the number of Codecs[i] on the wire.
func (a Answer) PayloadType(i int) uint8 { return payloadType(a.Codecs, a.PayloadTypes, i) }

// Marshal writes the description as an SDP body.
func (a Answer) Marshal() []byte {
	var b strings.Builder
	ip := a.Addr.Addr().Unmap()
	family := "IP4"
	if ip.Is6() {
		family = "IP6"
	}
	fmt.Fprintf(&b, "v=0\r\no=acd %d %d IN %s %s\r\ns=acd\r\nc=IN %s %s\r\nt=0 0\r\n",
		a.SessionID, a.Version, family, ip, family, ip)
	fmt.Fprintf(&b, "m=audio %d RTP/AVP", a.Addr.Port())
	for i := range a.Codecs {
		fmt.Fprintf(&b, " %d", a.PayloadType(i))
	}
	if a.DTMFType != 0 {
		fmt.Fprintf(&b, " %d", a.DTMFType)
	}
	b.WriteString("\r\n")
	for i, c := range a.Codecs {
		fmt.Fprintf(&b, "a=rtpmap:%d %s/8000\r\n", a.PayloadType(i), c)
	}
	if a.DTMFType != 0 {
		fmt.Fprintf(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", a.DTMFType, a.DTMFType)
	}
	fmt.Fprintf(&b, "a=ptime:20\r\na=%s\r\n", a.Direction)
	return []byte(b.String())
}
