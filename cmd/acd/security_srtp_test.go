package main

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/store"
)

// srtpBaresipModules are the lines that give baresip SRTP (SDES) and a
// dump of the audio it decodes (sndfile: dump-<time>-dec.wav in dir),
// which is what it heard after decrypting our packets.
func srtpBaresipModules(dir string) []string {
	return []string{"module srtp.so", "module sndfile.so", "snd_path " + dir}
}

// heardTone waits until baresip's dump of what it decoded holds half a
// second of a tone of hz: SRTP our server sent, decrypted by baresip's
// own libsrtp with the key of our SDP, and decoded. Noise (ciphertext
// taken for audio) or silence has no such frequency.
func heardTone(t *testing.T, ctx context.Context, dir string, hz float64) {
	t.Helper()
	best := 0
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "dump-*-dec.wav"))
		for _, f := range files {
			if data, err := os.ReadFile(f); err == nil {
				best = max(best, toneFrames(data, hz))
			}
		}
		if best >= 25 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("baresip decoded %d frames of the %v Hz tone sent to it under SRTP, want 25 (dumps: %v)", best, hz, files)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// toneFrames counts the 20 ms frames of a 16-bit PCM WAV (as sndfile
// writes it: header length maybe not yet final) that are loud and whose
// zero crossings give hz within 10 %.
func toneFrames(wav []byte, hz float64) int {
	if len(wav) < 44 || string(wav[:4]) != "RIFF" {
		return 0
	}
	channels := int(binary.LittleEndian.Uint16(wav[22:24]))
	rate := int(binary.LittleEndian.Uint32(wav[24:28]))
	i := strings.Index(string(wav), "data")
	if i < 0 || channels == 0 || rate == 0 {
		return 0
	}
	pcm := wav[i+8:]
	frame := rate / 50
	n := 0
	for start := 0; (start+frame)*2*channels <= len(pcm); start += frame {
		crossings, loud := 0, 0
		prev := int16(0)
		for k := range frame {
			v := int16(binary.LittleEndian.Uint16(pcm[(start+k)*2*channels:]))
			if (v >= 0) != (prev >= 0) && k > 0 {
				crossings++
			}
			if v > 1000 || v < -1000 {
				loud++
			}
			prev = v
		}
		got := float64(crossings) * 50 / 2
		if loud > frame/4 && got > 0.9*hz && got < 1.1*hz {
			n++
		}
	}
	return n
}

// unmaskedKey is an SDES key that reached the log.
var unmaskedKey = regexp.MustCompile(`inline:[A-Za-z0-9+/]{16}`)

// TestBaresipCallerSRTP: baresip calls with SRTP mandatory (RTP/SAVP)
// into a queue under media.srtp: required; a plain agent answers. The
// agent hears baresip's tone (our server decrypted it and relayed it
// plain), and baresip decodes the agent's 1000 Hz tone from what our
// server encrypted for it, without a packet failing its SRTP checks.
func TestBaresipCallerSRTP(t *testing.T) {
	t.Parallel()
	modules := requireBaresip(t)
	yaml := strings.Replace(agentsYAML, `"1001": {name: Alice, password: secret-1001,`, `"1001": {name: Alice, srtp: off, password: secret-1001,`, 1) +
		"media: {srtp: required}\nsip: {trace: {users: [me]}}\n"
	s := startAcd(t, "-config", writeConfig(t, yaml))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	dumps := t.TempDir()
	caller := startBaresip(t, modules, "<sip:me@127.0.0.1>;regint=0;mediaenc=srtp-mand", srtpBaresipModules(dumps)...)
	caller.command(t, "/dial sip:100@"+s.sip)

	offer := s.waitLog(t, 15*time.Second, "SIP trace: RECV", "INVITE sip:100@", "RTP/SAVP")
	answer := s.waitLog(t, 15*time.Second, "SIP trace: SEND", "SIP/2.0 200 OK", "RTP/SAVP", "a=crypto:", "inline:(masked)")
	for _, line := range []string{offer, answer} {
		if unmaskedKey.MatchString(line) || !strings.Contains(line, "inline:(masked)") {
			t.Fatalf("the trace shows an SDES key: %s", line)
		}
	}
	incoming(t, ctx, agent)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	caller.waitOutput(t, ctx, "SRTP is Enabled")
	speechGrows(t, ctx, agent, "the plain agent (baresip's tone, decrypted by the server)")
	agent.SendTone(ctx, media.PCMU)
	heardTone(t, ctx, dumps, 1000)
	if out := caller.output(); strings.Contains(out, "failed to decrypt") {
		t.Fatalf("baresip could not decrypt what the server sent:\n%s", lastLines(out, 30))
	}
}

