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

// ErrNotAccepted means the offer has usable audio streams, but none that
// ParseSDPFor's accept took.
var ErrNotAccepted = errors.New("sdp: no audio stream the SRTP policy takes")

// ErrNoCryptoSuite means the offer's only audio streams are RTP/SAVP
// without an a=crypto line of a suite we speak (SIP 488).
var ErrNoCryptoSuite = errors.New("sdp: RTP/SAVP without a=crypto of AES_CM_128_HMAC_SHA1_80 or _32")

// ErrTooManyStreams means the offer has more m-lines than an answer
// would carry: the answer repeats each (RFC 3264 §6), and a call needs one.
var ErrTooManyStreams = fmt.Errorf("sdp: more than %d media streams", maxStreams)

// maxStreams bounds the m-lines of a description: phones offer a few
// (audio, video, text, a floor control stream).
const maxStreams = 16

// ErrNoAddress means the audio stream's c= line is missing or gives no
// IP literal of its own address type, so RTP has nowhere to go (SIP 488).
var ErrNoAddress = errors.New("sdp: no usable c= address for the audio stream (an IPv4 or IPv6 literal)")

// Description is the part of an SDP body this server acts on: the first
// usable audio stream, and the list of every stream for the answer.
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
	// Streams are all the m-lines in order, and Audio the index of the
	// one described above: an answer has one line for each (RFC 3264 §6).
	Streams []Stream
	Audio   int
	// Secure is an RTP/SAVP stream: SRTP or nothing. Crypto are the
	// stream's a=crypto lines of suites we speak, in the peer's order of
	// preference; an RTP/AVP stream may have them too, offering SRTP as
	// an option (as many phones do).
	Secure bool
	Crypto []Crypto
}

