package sip

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/media"
)

// SRTPPolicy says whether a party's media is encrypted with SRTP, keyed
// by SDES (RFC 4568: the keys travel in the SDP).
type SRTPPolicy uint8

// The policies. Off is the zero value: nothing changes for a site that
// sets none.
const (
	// SRTPOff: plain RTP. An offer of RTP/SAVP only is refused (488); a
	// crypto line on an RTP/AVP offer is ignored.
	SRTPOff SRTPPolicy = iota
	// SRTPOptional: SRTP when the phone offers or accepts it. Our offers
	// are RTP/AVP with crypto lines (best effort, RFC 4568 §7.1.1 leaves
	// it to the answerer), and a plain answer is taken.
	SRTPOptional
	// SRTPRequired: SRTP or no call. A plain offer gets 488; our offers
	// are RTP/SAVP, and a plain answer ends the call.
	SRTPRequired
)

func (p SRTPPolicy) String() string {
	switch p {
	case SRTPOptional:
		return "optional"
	case SRTPRequired:
		return "required"
	}
	return "off"
}

// ParseSRTPPolicy reads off, optional or required.
func ParseSRTPPolicy(s string) (SRTPPolicy, error) {
	switch s {
	case "off":
		return SRTPOff, nil
	case "optional":
		return SRTPOptional, nil
	case "required":
		return SRTPRequired, nil
	}
	return SRTPOff, fmt.Errorf("srtp %q: want off, optional or required", s)
}

// SRTPParty is who a policy is asked for: an agent's phone (Agent), or
// the phone an INVITE came from (Source; the configuration may know it
// for a trunk's). A trunk dialled out through brings its own policy
// (Trunk.SRTP).
type SRTPParty struct {
	Agent  string
	Source string
}

// Refusals of an offer for its SRTP, answered 488 with a Warning.
var (
	errSRTPRequired = errors.New("SRTP is required for this phone, and the offer has no a=crypto line we can use")
	errSRTPOff      = errors.New("SRTP is off for this phone, and the offer is RTP/SAVP only")
	// errSRTPAnswer is an answer to our offer that our policy cannot take.
	errSRTPAnswer = errors.New("the answer takes none of our a=crypto lines")
)

// srtpRefusal is the Warning of a 488 for an SRTP refusal: 302,
// incompatible transport protocol (RFC 3261 §20.43), RTP/SAVP being one.
func srtpRefusal(err error) (sip.Header, bool) {
	switch {
	case errors.Is(err, errSRTPRequired):
		return sip.NewHeader("Warning", `302 acd "SRTP required: offer RTP/SAVP or a=crypto (AES_CM_128_HMAC_SHA1_80 or _32)"`), true
	case errors.Is(err, errSRTPOff):
		return sip.NewHeader("Warning", `302 acd "SRTP is not enabled for this phone: offer RTP/AVP"`), true
	case errors.Is(err, media.ErrNoCryptoSuite):
		return sip.NewHeader("Warning", `302 acd "RTP/SAVP needs a=crypto with AES_CM_128_HMAC_SHA1_80 or _32"`), true
	}
	return nil, false
}

// parseOffer reads an offer, answering the first audio stream the policy
// can take: a phone may offer the same audio twice, RTP/SAVP and then
// RTP/AVP, leaving the choice to us. When none fits the policy, the offer
// is read as it comes, for chooseSRTP to say why it is refused.
func parseOffer(body []byte, p SRTPPolicy) (*media.Description, error) {
	d, err := media.ParseSDPFor(body, p.takes)
	if errors.Is(err, media.ErrNotAccepted) {
		return media.ParseSDP(body)
	}
	return d, err
}

// takes reports whether the policy can answer an audio stream: RTP/SAVP
// or not, with how many crypto lines we speak.
func (p SRTPPolicy) takes(secure bool, crypto int) bool {
	switch p {
	case SRTPOff:
		return !secure
	case SRTPRequired:
		return crypto > 0
	}
	return true
}