// TestBaresipAgentSRTPRequired: an agent whose phone has srtp: required
// is offered RTP/SAVP with crypto lines; baresip, SRTP mandatory, takes
// it, and a plain caller is bridged to it with audio both ways: the
// caller hears baresip's tone, baresip decodes the caller's.
func TestBaresipAgentSRTPRequired(t *testing.T) {
	t.Parallel()
	modules := requireBaresip(t)
	yaml := strings.Replace(agentsYAML, `"1001": {name: Alice, password: secret-1001,`, `"1001": {name: Alice, srtp: required, password: secret-1001,`, 1) +
		"sip: {trace: {users: [\"1001\"]}}\n"
	s := startAcd(t, "-config", writeConfig(t, yaml))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dumps := t.TempDir()
	phone := startBaresip(t, modules, "<sip:1001@"+s.sip+">;auth_pass=secret-1001;answermode=auto;mediaenc=srtp-mand", srtpBaresipModules(dumps)...)
	eventsOf(t, s, store.Filter{}, has("agent.registered:1001"))
	phone.command(t, "/dial *50") // its own offer is RTP/SAVP, which required takes
	s.waitLog(t, 15*time.Second, "feature code", "agent=1001", "code=*50", "prompt=agent-logged-in")
	s.waitLog(t, 10*time.Second, `msg="call ended"`, `why="server hung up`)

	caller := dial(t, ctx, s)
	offer := s.waitLog(t, 15*time.Second, "SIP trace: SEND", "INVITE sip:1001", "m=audio ", " RTP/SAVP ",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:(masked)", "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:(masked)")
	if unmaskedKey.MatchString(offer) {
		t.Fatalf("the trace shows an SDES key: %s", offer)
	}
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	s.waitLog(t, 10*time.Second, "leg answered", "srtp=true")
	speechGrows(t, ctx, caller, "the plain caller (baresip's tone, decrypted by the server)")
	caller.SendTone(ctx, media.PCMU)
	heardTone(t, ctx, dumps, 1000)
	if out := phone.output(); strings.Contains(out, "failed to decrypt") || !strings.Contains(out, "SRTP is Enabled") {
		t.Fatalf("baresip did not take the server's SRTP:\n%s", lastLines(out, 30))
	}
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestBaresipPlainOfferToRequiredIs488: a phone without SRTP calling a
// server whose phones must use it is refused with 488, and says so.
func TestBaresipPlainOfferToRequiredIs488(t *testing.T) {
	t.Parallel()
	modules := requireBaresip(t)
	s := startAcd(t, "-config", writeConfig(t, agentsYAML+"media: {srtp: required}\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	caller := startBaresip(t, modules, "<sip:me@127.0.0.1>;regint=0")
	caller.command(t, "/dial sip:100@"+s.sip)
	s.waitLog(t, 15*time.Second, "offer refused by the SRTP policy", "srtp=required")
	caller.waitOutput(t, ctx, "488")
}

// TestToneFrames: the check of baresip's dumps tells the tone from
// another tone, from noise (what ciphertext would sound like) and from
// silence, at the rates baresip may dump at.
func TestToneFrames(t *testing.T) {
	t.Parallel()
	wav := func(rate, channels int, sample func(i int) int16) []byte {
		n := rate // one second
		h := []byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00")
		h = binary.LittleEndian.AppendUint16(h, uint16(channels))
		h = binary.LittleEndian.AppendUint32(h, uint32(rate))
		h = binary.LittleEndian.AppendUint32(h, uint32(rate*2*channels))
		h = binary.LittleEndian.AppendUint16(h, uint16(2*channels))
		h = binary.LittleEndian.AppendUint16(h, 16)
		h = append(h, "data\x00\x00\x00\x00"...)
		for i := range n {
			for range channels {
				h = binary.LittleEndian.AppendUint16(h, uint16(sample(i)))
			}
		}
		return h
	}
	sine := func(hz float64, rate int) func(int) int16 {
		return func(i int) int16 { return int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/float64(rate))) }
	}
	noise := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		wav  []byte
		want bool
	}{
		{"1000 Hz at 8 kHz", wav(8000, 1, sine(1000, 8000)), true},
		{"1000 Hz at 48 kHz stereo", wav(48000, 2, sine(1000, 48000)), true},
		{"440 Hz", wav(8000, 1, sine(440, 8000)), false},
		{"noise", wav(8000, 1, func(int) int16 { return int16(noise.IntN(65536) - 32768) }), false},
		{"silence", wav(8000, 1, func(int) int16 { return 0 }), false},
	}
	for _, tt := range tests {
		if got := toneFrames(tt.wav, 1000); (got >= 25) != tt.want {
			t.Errorf("%s: %d frames of 1000 Hz", tt.name, got)
		}
	}
}

// TestBaresipAgentOverTLSWithSRTP: an agent's baresip registers over TLS
// and must use SRTP: its keys travel in SDP over TLS only, and a plain
// caller is bridged to it with audio both ways, decrypted on each side.
func TestBaresipAgentOverTLSWithSRTP(t *testing.T) {
	t.Parallel()
	modules := requireBaresip(t)
	yaml := strings.Replace(agentsYAML, `"1001": {name: Alice, password: secret-1001,`, `"1001": {name: Alice, srtp: required, password: secret-1001,`, 1)
	site := newTLSSite(t, yaml)
	s := startAcd(t, "-config", site.config)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dumps := t.TempDir()
	phone := startBaresipWith(t, modules, append([]string{"sip_cafile " + site.ca.File}, srtpBaresipModules(dumps)...),
		"<sip:1001@"+site.sipTLS+";transport=tls>;auth_pass=secret-1001;answermode=auto;mediaenc=srtp-mand")
	eventsOf(t, s, store.Filter{}, has("agent.registered:1001"))
	phone.command(t, "/dial *50")
	s.waitLog(t, 15*time.Second, "feature code", "agent=1001", "code=*50", "prompt=agent-logged-in")
	s.waitLog(t, 10*time.Second, `msg="call ended"`, `why="server hung up`)

	caller := dial(t, ctx, s)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	s.waitLog(t, 10*time.Second, "leg answered", "srtp=true")
	calls := table(t, ctlWith(t, s, site.config, "calls"))
	if leg := rowWith(t, calls, "KIND", "agent"); !strings.HasPrefix(leg["PEER"], "TLS ") {
		t.Fatalf("the agent's leg is over %q, want TLS", leg["PEER"])
	}
	speechGrows(t, ctx, caller, "the plain caller (baresip's tone, sent in SRTP over a TLS-signalled call)")
	caller.SendTone(ctx, media.PCMU)
	heardTone(t, ctx, dumps, 1000)
	if out := phone.output(); strings.Contains(out, "failed to decrypt") || !strings.Contains(out, "SRTP is Enabled") {
		t.Fatalf("baresip did not take the server's SRTP:\n%s", lastLines(out, 30))
	}
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestSRTPDropsCounted: a caller under media.srtp required sends the
// server SRTP over a real call: audio, a replay of a packet already
// taken, three packets whose authentication tag is corrupted, and then
// '*', which takes it out of the queue. Once the server hangs up it has
// read them all: /metrics counts the three as auth and the one as
// replay, and the call went on through them (the '*' was heard).
func TestSRTPDropsCounted(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, "media: {srtp: required}\n"+agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	before := scrape(t, s)
	for _, reason := range []string{"auth", "replay"} {
		if n := sample(t, before, "acd_srtp_packets_dropped_total", "reason", reason); n != 0 {
			t.Fatalf("%v SRTP packets dropped for %s before any call", n, reason)
		}
	}

	caller := testutil.NewPhone(t)
	key, err := media.NewCrypto(1, media.AESCM128HMACSHA1_80)
	if err != nil {
		t.Fatal(err)
	}
	offer := media.Answer{Addr: caller.RTP.LocalAddr().(*net.UDPAddr).AddrPort(), Codecs: []media.Codec{media.PCMU},
		DTMFType: 101, Direction: media.SendRecv, SessionID: 5, Version: 1, Secure: true, Crypto: []media.Crypto{key}}.Marshal()
	dlg, err := caller.Invite(ctx, s.sip, "100", offer)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := caller.Answered(ctx, dlg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !answer.Secure || len(answer.Crypto) == 0 {
		t.Fatalf("the server answered an RTP/SAVP offer without SRTP: secure %v, %d crypto lines", answer.Secure, len(answer.Crypto))
	}
	s.waitLog(t, 5*time.Second, "caller joined queue", "queue=support")

	enc, err := srtp.CreateContext(key.Key[:16], key.Key[16:], srtp.ProtectionProfileAes128CmHmacSha1_80)
	if err != nil {
		t.Fatal(err)
	}
	seq, ts := uint16(1000), uint32(8000)
	seal := func(pt uint8, marker bool, payload []byte) []byte {
		t.Helper()
		plain, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: 0x5eed, Marker: marker},
			Payload: payload}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		wire, err := enc.EncryptRTP(nil, plain, nil)
		if err != nil {
			t.Fatal(err)
		}
		return wire
	}
	send := func(wire []byte) {
		t.Helper()
		if _, err := caller.RTP.WriteToUDPAddrPort(wire, answer.Addr); err != nil {
			t.Fatal(err)
		}
	}
	silence := make([]byte, media.FrameSize)
	for i := range silence {
		silence[i] = 0xff
	}
	var last []byte
	for range 5 {
		seq, ts = seq+1, ts+media.FrameSize
		last = seal(0, false, silence)
		send(last)
	}
	send(last) // a replay
	for range 3 {
		seq, ts = seq+1, ts+media.FrameSize
		forged := seal(0, false, silence)
		forged[len(forged)-1] ^= 0x01 // a flipped bit of the tag
		send(forged)
		seq-- // never taken: the genuine packet may have its number
	}
	// '*' as RFC 4733 events, three while down and three ends.
	ts += media.FrameSize
	for i := range 6 {
		seq++
		payload := []byte{10, 10, 0, 0} // event 10 is '*'
		if i >= 3 {
			payload[1] |= 0x80
		}
		binary.BigEndian.PutUint16(payload[2:], uint16(min(i+1, 3)*160))
		send(seal(101, i == 0, payload))
	}
	select {
	case <-caller.Byes:
	case <-ctx.Done():
		t.Fatal("the server never hung up after the caller's '*'")
	}
	eventsOf(t, s, store.Filter{}, has("caller.joined:", "caller.exit:"))

	after := scrape(t, s)
	for _, want := range []struct {
		reason string
		n      float64
	}{{"auth", 3}, {"replay", 1}} {
		if n := sample(t, after, "acd_srtp_packets_dropped_total", "reason", want.reason); n != want.n {
			t.Errorf("acd_srtp_packets_dropped_total{reason=%q} = %v, want %v", want.reason, n, want.n)
		}
	}
	if n := sample(t, after, "acd_rtp_packets_stray_total"); n != 0 {
		t.Errorf("%v packets dropped as stray: the dropped SRTP must not reach strict RTP", n)
	}
}