// Stream is what an answer repeats of an m-line it does not take: the
// media type, the transport protocol and one format.
type Stream struct {
	Media, Proto, Format string
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
// line ends and unknown lines are accepted, and the first audio stream we
// can take (a non-zero port, RTP/AVP or RTP/SAVP with a crypto line of a
// suite we speak, PCMU or PCMA, an address) is used,
// wherever it comes among the streams. Media-level c= wins over
// session-level c=, even when only the session-level one is usable: the
// peer said where this stream goes.
func ParseSDP(body []byte) (*Description, error) {
	return ParseSDPFor(body, nil)
}

// ParseSDPFor is ParseSDP taking only an audio stream accept agrees to,
// told whether it is RTP/SAVP and how many crypto lines of ours it has:
// an offer of the same audio as RTP/SAVP and again as RTP/AVP (a phone
// offering SRTP at best effort) is answered on the one a policy allows.
// A nil accept takes any.
func ParseSDPFor(body []byte, accept func(secure bool, crypto int) bool) (*Description, error) {
	var (
		sessionConn connection
		sessionDir  = SendRecv
		seenVersion bool
		seenMedia   bool // past the session-level part
		d           = &Description{Direction: SendRecv, Audio: -1}
		// The audio stream being read, until it proves usable or not.
		inAudio   bool
		mediaConn connection
		port      uint16
		payloads  []int
		rtpmap    = map[int]string{}
		ptime     int
		mediaDir  = -1
		secure    bool
		crypto    []Crypto
		// Why no stream was usable, when none is.
		noAddress bool
		noCrypto  bool
		refused   bool // usable, but not by accept
	)
	finish := func() {
		if !inAudio || d.Audio >= 0 {
			return
		}
		inAudio = false
		var codecs []Codec
		var pts []uint8
		var dtmf uint8
		for _, pt := range payloads {
			name, ok := rtpmap[pt]
			switch {
			case ok && strings.EqualFold(name, "PCMU/8000"), !ok && pt == 0:
				codecs = append(codecs, PCMU)
				pts = append(pts, uint8(pt))
			case ok && strings.EqualFold(name, "PCMA/8000"), !ok && pt == 8:
				codecs = append(codecs, PCMA)
				pts = append(pts, uint8(pt))
			case ok && strings.EqualFold(name, "telephone-event/8000") && dtmf == 0:
				dtmf = uint8(pt)
			}
		}
		if len(codecs) == 0 {
			return
		}
		if secure && len(crypto) == 0 {
			noCrypto = true
			return
		}
		conn := sessionConn
		if mediaConn.seen {
			conn = mediaConn
		}
		if !conn.addr.IsValid() {
			noAddress = true
			return
		}
		if accept != nil && !accept(secure, len(crypto)) {
			refused = true
			return
		}
		d.Audio = len(d.Streams) - 1
		d.Addr = netip.AddrPortFrom(conn.addr, port)
		d.Codecs, d.PayloadTypes, d.DTMFType, d.PTime = codecs, pts, dtmf, ptime
		d.Secure, d.Crypto = secure, crypto
		d.Direction = sessionDir
		if mediaDir >= 0 {
			d.Direction = Direction(mediaDir)
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
			if len(d.Streams) == maxStreams {
				return nil, ErrTooManyStreams
			}
			fields := strings.Fields(value)
			d.Streams = append(d.Streams, streamOf(fields))
			if d.Audio >= 0 || len(fields) < 4 || fields[0] != "audio" {
				continue
			}
			p, err := strconv.ParseUint(strings.SplitN(fields[1], "/", 2)[0], 10, 16)
			isAVP, isSAVP := strings.EqualFold(fields[2], "RTP/AVP"), strings.EqualFold(fields[2], "RTP/SAVP")
			if err != nil || p == 0 || !isAVP && !isSAVP {
				continue // rejected stream, or a profile we do not speak (DTLS, feedback)
			}
			inAudio, port, payloads, mediaConn, mediaDir, ptime = true, uint16(p), payloads[:0], connection{}, -1, 0
			secure, crypto = isSAVP, nil
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
			case "crypto":
				// Lines we cannot use are skipped: the peer may offer
				// others we can (RFC 4568 §7.1.1).
				if inAudio && len(crypto) < maxCrypto {
					if c, err := ParseCrypto(arg); err == nil {
						crypto = append(crypto, c)
					}
				}
			case "ptime":
				if inAudio {
					if ms, err := strconv.Atoi(strings.TrimSpace(arg)); err == nil && ms > 0 && ms <= 1000 {
						ptime = ms
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
	if d.Audio < 0 {
		if refused {
			return nil, ErrNotAccepted
		}
		if noAddress {
			return nil, ErrNoAddress
		}
		if noCrypto {
			return nil, ErrNoCryptoSuite
		}
		return nil, ErrNoCommonCodec
	}
	return d, nil
}

// maxCrypto bounds the a=crypto lines kept of a stream: phones offer one
// per suite.
const maxCrypto = 8

// streamOf keeps what an answer repeats of an m-line's fields. Each is a
// token of the offer's, or a placeholder where the offer's is missing or
// is not a plain token: what we echo must itself parse.
func streamOf(fields []string) Stream {
	field := func(i int, placeholder string) string {
		if i < len(fields) && isToken(fields[i]) {
			return fields[i]
		}
		return placeholder
	}
	return Stream{Media: field(0, "audio"), Proto: field(2, "RTP/AVP"), Format: field(3, "0")}
}

// isToken reports whether s is short and made of the characters SDP
// tokens and formats use (RFC 4566 §9), '/' included for protocols.
func isToken(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
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
	// Streams and Audio, from the offer, have the answer repeat each of
	// its m-lines in order, ours at Audio and the others refused with port
	// 0 (RFC 3264 §6). Without Streams there is one m-line, ours: for
	// offers we make.
	Streams []Stream
	Audio   int

	Addr   netip.AddrPort
	Codecs []Codec // in our order of preference; one for an answer
	// PayloadTypes numbers Codecs on the wire: the offerer's numbers in an
	// answer (RFC 3264 §6.1); empty, the static types, as in our offers.
	PayloadTypes []uint8
	DTMFType     uint8 // 0: none
	Direction    Direction
	SessionID    uint64
	Version      uint64
	// Secure makes the stream RTP/SAVP; Crypto are our a=crypto lines
	// (our keys), on either profile. An answer repeats the profile of the
	// offer, and the tag of the offer's line it takes (RFC 4568 §7.1.2).
	Secure bool
	Crypto []Crypto
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
		DTMFType: offer.DTMFType, Direction: dir, Streams: offer.Streams, Audio: offer.Audio}
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
	for _, st := range a.Streams[:min(max(a.Audio, 0), len(a.Streams))] {
		fmt.Fprintf(&b, "m=%s 0 %s %s\r\n", st.Media, st.Proto, st.Format)
	}
	proto := "RTP/AVP"
	if a.Secure {
		proto = "RTP/SAVP"
	}
	fmt.Fprintf(&b, "m=audio %d %s", a.Addr.Port(), proto)
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
	for _, c := range a.Crypto {
		fmt.Fprintf(&b, "a=%s\r\n", c.Attribute())
	}
	if a.Audio >= 0 && a.Audio < len(a.Streams) {
		for _, st := range a.Streams[a.Audio+1:] {
			fmt.Fprintf(&b, "m=%s 0 %s %s\r\n", st.Media, st.Proto, st.Format)
		}
	}
	return []byte(b.String())
}
