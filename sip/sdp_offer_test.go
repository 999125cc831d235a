package sip_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	acdsip "github.com/acdserver/acd/sip"
)

// unusableConnections are SDP bodies whose audio stream gives no address
// RTP could be sent to.
var unusableConnections = []struct{ name, body string }{
	{"no c= line", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"},
	{"IPv6 garbage", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP6 :::zz\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"},
	{"host name", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 pbx.example.com\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"},
	{"IP4 with an IPv6 address", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 ::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"},
	{"media-level host name over a good session c=", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 pbx.example.com\r\n"},
}

func TestOfferWithoutUsableAddressIs488(t *testing.T) {
	var answered atomic.Int32
	addr, srv := startServer(t, func(context.Context, *acdsip.Call) { answered.Add(1) })
	for _, tc := range unusableConnections {
		t.Run(tc.name, func(t *testing.T) {
			ctx := within(t, 10*time.Second)
			phone := testutil.NewPhone(t)
			res := expectRejected(t, ctx, phone, addr, "100", []byte(tc.body), 488)
			expectAddressWarning(t, res)
		})
	}
	ctx := within(t, 5*time.Second)
	waitNoCalls(t, ctx, srv, "a refused offer left a call behind")
	if n := answered.Load(); n != 0 {
		t.Fatalf("%d refused offers reached the dial plan", n)
	}
}

// expectAddressWarning checks that a 488 says the address is the problem.
func expectAddressWarning(t *testing.T, res *sipmsg.Response) {
	t.Helper()
	w := res.GetHeader("Warning")
	if w == nil || !strings.HasPrefix(w.Value(), "301 ") {
		t.Fatalf("488 with Warning %v, want code 301 (incompatible network address format)", w)
	}
}

func TestReInviteWithoutUsableAddressKeepsMedia(t *testing.T) {
	keys := make(chan rune, 16)
	addr, _ := startServer(t, keyRecorder(t, keys))
	ctx := within(t, 30*time.Second)
	phone, s := answeredCall(t, ctx, addr)
	assertAudio(t, phone, 0, 300*time.Millisecond)
	for _, tc := range unusableConnections {
		req := sipmsg.NewRequest(sipmsg.INVITE, s.InviteResponse.Contact().Address)
		req.SetBody([]byte(tc.body))
		req.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
		res, err := s.Do(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if res.StatusCode != 488 {
			t.Fatalf("%s: re-INVITE answered %d, want 488", tc.name, res.StatusCode)
		}
		expectAddressWarning(t, res)
	}
	// RFC 3261 §14.2: a refused re-INVITE leaves the session as it was.
	before := phone.Stats().ByPT[0]
	for phone.Stats().ByPT[0] < before+15 {
		select {
		case <-ctx.Done():
			t.Fatalf("%d packets after the refused re-INVITEs; the call lost its media", phone.Stats().ByPT[0]-before)
		case <-time.After(20 * time.Millisecond):
		}
	}
	phone.SendDTMF('9', 101)
	expectKeys(t, ctx, keys, "9")
	if err := phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestOfferlessInviteAnswerWithoutUsableAddressIsHungUp: the answer to
// the offer in our 200 OK comes in the ACK, too late for a 488.
func TestOfferlessInviteAnswerWithoutUsableAddressIsHungUp(t *testing.T) {
	addr, srv := startServer(t, keyRecorder(t, make(chan rune, 16)))
	for _, tc := range unusableConnections {
		t.Run(tc.name, func(t *testing.T) {
			ctx := within(t, 10*time.Second)
			phone := testutil.NewPhone(t)
			s, err := phone.Invite(ctx, addr, "100", nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := phone.Answered(ctx, s, []byte(tc.body)); err != nil {
				t.Fatal(err)
			}
			select {
			case <-phone.Byes:
			case <-ctx.Done():
				t.Fatal("no BYE after an answer without a usable address")
			}
			waitNoCalls(t, ctx, srv, "the call is still held")
		})
	}
}

// dynamicOffer binds law to payload type pt, with telephone-event on 101,
// at the phone's RTP socket.
func dynamicOffer(phone *testutil.Phone, pt uint8, law media.Codec) []byte {
	port := phone.RTP.LocalAddr().(*net.UDPAddr).Port
	return fmt.Appendf(nil, "v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP %d 101\r\na=rtpmap:%d %s/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n",
		port, pt, pt, law)
}

// audioFormats is the format list of the first m=audio line, and the
// rtpmap of each payload type.
func audioFormats(t *testing.T, body []byte) ([]string, map[string]string) {
	t.Helper()
	var formats []string
	rtpmap := map[string]string{}
	for line := range strings.Lines(string(body)) {
		line = strings.TrimSpace(line)
		if f := strings.Fields(line); formats == nil && len(f) >= 4 && f[0] == "m=audio" {
			formats = f[3:]
		}
		if v, ok := strings.CutPrefix(line, "a=rtpmap:"); ok {
			pt, enc, _ := strings.Cut(v, " ")
			rtpmap[pt] = enc
		}
	}
	if formats == nil {
		t.Fatalf("no m=audio line in\n%s", body)
	}
	return formats, rtpmap
}

func TestDynamicPayloadTypeOffer(t *testing.T) {
	for _, tc := range []struct {
		pt  uint8
		law media.Codec
	}{{96, media.PCMU}, {97, media.PCMA}} {
		t.Run(fmt.Sprintf("%v on %d", tc.law, tc.pt), func(t *testing.T) {
			keys := make(chan rune, 16)
			addr, _ := startServer(t, keyRecorder(t, keys))
			ctx := within(t, 20*time.Second)
			phone := testutil.NewPhone(t)
			phone.Dynamic(tc.pt, tc.law)
			s, err := phone.Invite(ctx, addr, "100", dynamicOffer(phone, tc.pt, tc.law))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := phone.Answered(ctx, s, nil); err != nil {
				t.Fatal(err)
			}
			// RFC 3264 §6.1: the answer uses the offer's numbers.
			formats, rtpmap := audioFormats(t, s.InviteResponse.Body())
			pt := fmt.Sprint(tc.pt)
			if !slices.Equal(formats, []string{pt, "101"}) || !strings.EqualFold(rtpmap[pt], tc.law.String()+"/8000") {
				t.Fatalf("answer formats %v with rtpmap %v; want %s (%v/8000) and 101", formats, rtpmap, pt, tc.law)
			}
			assertAudio(t, phone, tc.pt, 1500*time.Millisecond)
			phone.SendDTMF('5', 101)
			expectKeys(t, ctx, keys, "5")
			if err := phone.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestOutboundLegWithoutUsableAddressIsHungUp(t *testing.T) {
	_, srv := startServer(t, func(context.Context, *acdsip.Call) {})
	for _, tc := range unusableConnections {
		t.Run(tc.name, func(t *testing.T) {
			ctx := within(t, 15*time.Second)
			agent := testutil.NewPhone(t)
			agent.TakeCalls(testutil.AnswerMode{Body: []byte(tc.body)})
			leg, err := srv.Dial(ctx, acdsip.Trunk{Address: agent.Addr()}, "5550100", "100")
			if err == nil {
				leg.Hangup(hangup.CallOver)
				t.Fatal("a leg answered without a usable address was taken as answered")
			}
			select {
			case <-agent.Byes:
			case <-ctx.Done():
				t.Fatal("the refused answer's dialog was not ended with a BYE")
			}
			for srv.ActiveLegs() != 0 {
				select {
				case <-ctx.Done():
					t.Fatal("the refused leg is still held")
				case <-time.After(10 * time.Millisecond):
				}
			}
		})
	}
}

// TestBridgeWithDynamicPayloadType bridges a caller whose PCMU is on
// payload type 96 to an agent's phone on PCMA 8: each hears the other's
// speech on its own number, and the caller's keys reach the agent.
func TestBridgeWithDynamicPayloadType(t *testing.T) {
	ctx := within(t, 30*time.Second)
	agent := testutil.NewPhone(t)
	agent.TakeCalls(testutil.AnswerMode{Codec: media.PCMA})
	var server atomic.Pointer[acdsip.Server]
	bridged := make(chan error, 1)
	addr, srv := startServer(t, func(ctx context.Context, c *acdsip.Call) {
		leg, err := server.Load().Dial(ctx, acdsip.Trunk{Address: agent.Addr()}, "5550100", c.Caller())
		bridged <- err
		if err != nil {
			return
		}
		server.Load().Bridge(c, leg)
		select {
		case <-c.Done():
		case <-leg.Done():
		case <-ctx.Done():
		}
	})
	server.Store(srv)

	caller := testutil.NewPhone(t)
	caller.Dynamic(96, media.PCMU)
	s, err := caller.Invite(ctx, addr, "100", dynamicOffer(caller, 96, media.PCMU))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := caller.Answered(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-bridged:
		if err != nil {
			t.Fatalf("dialling the agent: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the agent's leg never answered")
	}
	caller.SendTonePT(ctx, media.PCMU, 96)
	for !agent.Remote().IsValid() {
		time.Sleep(10 * time.Millisecond)
	}
	agent.SendTone(ctx, media.PCMA)
	heard := func(p *testutil.Phone, pt uint8, who string) {
		t.Helper()
		for st := p.Stats(); st.SpeechFrames < 25; st = p.Stats() {
			select {
			case <-ctx.Done():
				t.Fatalf("%s heard %d frames of speech through the bridge (by payload type %v)", who, st.SpeechFrames, st.ByPT)
			case <-time.After(20 * time.Millisecond):
			}
		}
		for other, n := range p.Stats().ByPT {
			if other != pt && other != 101 {
				t.Fatalf("%s received %d packets of payload type %d, want %d", who, n, other, pt)
			}
		}
	}
	heard(agent, 8, "the agent")
	heard(caller, 96, "the caller")
	caller.SendDTMF('7', 101)
	for agent.Stats().Keys != "7" {
		select {
		case <-ctx.Done():
			t.Fatalf("the agent's phone decoded %q, want 7", agent.Stats().Keys)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-agent.Byes:
	case <-ctx.Done():
		t.Fatal("the agent's leg was not hung up with the caller's")
	}
}
