package sip_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/prompts"
	acdsip "github.com/acdserver/acd/sip"
)

// startServer runs a SIP server on loopback whose only number, 100, runs
// handler. It returns the server's SIP address.
func startServer(t *testing.T, handler acdsip.Handler, tune ...func(*acdsip.Config)) (string, *acdsip.Server) {
	t.Helper()
	return startServerOn(t, net.IPv4(127, 0, 0, 1), handler, tune...)
}

// startServerOn is startServer bound to ip (a wildcard, for instance); the
// address returned is on loopback, where the test phones are.
func startServerOn(t *testing.T, ip net.IP, handler acdsip.Handler, tune ...func(*acdsip.Config)) (string, *acdsip.Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	udp, tcp := listenSIP(t, ip)
	ports, _ := media.NewPorts(30000, 39999)
	engine, err := media.NewEngine(ctx, media.RawSendAuto)
	if err != nil {
		t.Fatal(err)
	}
	cfg := acdsip.Config{
		RTPTimeout:     time.Minute,
		RTPHoldTimeout: time.Hour,
		Ports:          ports,
		Media:          engine,
		Log:            slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Route: func(number, _ string) (acdsip.Handler, bool) {
			return handler, number == "100"
		},
	}
	for _, f := range tune {
		f(&cfg)
	}
	srv, err := acdsip.NewServer(cfg, udp)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ctx, tcp); err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		engine.Wait()
	})
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(udp.LocalAddr().(*net.UDPAddr).Port)), srv
}

// listenSIP binds UDP and TCP on one port, as the server does.
func listenSIP(t *testing.T, ip net.IP) (*net.UDPConn, net.Listener) {
	t.Helper()
	for range 20 {
		udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
		if err != nil {
			t.Fatal(err)
		}
		tcp, err := net.Listen("tcp", udp.LocalAddr().String())
		if err == nil {
			return udp, tcp
		}
		_ = udp.Close()
	}
	t.Fatal("no loopback port free for both UDP and TCP")
	return nil, nil
}

var library *prompts.Library

func sounds(t *testing.T) *prompts.Library {
	if library == nil {
		lib, err := prompts.Load("")
		if err != nil {
			t.Fatal(err)
		}
		library = lib
	}
	return library
}

// keyRecorder plays a prompt and records every key until '*'.
func keyRecorder(t *testing.T, keys chan<- rune) acdsip.Handler {
	welcome := sounds(t).Get("welcome")
	return func(ctx context.Context, c *acdsip.Call) {
		c.Play(welcome, true)
		for {
			select {
			case k := <-c.Digits():
				keys <- k
			case <-c.Done():
				return
			case <-ctx.Done():
				return
			}
		}
	}
}

func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestCallAnsweredWithAudioAndDTMF(t *testing.T) {
	for _, tc := range []struct {
		name   string
		codecs []media.Codec
		want   media.Codec
		dtmfPT uint8
	}{
		{"PCMU", []media.Codec{media.PCMU, media.PCMA}, media.PCMU, 101},
		{"PCMA", []media.Codec{media.PCMA, media.PCMU}, media.PCMA, 96},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys := make(chan rune, 16)
			addr, _ := startServer(t, keyRecorder(t, keys))
			ctx := within(t, 20*time.Second)
			phone := testutil.NewPhone(t)
			s, err := phone.Invite(ctx, addr, "100", phone.SDP(tc.dtmfPT, tc.codecs...))
			if err != nil {
				t.Fatal(err)
			}
			answer, err := phone.Answered(ctx, s, nil)
			if err != nil {
				t.Fatal(err)
			}
			if answer.Codecs[0] != tc.want || answer.DTMFType != tc.dtmfPT {
				t.Fatalf("answer chose %v with telephone-event %d; want %v with %d", answer.Codecs, answer.DTMFType, tc.want, tc.dtmfPT)
			}
			assertAudio(t, phone, uint8(tc.want), 1500*time.Millisecond)

			phone.SendDTMF('#', tc.dtmfPT)
			phone.SendDTMF('*', tc.dtmfPT)
			expectKeys(t, ctx, keys, "#*")
			if err := phone.Hangup(ctx); err != nil {
				t.Fatalf("BYE: %v", err)
			}
			select {
			case k := <-keys:
				t.Fatalf("key %q decoded twice: redundant RFC 4733 packets must fire once", k)
			default:
			}
		})
	}
}

