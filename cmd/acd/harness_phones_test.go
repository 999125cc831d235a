package main

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/store"
)

const agentsYAML = `sip_realm: test.local
numbers: {"100": main, "200": sales}
pause_reasons: [Lunch, Training]
agents:
  "1001": {name: Alice, password: secret-1001, queues: [support, sales]}
  "1002": {name: Bob, password: secret-1002, queues: [support, sales]}
queues:
  support: {strategy: linear, ring_timeout: 1s, max_no_answer: 1, wrap_up: 30s, end_wrap_up: true, announce_every: 1h}
  sales:   {strategy: ring-all, ring_timeout: 5s, weight: 10, announce_every: 1h}
dialplans:
  main:
    entry: q
    nodes:
      q:   {type: queue, queue: support, timeout: 30s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
  sales:
    entry: q
    nodes:
      q:   {type: queue, queue: sales, timeout: 30s, on_timeout: bye, on_exit: bye}
      bye: {type: hangup}
`

// agentPhone registers agent id and logs it in with *50.
func agentPhone(t *testing.T, ctx context.Context, s *server, id string, mode testutil.AnswerMode) *testutil.Phone {
	t.Helper()
	p := testutil.NewPhone(t)
	code, err := p.Register(ctx, s.sip, id, "secret-"+id, 300)
	if err != nil || code != 200 {
		t.Fatalf("REGISTER %s: %d %v", id, code, err)
	}
	p.TakeCalls(mode)
	featureCall(t, ctx, s, p, id, "*50")
	s.waitLog(t, 10*time.Second, `feature code`, `agent=`+id, `code=*50`, `prompt=agent-logged-in`)
	return p
}

// featureCall dials a feature code from an agent's phone and listens to
// the confirmation until the server hangs up, as a person would.
func featureCall(t *testing.T, ctx context.Context, s *server, p *testutil.Phone, id, code string) {
	t.Helper()
	if _, err := p.Dial(ctx, s.sip, code, id, "secret-"+id); err != nil {
		t.Fatalf("dialling %s: %v", code, err)
	}
	select {
	case <-p.Byes:
	case <-ctx.Done():
		t.Fatalf("the server did not hang up after confirming %s", code)
	}
}

func incoming(t *testing.T, ctx context.Context, p *testutil.Phone) testutil.Incoming {
	t.Helper()
	select {
	case in := <-p.IncomingCalls():
		return in
	case <-ctx.Done():
		t.Fatal("the agent's phone never rang")
	}
	return testutil.Incoming{}
}

func speechGrows(t *testing.T, ctx context.Context, p *testutil.Phone, who string) {
	t.Helper()
	start := p.Stats().SpeechFrames
	for p.Stats().SpeechFrames < start+25 {
		select {
		case <-ctx.Done():
			t.Fatalf("%s hears no audio through the bridge (%d frames of speech)", who, p.Stats().SpeechFrames-start)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// tone is a WAV of a 440 Hz tone, used as a short stand-in prompt.
func tone(d time.Duration) []byte {
	n := int(d.Seconds() * 8000)
	pcm := make([]byte, 2*n)
	for i := range n {
		binary.LittleEndian.PutUint16(pcm[2*i:], uint16(int16(8000*math.Sin(2*math.Pi*440*float64(i)/8000))))
	}
	h := []byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data")
	h = binary.LittleEndian.AppendUint32(h, uint32(len(pcm)))
	return append(h, pcm...)
}

// dial calls 100 on s and returns the phone once audio flows.
func dial(t *testing.T, ctx context.Context, s *server) *testutil.Phone {
	t.Helper()
	return dialAs(t, ctx, s, "100", "+14155550123")
}

// dialAs calls number from a phone presenting from, once answered.
func dialAs(t *testing.T, ctx context.Context, s *server, number, from string) *testutil.Phone {
	t.Helper()
	phone := testutil.NewPhone(t)
	phone.From = from
	dlg, err := phone.Invite(ctx, s.sip, number, phone.SDP(101, media.PCMU))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := phone.Answered(ctx, dlg, nil); err != nil {
		t.Fatal(err)
	}
	phone.SendAudio(0) // opens the server's symmetric-RTP latch
	return phone
}

func waitBye(t *testing.T, ctx context.Context, phone *testutil.Phone) {
	t.Helper()
	select {
	case <-phone.Byes:
	case <-ctx.Done():
		t.Fatal("the server never hung up")
	}
}

// expect503 places a call to 100 and expects 503 with Retry-After.
func expect503(t *testing.T, ctx context.Context, s *server, what string) {
	t.Helper()
	phone := testutil.NewPhone(t)
	dlg, err := phone.Invite(ctx, s.sip, "100", phone.SDP(101, media.PCMU))
	if err != nil {
		t.Fatal(err)
	}
	_, err = phone.Answered(ctx, dlg, nil)
	var refused *sipgo.ErrDialogResponse
	if !errors.As(err, &refused) || refused.Res.StatusCode != 503 || refused.Res.GetHeader("Retry-After") == nil {
		t.Fatalf("%s: %v, want 503 with Retry-After", what, err)
	}
}

// bridgedAgent logs agent 1001 in, calls the support queue and returns
// the caller and the agent once the two hear each other; the agent's
// tone stops with talk.
func bridgedAgent(t *testing.T, ctx, talk context.Context, s *server) (caller, agent *testutil.Phone) {
	t.Helper()
	agent = agentPhone(t, ctx, s, "1001", testutil.AnswerMode{After: 100 * time.Millisecond})
	caller = dial(t, ctx, s)
	incoming(t, ctx, agent)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	for !agent.Remote().IsValid() {
		time.Sleep(10 * time.Millisecond)
	}
	caller.SendTone(ctx, media.PCMU)
	agent.SendTone(talk, media.PCMU)
	speechGrows(t, ctx, agent, "the agent")
	speechGrows(t, ctx, caller, "the caller")
	return caller, agent
}

func expectNoBye(t *testing.T, p *testutil.Phone, who string) {
	t.Helper()
	select {
	case <-p.Byes:
		t.Fatalf("the server hung up on %s", who)
	default:
	}
}

// quiet waits until p hears a second without speech.
func quiet(t *testing.T, ctx context.Context, p *testutil.Phone, who string) {
	t.Helper()
	for {
		before := p.Stats().SpeechFrames
		select {
		case <-ctx.Done():
			t.Fatalf("%s never stopped hearing speech", who)
		case <-time.After(time.Second):
		}
		if p.Stats().SpeechFrames == before {
			return
		}
	}
}

// callAnswered calls 100 and waits for the answer.
func callAnswered(ctx context.Context, p *testutil.Phone, addr string) error {
	dlg, err := p.Invite(ctx, addr, "100", p.SDP(101, media.PCMU))
	if err != nil {
		return err
	}
	_, err = p.Answered(ctx, dlg, nil)
	return err
}

func refusedWith(err error, code int) bool {
	var res *sipgo.ErrDialogResponse
	return errors.As(err, &res) && res.Res.StatusCode == code
}

// callID is a message's Call-ID.
func callID(msg string) string {
	for _, line := range strings.Split(msg, "\r\n") {
		if v, ok := strings.CutPrefix(line, "Call-ID:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
