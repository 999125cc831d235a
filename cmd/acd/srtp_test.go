package main

import (
	"context"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/store"
)

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