// chooseSRTP decides an offer under a policy: the offer's crypto line to
// answer (nil: plain RTP), or why the offer is refused. The first line of
// a suite we speak is taken: the offerer lists them preferred first.
func chooseSRTP(p SRTPPolicy, offer *media.Description) (*media.Crypto, error) {
	switch {
	case p == SRTPOff && offer.Secure:
		return nil, errSRTPOff
	case p == SRTPOff:
		return nil, nil
	case len(offer.Crypto) > 0:
		return &offer.Crypto[0], nil
	case p == SRTPRequired:
		return nil, errSRTPRequired
	}
	return nil, nil
}

// srtpDialog is a dialog's SRTP: its policy, the crypto lines of our
// current description, and the keys in force. Guarded by the dialog's mu.
type srtpDialog struct {
	policy SRTPPolicy
	// offered are the crypto lines of our current description (localSDP):
	// our offer, or our answer, which a session refresh offers again. An
	// answer may take any of them.
	offered []media.Crypto
	// local is our key (nil: plain RTP), remote the peer's.
	local, remote *media.Crypto
}

// srtpDescription is what our description says of SRTP: the profile and
// our crypto lines.
type srtpDescription struct {
	secure bool
	lines  []media.Crypto
}

// offer gives our offer's SRTP. Once SRTP is up our key stays (RFC 4568
// §7.1.4 lets it), so that a session refresh does not re-key; before,
// a fresh key for each suite.
func (st *srtpDialog) offer() (srtpDescription, error) {
	if st.policy == SRTPOff {
		st.offered = nil
		return srtpDescription{}, nil
	}
	d := srtpDescription{secure: st.policy == SRTPRequired}
	if st.local != nil {
		d.lines = []media.Crypto{*st.local}
	} else {
		for tag, suite := range []media.Suite{media.AESCM128HMACSHA1_80, media.AESCM128HMACSHA1_32} {
			c, err := media.NewCrypto(tag+1, suite)
			if err != nil {
				return srtpDescription{}, err
			}
			d.lines = append(d.lines, c)
		}
	}
	st.offered = d.lines
	return d, nil
}

// accept takes the answer to our offer: the keys it puts in force (nil:
// plain), or why the policy cannot take it.
func (st *srtpDialog) accept(answer *media.Description) (local, remote *media.Crypto, err error) {
	if st.policy != SRTPOff && len(answer.Crypto) > 0 {
		got := answer.Crypto[0]
		for _, ours := range st.offered {
			if ours.Tag == got.Tag && ours.Suite == got.Suite {
				return &ours, &got, nil
			}
		}
		return nil, nil, errSRTPAnswer
	}
	if st.policy == SRTPRequired {
		return nil, nil, errSRTPRequired
	}
	return nil, nil, nil
}

// answer decides an offer: our answer's SRTP and the keys it puts in
// force. Our key is kept while the peer's suite stays, for the reason
// given at offer; a new suite gets a fresh key.
func (st *srtpDialog) answer(offer *media.Description) (d srtpDescription, local, remote *media.Crypto, err error) {
	theirs, err := chooseSRTP(st.policy, offer)
	if err != nil || theirs == nil {
		return srtpDescription{}, nil, nil, err
	}
	var ours media.Crypto
	if st.local != nil && st.local.Suite == theirs.Suite {
		ours = *st.local
		ours.Tag = theirs.Tag
	} else if ours, err = media.NewCrypto(theirs.Tag, theirs.Suite); err != nil {
		return srtpDescription{}, nil, nil, err
	}
	remote = new(media.Crypto)
	*remote = *theirs
	return srtpDescription{secure: offer.Secure, lines: []media.Crypto{ours}}, &ours, remote, nil
}

// answered records our answer's lines as our current description's.
func (st *srtpDialog) answered(d srtpDescription) { st.offered = d.lines }