// assertAudio waits for span of audio after the first packet and checks
// that at least 95 % of the packets arrived, with the payload type and
// speech in them.
func assertAudio(t *testing.T, phone *testutil.Phone, pt uint8, span time.Duration) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for phone.Stats().First.IsZero() && time.Now().Before(deadline) {
		phone.SendAudio(pt) // also opens the server's symmetric-RTP latch
		time.Sleep(20 * time.Millisecond)
	}
	first := phone.Stats().First
	if first.IsZero() {
		t.Fatal("no RTP received")
	}
	// At least span's worth of packets, and enough of the prompt past its
	// leading silence: on a loaded machine packets arrive late, so the
	// count, not the clock, says when enough has been heard.
	want := int(span / media.FrameDuration)
	for time.Now().Before(deadline.Add(5 * time.Second)) {
		st := phone.Stats()
		if st.ByPT[pt] >= want && st.SpeechFrames*4 >= st.ByPT[pt] {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The pace itself is the benchmarks' to measure; here no packet may be
	// missing (the timestamps below run without a gap).
	st := phone.Stats()
	got := st.ByPT[pt]
	if got < want {
		t.Fatalf("received %d packets of PT %d, want at least %d", got, pt, want)
	}
	for other, n := range st.ByPT {
		if other != pt {
			t.Fatalf("received %d packets of unexpected PT %d", n, other)
		}
	}
	if st.SpeechFrames < got/4 {
		t.Fatalf("only %d of %d frames carry speech energy", st.SpeechFrames, got)
	}
	if len(st.SSRCs) != 1 {
		t.Fatalf("%d SSRCs, want one per call", len(st.SSRCs))
	}
	for i := 1; i < len(st.Timestamps); i++ {
		if d := st.Timestamps[i] - st.Timestamps[i-1]; d != media.FrameSize {
			t.Fatalf("timestamp step %d at packet %d, want %d", d, i, media.FrameSize)
		}
	}
}

func TestOfferlessInvite(t *testing.T) {
	keys := make(chan rune, 16)
	addr, _ := startServer(t, keyRecorder(t, keys))
	ctx := within(t, 20*time.Second)
	phone := testutil.NewPhone(t)
	s, err := phone.Invite(ctx, addr, "100", nil)
	if err != nil {
		t.Fatal(err)
	}
	offer, err := phone.Answered(ctx, s, phone.SDP(101, media.PCMA))
	if err != nil {
		t.Fatal(err)
	}
	if len(offer.Codecs) != 2 || offer.DTMFType == 0 {
		t.Fatalf("our offer in the 200 OK lists %v, telephone-event %d; want PCMU, PCMA and an event type", offer.Codecs, offer.DTMFType)
	}
	assertAudio(t, phone, uint8(media.PCMA), time.Second)
	phone.SendDTMF('5', 101)
	expectKeys(t, ctx, keys, "5")
	if err := phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestAnsweredAtOnceWithoutRinging: without a ring time the 200 is the
// first response the caller gets from the server, and with one the caller
// hears ringing first.
func TestAnsweredAtOnceWithoutRinging(t *testing.T) {
	tests := []struct {
		name     string
		ringTime time.Duration
		ringing  bool
	}{
		{"answered at once", 0, false},
		{"ringing first", 200 * time.Millisecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, _ := startServer(t, func(ctx context.Context, c *acdsip.Call) { <-c.Done() },
				func(c *acdsip.Config) { c.RingTime = tt.ringTime })
			ctx := within(t, 20*time.Second)
			phone := testutil.NewPhone(t)
			s, err := phone.Invite(ctx, addr, "100", phone.SDP(101, media.PCMU))
			if err != nil {
				t.Fatal(err)
			}
			rang := false
			if err := s.WaitAnswer(ctx, sipgo.AnswerOptions{OnResponse: func(res *sipmsg.Response) error {
				rang = rang || res.StatusCode == 180
				return nil
			}}); err != nil {
				t.Fatal(err)
			}
			if err := s.Ack(ctx); err != nil {
				t.Fatal(err)
			}
			if rang != tt.ringing {
				t.Errorf("180 Ringing before the answer: %v, want %v", rang, tt.ringing)
			}
			if err := s.Bye(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCancelBeforeAnswer(t *testing.T) {
	answered := make(chan struct{}, 1)
	addr, srv := startServer(t, func(ctx context.Context, c *acdsip.Call) { answered <- struct{}{} },
		func(c *acdsip.Config) { c.RingTime = 10 * time.Second })
	ctx := within(t, 20*time.Second)
	phone := testutil.NewPhone(t)
	s, err := phone.Invite(ctx, addr, "100", phone.SDP(101, media.PCMU))
	if err != nil {
		t.Fatal(err)
	}
	ringing := make(chan struct{})
	waitCtx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		errc <- s.WaitAnswer(waitCtx, sipgo.AnswerOptions{OnResponse: func(res *sipmsg.Response) error {
			if res.StatusCode == 180 {
				close(ringing)
			}
			return nil
		}})
	}()
	<-ringing
	cancel() // sends CANCEL
	if err := <-errc; err == nil {
		t.Fatal("the call was answered after CANCEL")
	}
	waitNoCalls(t, ctx, srv, "the cancelled call is still held by the server")
	select {
	case <-answered:
		t.Fatal("a cancelled call reached the dial plan")
	default:
	}
}

func TestServerHangsUp(t *testing.T) {
	goodbye := sounds(t).Get("goodbye")
	addr, _ := startServer(t, func(ctx context.Context, c *acdsip.Call) {
		<-c.Play(goodbye, false)
	})
	ctx := within(t, 20*time.Second)
	phone, _ := answeredCall(t, ctx, addr)
	select {
	case <-phone.Byes:
	case <-ctx.Done():
		t.Fatal("no BYE from the server after its prompt ended")
	}
	st := phone.Stats()
	if want := int(goodbye.Duration() / media.FrameDuration); st.ByPT[0] < want*95/100 {
		t.Fatalf("heard %d frames before BYE, want the whole %d-frame prompt", st.ByPT[0], want)
	}
}

func TestUnknownNumberIs404(t *testing.T) {
	addr, _ := startServer(t, func(context.Context, *acdsip.Call) {})
	ctx := within(t, 10*time.Second)
	phone := testutil.NewPhone(t)
	expectRejected(t, ctx, phone, addr, "999", phone.SDP(101, media.PCMU), 404)
}

// expectRejected calls number with sdp and checks the final response.
func expectRejected(t *testing.T, ctx context.Context, phone *testutil.Phone, addr, number string, sdp []byte, status int) *sipmsg.Response {
	t.Helper()
	s, err := phone.Invite(ctx, addr, number, sdp)
	if err != nil {
		t.Fatal(err)
	}
	_, err = phone.Answered(ctx, s, nil)
	var rejected *sipgo.ErrDialogResponse
	if !errors.As(err, &rejected) || rejected.Res.StatusCode != status {
		t.Fatalf("got %v, want %d", err, status)
	}
	return rejected.Res
}

func TestNoCommonCodecIs488(t *testing.T) {
	addr, _ := startServer(t, func(context.Context, *acdsip.Call) {})
	ctx := within(t, 10*time.Second)
	phone := testutil.NewPhone(t)
	sdp := []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 9 18\r\na=rtpmap:9 G722/8000\r\na=rtpmap:18 G729/8000\r\n")
	expectRejected(t, ctx, phone, addr, "100", sdp, 488)
}

// answeredCall dials 100 and returns once the call is up with audio flowing.
func answeredCall(t *testing.T, ctx context.Context, addr string) (*testutil.Phone, *sipgo.DialogClientSession) {
	t.Helper()
	phone := testutil.NewPhone(t)
	s, err := phone.Invite(ctx, addr, "100", phone.SDP(101, media.PCMU))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := phone.Answered(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	return phone, s
}

// reinvite sends an in-dialog INVITE with body (nil: offerless), ACKs the
// 200 with ackBody, and returns the server's SDP.
func reinvite(t *testing.T, ctx context.Context, s *sipgo.DialogClientSession, body, ackBody []byte) *media.Description {
	t.Helper()
	req := sipmsg.NewRequest(sipmsg.INVITE, s.InviteResponse.Contact().Address)
	if body != nil {
		req.SetBody(body)
		req.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	}
	res, err := s.Do(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		t.Fatalf("re-INVITE answered %d", res.StatusCode)
	}
	ack := sipmsg.NewRequest(sipmsg.ACK, s.InviteResponse.Contact().Address)
	if ackBody != nil {
		ack.SetBody(ackBody)
		ack.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	}
	if err := s.WriteAck(ctx, ack); err != nil {
		t.Fatal(err)
	}
	d, err := media.ParseSDP(res.Body())
	if err != nil {
		t.Fatalf("SDP in re-INVITE answer: %v", err)
	}
	return d
}

func TestReInviteHoldResumeAndRefresh(t *testing.T) {
	keys := make(chan rune, 16)
	addr, _ := startServer(t, keyRecorder(t, keys))
	ctx := within(t, 20*time.Second)
	phone, s := answeredCall(t, ctx, addr)
	assertAudio(t, phone, 0, 300*time.Millisecond)
	port := phone.Stats()

	held := string(phone.SDP(101, media.PCMU))
	held = held[:len(held)-len("a=sendrecv\r\n")] + "a=sendonly\r\n"
	ans := reinvite(t, ctx, s, []byte(held), nil)
	if ans.Direction != media.RecvOnly {
		t.Fatalf("hold answered %v, want recvonly", ans.Direction)
	}
	// Over a quiet period, at most the packets already in flight arrive.
	before := phone.Stats().ByPT[0]
	time.Sleep(300 * time.Millisecond)
	if n := phone.Stats().ByPT[0] - before; n > 2 {
		t.Fatalf("%d packets sent while the caller holds", n)
	}

	ans = reinvite(t, ctx, s, phone.SDP(101, media.PCMU), nil)
	if ans.Direction != media.SendRecv {
		t.Fatalf("resume answered %v, want sendrecv", ans.Direction)
	}
	resumed := phone.Stats().ByPT[0]
	for phone.Stats().ByPT[0] < resumed+10 {
		select {
		case <-ctx.Done():
			t.Fatal("audio did not resume after the hold ended")
		case <-time.After(20 * time.Millisecond):
		}
	}

	// A session refresh without an offer gets our current SDP as the offer.
	offer := reinvite(t, ctx, s, nil, phone.SDP(101, media.PCMU))
	if offer.Addr != ans.Addr || len(offer.Codecs) != 2 {
		t.Fatalf("refresh offered %+v; want the same address %v and both codecs", offer, ans.Addr)
	}
	_ = port
	if err := phone.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestDTMFBySIPInfo(t *testing.T) {
	keys := make(chan rune, 16)
	addr, _ := startServer(t, keyRecorder(t, keys))
	ctx := within(t, 20*time.Second)
	phone, s := answeredCall(t, ctx, addr)
	for _, tc := range []struct{ ct, body string }{
		{"application/dtmf-relay", "Signal=7\r\nDuration=160\r\n"},
		{"application/dtmf", "#"},
	} {
		req := sipmsg.NewRequest(sipmsg.INFO, s.InviteResponse.Contact().Address)
		req.SetBody([]byte(tc.body))
		req.AppendHeader(sipmsg.NewHeader("Content-Type", tc.ct))
		res, err := s.Do(ctx, req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("INFO %s: %v %v", tc.ct, res, err)
		}
	}
	expectKeys(t, ctx, keys, "7#")
	_ = phone.Hangup(ctx)
}

func TestRTPInactivityEndsCall(t *testing.T) {
	addr, srv := startServer(t, keyRecorder(t, make(chan rune, 16)),
		func(c *acdsip.Config) { c.RTPTimeout = 400 * time.Millisecond })
	ctx := within(t, 20*time.Second)
	phone, _ := answeredCall(t, ctx, addr) // and never sends RTP
	select {
	case <-phone.Byes:
	case <-ctx.Done():
		t.Fatal("no BYE after the caller stopped sending RTP")
	}
	waitNoCalls(t, ctx, srv, "call still held after the inactivity BYE")
}

func TestServerSendsDTMF(t *testing.T) {
	addr, _ := startServer(t, func(ctx context.Context, c *acdsip.Call) {
		for _, k := range "12#" {
			c.SendDigit(k)
		}
		<-c.Done()
	})
	ctx := within(t, 10*time.Second)
	phone, _ := answeredCall(t, ctx, addr)
	for st := phone.Stats(); st.Keys != "12#" || st.ByPT[101] < 3*8; st = phone.Stats() {
		select {
		case <-ctx.Done():
			t.Fatalf("phone decoded %q, want 12#", phone.Stats().Keys)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if st := phone.Stats(); st.ByPT[101] != 3*8 || len(st.SSRCs) != 1 {
		t.Fatalf("%d telephone-event packets on %d SSRCs; want 8 per key on the audio SSRC", st.ByPT[101], len(st.SSRCs))
	}
	_ = phone.Hangup(ctx)
}

// expectKeys waits for the handler to report each key of want, in order.
func expectKeys(t *testing.T, ctx context.Context, keys <-chan rune, want string) {
	t.Helper()
	for _, w := range want {
		select {
		case got := <-keys:
			if got != w {
				t.Fatalf("key %q decoded, want %q", got, w)
			}
		case <-ctx.Done():
			t.Fatalf("key %q never decoded", w)
		}
	}
}

// waitNoCalls waits until the server has released every call.
func waitNoCalls(t *testing.T, ctx context.Context, srv *acdsip.Server, failure string) {
	t.Helper()
	for srv.ActiveCalls() != 0 {
		select {
		case <-ctx.Done():
			t.Fatal(failure)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestMaxCallsSheds503 fills the server and checks that the next caller is
// turned away with 503 and Retry-After, and admitted again once a call ends.
func TestMaxCallsSheds503(t *testing.T) {
	addr, srv := startServer(t, keyRecorder(t, make(chan rune, 16)), func(c *acdsip.Config) { c.MaxCalls = 1 })
	ctx := within(t, 20*time.Second)
	first, _ := answeredCall(t, ctx, addr)

	phone := testutil.NewPhone(t)
	res := expectRejected(t, ctx, phone, addr, "100", phone.SDP(101, media.PCMU), 503)
	if h := res.GetHeader("Retry-After"); h == nil || h.Value() == "" {
		t.Fatal("503 without Retry-After")
	}

	if err := first.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	waitNoCalls(t, ctx, srv, "the first call did not end")
	again, _ := answeredCall(t, ctx, addr)
	if err := again.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
}
