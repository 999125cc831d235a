package main

import (
	"context"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/store"
)

// transferYAML has agent 1001 in support (number 100) and 1002 alone in
// sales, whose extension is 601 and whose dial plan number is 200.
const transferYAML = `sip_realm: test.local
numbers: {"100": main, "200": sales}
agents:
  "1001": {name: Alice, password: secret-1001, queues: [support]}
  "1002": {name: Bob, password: secret-1002, queues: [sales]}
queues:
  support: {extension: "600", strategy: linear, ring_timeout: 5s, wrap_up: 30s, announce_every: 1h}
  sales:   {extension: "601", strategy: linear, ring_timeout: 5s, announce_every: 1h}
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

// transferred has agent 1001, bridged to a caller, transfer it to target
// with REFER, expects 202 and the NOTIFYs phones wait for, then the BYE
// that ends 1001's part; it returns the caller and 1002's phone, which
// rings for the caller wherever the transfer leads it.
func transferred(t *testing.T, ctx context.Context, s *server, target string) (caller, bob *testutil.Phone) {
	t.Helper()
	bob = agentPhone(t, ctx, s, "1002", testutil.AnswerMode{After: 100 * time.Millisecond})
	talk, stopTalking := context.WithCancel(ctx)
	t.Cleanup(stopTalking)
	caller, alice := bridgedAgent(t, ctx, talk, s)
	stopTalking()
	code, notifies, err := alice.ReferIncoming(ctx, target)
	if err != nil || code != 202 {
		t.Fatalf("REFER to %s: %d %v; want 202 Accepted", target, code, err)
	}
	for _, want := range []string{"SIP/2.0 100 Trying", "SIP/2.0 200 OK"} {
		select {
		case got := <-notifies:
			if got != want {
				t.Fatalf("NOTIFY carried %q, want %q", got, want)
			}
		case <-ctx.Done():
			t.Fatalf("no NOTIFY with %q", want)
		}
	}
	select {
	case <-alice.Byes:
	case <-ctx.Done():
		t.Fatal("the transferring agent's leg was not ended with BYE")
	}
	incoming(t, ctx, bob)
	for !bob.Remote().IsValid() {
		time.Sleep(10 * time.Millisecond)
	}
	bob.SendTone(ctx, media.PCMU)
	speechGrows(t, ctx, caller, "the transferred caller")
	expectNoBye(t, caller, "the transferred caller")
	return caller, bob
}

func TestAgentTransfersCallerToQueue(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, transferYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	caller, _ := transferred(t, ctx, s, "601")
	got := eventsOf(t, s, store.Filter{}, has("agent.answered:1002"))
	expectSequence(t, got, "agent.answered:1001", "call.transferred:1001", "caller.joined:", "caller.offered:1002", "agent.answered:1002")
	expectSequence(t, got, "call.transferred:1001", "call.ended:1001")
	_ = caller.Hangup(ctx)
	eventsOf(t, s, store.Filter{}, has("call.ended:1002"))
}

func TestAgentTransfersCallerToAgent(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, transferYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	caller, _ := transferred(t, ctx, s, "1002")
	got := eventsOf(t, s, store.Filter{}, has("transfer.answered:1002"))
	expectSequence(t, got, "agent.answered:1001", "call.transferred:1001", "transfer.offered:1002", "transfer.answered:1002")
	_ = caller.Hangup(ctx)
	eventsOf(t, s, store.Filter{}, has("call.ended:1002"))
}

func TestAgentTransfersCallerToDialPlanNumber(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, transferYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	caller, _ := transferred(t, ctx, s, "200")
	got := eventsOf(t, s, store.Filter{}, has("agent.answered:1002"))
	expectSequence(t, got, "call.transferred:1001", "caller.joined:", "agent.answered:1002")
	_ = caller.Hangup(ctx)
}

// TestTransferToOutsideNumberIsRefused: the toll-fraud rule holds for
// transfers as for dial plans: an agent's phone cannot send a caller to a
// number outside (nor to a feature code, nor to an agent who is not
// ready). Each REFER is refused at once, and the call goes on.
func TestTransferToOutsideNumberIsRefused(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, transferYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	caller, alice := bridgedAgent(t, ctx, ctx, s)
	for target, want := range map[string]int{"+14155550199": 403, "900": 403, "*50": 403, "1002": 480} {
		code, _, err := alice.ReferIncoming(ctx, target)
		if err != nil || code != want {
			t.Fatalf("REFER to %s: %d %v; want %d", target, code, err, want)
		}
	}
	speechGrows(t, ctx, caller, "the caller, after the refused transfers,")
	expectNoBye(t, caller, "the caller")
	expectNoBye(t, alice, "the agent")
	l, err := store.Open(filepath.Join(s.data, "acd.db"), slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	eventsOf(t, s, store.Filter{}, func(evs []string) bool {
		n := 0
		for _, e := range evs {
			if e == "call.transfer_refused:1001" {
				n++
			}
		}
		return n == 4
	})
	evs, err := l.Events(ctx, store.Filter{Agent: "1001"})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == "call.transferred" {
			t.Fatalf("a forbidden transfer was carried out: %+v", e)
		}
	}
	_ = caller.Hangup(ctx)
}

// TestBaresipAgentTransfers: Debian's baresip, as agent 1001's phone,
// transfers its caller to the sales queue's extension with its own
// REFER; baresip takes our NOTIFYs and BYE, and the caller reaches the
// sales agent.
func TestBaresipAgentTransfers(t *testing.T) {
	t.Parallel()
	skipInShort(t, "baresip")
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Skip("baresip not installed (apt-get install baresip)")
	}
	s := startAcd(t, "-config", writeConfig(t, transferYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bob := agentPhone(t, ctx, s, "1002", testutil.AnswerMode{After: 100 * time.Millisecond})
	alice := startBaresipCtl(t, bin, s.sip, "1001", "secret-1001")
	eventsOf(t, s, store.Filter{}, has("agent.registered:1001"))
	alice.command(t, "dial", "sip:*50@"+s.sip)
	eventsOf(t, s, store.Filter{}, has("agent.state>ready:1001"))
	waitBaresipIdle(t, ctx, alice)

	caller := dial(t, ctx, s)
	eventsOf(t, s, store.Filter{}, has("agent.answered:1001"))
	alice.command(t, "transfer", "sip:601@"+s.sip)
	incoming(t, ctx, bob)
	for !bob.Remote().IsValid() {
		time.Sleep(10 * time.Millisecond)
	}
	bob.SendTone(ctx, media.PCMU)
	speechGrows(t, ctx, caller, "the caller baresip transferred")
	expectNoBye(t, caller, "the transferred caller")
	got := eventsOf(t, s, store.Filter{}, has("agent.answered:1002"))
	expectSequence(t, got, "agent.answered:1001", "call.transferred:1001", "call.ended:1001", "agent.answered:1002")
	waitBaresipIdle(t, ctx, alice)
	_ = caller.Hangup(ctx)
}

func TestTransferToAgent(t *testing.T) {
	t.Parallel()
	yaml := strings.Replace(agentsYAML, `numbers: {"100": main, "200": sales}`, `numbers: {"100": main, "200": sales, "300": desk}`, 1) +
		`  desk:
    entry: t
    nodes:
      t:   {type: transfer, to: "1002", next: bye}
      bye: {type: hangup}
`
	s := startAcd(t, "-config", writeConfig(t, yaml))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	agent := agentPhone(t, ctx, s, "1002", testutil.AnswerMode{After: 100 * time.Millisecond})
	caller := dialAs(t, ctx, s, "300", "+14155550125")
	if in := incoming(t, ctx, agent); in.From != "+14155550125" {
		t.Fatalf("agent shown %q", in.From)
	}
	for !agent.Remote().IsValid() {
		time.Sleep(10 * time.Millisecond)
	}
	agent.SendTone(ctx, media.PCMU)
	speechGrows(t, ctx, caller, "the transferred caller")
	_ = caller.Hangup(ctx)
	got := eventsOf(t, s, store.Filter{}, has("call.ended:1002"))
	expectSequence(t, got, "transfer.offered:1002", "transfer.answered:1002", "call.ended:1002")
}