// applySRTPLocked puts keys in force on the dialog's session.
func (d *dialog) applySRTPLocked(local, remote *media.Crypto) error {
	if err := d.session.SetSRTP(local, remote); err != nil {
		return err
	}
	d.srtp.local, d.srtp.remote = local, remote
	return nil
}

// srtpFor is the policy for a party; without a Config.SRTP, off.
func (s *Server) srtpFor(p SRTPParty) SRTPPolicy {
	if s.cfg.SRTP == nil {
		return SRTPOff
	}
	return s.cfg.SRTP(p)
}

// agentAt is the agent whose phone sent req: the one authenticated, or
// the From user when a live registration of that user came from the same
// source (an agent's phone calling in without credentials).
func (s *Server) agentAt(req *sip.Request, authenticated string) string {
	if authenticated != "" {
		return authenticated
	}
	from := req.From()
	if from == nil || from.Address.User == "" {
		return ""
	}
	for _, b := range s.registrar.Contacts(from.Address.User) {
		if b.Source == req.Source() {
			return from.Address.User
		}
	}
	return ""
}

// sdesKey is a key of an a=crypto line in a traced SDP body; a line may
// carry several (one per MKI), each after its own "inline:".
var sdesKey = regexp.MustCompile(`(?i)(\binline:)([^|\s;]+)`)

// cryptoLine is an a=crypto attribute of an SDP body, well-formed or not:
// a phone that gets the syntax wrong still sends its key.
var cryptoLine = regexp.MustCompile(`(?im)^(a[ \t]*=[ \t]*crypto\b[ \t]*:?)([^\r\n]*)`)

var (
	// cryptoWord is a tag or a suite name; anything else in their place
	// may be the key itself.
	cryptoWord = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
	// keyParam is one well-formed key: its lifetime and MKI are no secret.
	keyParam = regexp.MustCompile(`(?i)^inline:[A-Za-z0-9+/=]+((?:\|(?:2\^[0-9]+|[0-9]+))?(?:\|[0-9]+:[0-9]+)?)$`)
	// sessionParam is one of RFC 4568's session parameters that carry no
	// key (FEC_KEY does, and is masked).
	sessionParam = regexp.MustCompile(`^(?:UNENCRYPTED_SRTCP|UNENCRYPTED_SRTP|UNAUTHENTICATED_SRTP|KDR=[0-9]+|WSH=[0-9]+|FEC_ORDER=[A-Z_]+)$`)
)

// maskKeys replaces SDES keys in a message body for the trace: with them,
// whoever reads the log could decrypt the call. Of an a=crypto line only
// the tag, the suite, a well-formed key's lifetime and MKI, and the
// session parameters known to hold no key are kept; whatever else a
// malformed line holds is masked, since the key may be anywhere in it.
func maskKeys(body string) (string, bool) {
	if !cryptoLine.MatchString(body) && !sdesKey.MatchString(body) {
		return body, false
	}
	body = cryptoLine.ReplaceAllStringFunc(body, func(line string) string {
		m := cryptoLine.FindStringSubmatch(line)
		return m[1] + maskCryptoValue(m[2])
	})
	return sdesKey.ReplaceAllString(body, "${1}(masked)"), true
}

// maskCryptoValue masks the value of an a=crypto line: "tag suite
// key-params [session-params]".
func maskCryptoValue(v string) string {
	f := strings.Fields(v)
	if len(f) < 3 || !cryptoWord.MatchString(f[0]) || !cryptoWord.MatchString(f[1]) {
		return "(masked)"
	}
	keys := strings.Split(f[2], ";")
	for i, k := range keys {
		if m := keyParam.FindStringSubmatch(k); m != nil {
			keys[i] = "inline:(masked)" + m[1]
		} else {
			keys[i] = "(masked)"
		}
	}
	out := append(f[:2:2], strings.Join(keys, ";"))
	for _, p := range f[3:] {
		if !sessionParam.MatchString(p) {
			p = "(masked)"
		}
		out = append(out, p)
	}
	return strings.Join(out, " ")
}
