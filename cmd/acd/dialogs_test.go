package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/store"
)

// TestAgentHoldPlaysHoldMusicToCaller: the agent's phone holds by
// re-INVITE (a=sendonly), as phones do for their Hold key. The call goes
// on: the caller hears the queue's hold music instead of silence, resume
// brings the two back together, and a key the agent's phone sends by
// INFO reaches the caller as RFC 4733.
func TestAgentHoldPlaysHoldMusicToCaller(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	talk, stopTalking := context.WithCancel(ctx)
	caller, agent := bridgedAgent(t, ctx, talk, s)

	stopTalking()
	res, err := agent.ReinviteIncoming(ctx, agent.HeldSDP(media.SendOnly), true, nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("the agent's hold was answered %v (%v); a phone ends the call on 481", res, err)
	}
	speechGrows(t, ctx, caller, "the caller, while the agent holds,")

	res, err = agent.ReinviteIncoming(ctx, agent.HeldSDP(media.SendRecv), true, nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("resume: %v %v", res, err)
	}
	talk, stopTalking = context.WithCancel(ctx)
	defer stopTalking()
	agent.SendTone(talk, media.PCMU)
	speechGrows(t, ctx, agent, "the agent, after resuming,")

	if code, err := agent.InfoIncoming(ctx, '7'); err != nil || code != 200 {
		t.Fatalf("INFO from the agent's phone: %d %v", code, err)
	}
	for !strings.Contains(caller.Stats().Keys, "7") {
		select {
		case <-ctx.Done():
			t.Fatalf("the caller's phone decoded %q, want the agent's 7", caller.Stats().Keys)
		case <-time.After(20 * time.Millisecond):
		}
	}
	expectNoBye(t, caller, "the caller")
	expectNoBye(t, agent, "the agent")
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-agent.Byes:
	case <-ctx.Done():
		t.Fatal("the agent's leg was not hung up with the caller's")
	}
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001", "call.ended:1001", "agent.state>wrap-up:1001"))
}

// TestBaresipAgentHolds: Debian's baresip, as agent 1001's phone, logs in
// with *50, auto-answers a queued caller, and holds and resumes with its
// own re-INVITEs. The call survives both; while baresip holds the caller
// hears hold music, and once it resumes, baresip's silence again.
func TestBaresipAgentHolds(t *testing.T) {
	t.Parallel()
	skipInShort(t, "baresip")
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not installed (apt-get install baresip)")
	}
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	phone := startBaresipCtl(t, bin, s.sip, "1001", "secret-1001")
	eventsOf(t, s, store.Filter{}, has("agent.registered:1001"))
	phone.command(t, "dial", "sip:*50@"+s.sip)
	s.waitLog(t, 20*time.Second, "feature code", "agent=1001", "code=*50")
	eventsOf(t, s, store.Filter{}, has("agent.state>ready:1001"))
	waitBaresipIdle(t, ctx, phone)

	caller := dial(t, ctx, s)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	caller.SendTone(ctx, media.PCMU)
	quiet(t, ctx, caller, "baresip sends silence: the caller")

	phone.command(t, "hold", "")
	speechGrows(t, ctx, caller, "the caller, while baresip holds,")
	s.waitLog(t, 10*time.Second, "put on hold by the phone", "agent=1001")
	phone.command(t, "resume", "")
	s.waitLog(t, 10*time.Second, "taken off hold by the phone", "agent=1001")
	quiet(t, ctx, caller, "after baresip resumed, the caller")

	expectNoBye(t, caller, "the caller")
	got := eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	for _, e := range got {
		if e == "call.ended:1001" {
			t.Fatalf("the call ended while baresip held or resumed: %v", got)
		}
	}
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001", "call.ended:1001"))
}

// TestMalformedTCPRequestsDoNotStopTheServer: requests that once stopped
// the process when sent over TCP (no Call-ID, RFC 4475's insuf) get 400
// on their connection, and the server goes on serving.
func TestMalformedTCPRequestsDoNotStopTheServer(t *testing.T) {
	t.Parallel()
	s := startAcd(t)
	insuf, err := os.ReadFile("../../sip/testdata/rfc4475/insuf.dat")
	if err != nil {
		t.Fatal(err)
	}
	noCallID := "INVITE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-nocid\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n" +
		"To: <sip:100@127.0.0.1>\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	for _, msg := range [][]byte{[]byte(noCallID), insuf} {
		conn, err := net.DialTimeout("tcp", s.sip, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(msg); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(conn).ReadString('\n')
		conn.Close()
		if err != nil || !strings.HasPrefix(line, "SIP/2.0 400") {
			t.Fatalf("answered %q, %v; want 400", line, err)
		}
	}
	res, err := http.Get("http://" + s.http + "/healthz")
	if err != nil {
		t.Fatalf("the server stopped: %v", err)
	}
	res.Body.Close()
}

func TestOptionsOverTCP(t *testing.T) {
	t.Parallel()
	s := startAcd(t)
	conn, err := net.DialTimeout("tcp", s.sip, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	fmt.Fprintf(conn, "OPTIONS sip:100@%s SIP/2.0\r\nVia: SIP/2.0/TCP %s;branch=z9hG4bK-tcp1\r\nFrom: <sip:t@%s>;tag=1\r\n"+
		"To: <sip:100@%s>\r\nCall-ID: tcp1@test\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", s.sip, local, local, s.sip)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "SIP/2.0 200") {
		t.Fatalf("OPTIONS over TCP: %q, %v", line, err)
	}
}

// TestDeadAgentPhoneEndsTheCall: the agent's phone loses power in the
// middle of a call. Its silence on RTP is noticed as a caller's would be:
// the caller gets a BYE instead of dead air, the agent goes to wrap-up
// instead of staying on a call forever, and the event log says why.
func TestDeadAgentPhoneEndsTheCall(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, "media: {rtp_timeout: 2s}\n"+agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	talk, stopTalking := context.WithCancel(ctx)
	defer stopTalking()
	caller, agent := bridgedAgent(t, ctx, talk, s)
	caller.SendTone(ctx, media.PCMU)
	agent.Silence()
	died := time.Now()
	waitBye(t, ctx, caller)
	if d := time.Since(died); d > 6*time.Second {
		t.Fatalf("the caller was hung up %v after the agent's phone died; the RTP timeout is 2 s", d)
	}
	got := eventsOf(t, s, store.Filter{}, has("call.ended:1001", "agent.state>wrap-up:1001"))
	expectSequence(t, got, "agent.answered:1001", "call.ended:1001", "agent.state>wrap-up:1001")
	l, err := store.Open(filepath.Join(s.data, "acd.db"), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	evs, err := l.Events(ctx, store.Filter{Agent: "1001"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == "call.ended" {
			var ended event.CallEnded
			if err := json.Unmarshal(e.Data, &ended); err != nil || ended.EndedBy != "agent" || !strings.Contains(ended.Reason, "no RTP") {
				t.Fatalf("call.ended says %s; want the agent's side, for want of RTP", e.Data)
			}
			return
		}
	}
	t.Fatal("no call.ended event")
}

// TestPhoneThatDiesWhileRingingDoesNotHoldTheCaller: the first agent's
// phone rings (180) and then drops off the network, so that the CANCEL at
// the end of its ring is never answered. The caller is offered to the
// next agent at once, not after SIP's 32 s CANCEL timeout.
func TestPhoneThatDiesWhileRingingDoesNotHoldTheCaller(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dying := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{Never: true}) // linear: rung first
	good := agentPhone(t, ctx, s, "1002", testutil.AnswerMode{After: 100 * time.Millisecond})

	caller := dial(t, ctx, s)
	incoming(t, ctx, dying)
	rang := time.Now()
	dying.Silence()
	incoming(t, ctx, good)
	// The support queue rings for 1 s; the CANCEL that follows must not
	// keep the caller out of distribution.
	if d := time.Since(rang); d > 4*time.Second {
		t.Fatalf("the next agent was rung %v after the first phone died; want about the 1 s ring timeout", d)
	}
	got := eventsOf(t, s, store.Filter{}, has("agent.answered:1002"))
	expectSequence(t, got, "caller.offered:1001", "agent.missed:1001", "caller.offered:1002", "agent.answered:1002")
	_ = caller.Hangup(ctx)
}
