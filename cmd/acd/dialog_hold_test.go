package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/store"
)

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

// baresipCtl is a running baresip driven through its ctrl_tcp module, which
// answers each command: a test can wait for a hold to be sent.
type baresipCtl struct {
	ctrl   net.Conn
	reader *bufio.Reader
	log    string
}

// startBaresipCtl runs baresip registered as user at server, answering
// calls at once and sending silence; it stops with the test.
func startBaresipCtl(t *testing.T, bin, server, user, password string) *baresipCtl {
	t.Helper()
	dir := t.TempDir()
	silence := filepath.Join(dir, "silence.wav")
	writeWAV(t, silence, 60*8000, func(int) int16 { return 0 })
	writeWAV(t, filepath.Join(dir, "alert.wav"), 800, func(i int) int16 { return int16(3000 * math.Sin(float64(i))) })
	ctrl := freeTCPPort(t)
	config := fmt.Sprintf(`sip_listen 127.0.0.1:%s
audio_player aufile,%s
audio_source aufile,%s
audio_alert aufile,%s
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module_app account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:%s
rtp_ports 41000-41999
`, freeUDPPort(t), filepath.Join(dir, "heard.wav"), silence, filepath.Join(dir, "alert.wav"), ctrl)
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	account := fmt.Sprintf("<sip:%s@%s>;auth_pass=%s;answermode=auto;regint=300;audio_codecs=PCMU\n", user, server, password)
	if err := os.WriteFile(filepath.Join(dir, "accounts"), []byte(account), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "baresip.log")
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", dir)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // the baresip this test started, by its PID
		_ = cmd.Wait()
		_ = out.Close()
		if t.Failed() {
			text, _ := os.ReadFile(logPath)
			t.Logf("baresip log:\n%s", lastLines(string(text), 40))
		}
	})
	b := &baresipCtl{log: logPath}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", "127.0.0.1:"+ctrl)
		if err == nil {
			b.ctrl, b.reader = c, bufio.NewReader(c)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("baresip's control port never opened: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() { _ = b.ctrl.Close() })
	return b
}

// command runs a baresip command and returns its answer.
func (b *baresipCtl) command(t *testing.T, name, params string) string {
	t.Helper()
	msg, _ := json.Marshal(map[string]string{"command": name, "params": params, "token": name})
	if _, err := fmt.Fprintf(b.ctrl, "%d:%s,", len(msg), msg); err != nil {
		t.Fatal(err)
	}
	_ = b.ctrl.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		lenText, err := b.reader.ReadString(':')
		if err != nil {
			t.Fatalf("baresip %s: %v", name, err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(lenText[:len(lenText)-1]))
		if err != nil {
			t.Fatalf("baresip sent %q", lenText)
		}
		body := make([]byte, n+1)
		if _, err := io.ReadFull(b.reader, body); err != nil {
			t.Fatal(err)
		}
		var reply struct {
			Response bool   `json:"response"`
			OK       bool   `json:"ok"`
			Data     string `json:"data"`
			Token    string `json:"token"`
		}
		if json.Unmarshal(body[:n], &reply) == nil && reply.Response && reply.Token == name {
			if !reply.OK {
				t.Fatalf("baresip %s failed: %s", name, reply.Data)
			}
			return reply.Data
		}
	}
}

// waitBaresipIdle waits until baresip has no call up.
func waitBaresipIdle(t *testing.T, ctx context.Context, b *baresipCtl) {
	t.Helper()
	for {
		if out := b.command(t, "listcalls", ""); !strings.Contains(out, "sip:") {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("baresip's feature-code call never ended")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func writeWAV(t *testing.T, path string, samples int, f func(int) int16) {
	t.Helper()
	data := make([]byte, 44+2*samples)
	copy(data, "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*samples))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1)    // PCM
	binary.LittleEndian.PutUint16(data[22:], 1)    // mono
	binary.LittleEndian.PutUint32(data[24:], 8000) // Hz
	binary.LittleEndian.PutUint32(data[28:], 16000)
	binary.LittleEndian.PutUint16(data[32:], 2)
	binary.LittleEndian.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*samples))
	for i := range samples {
		binary.LittleEndian.PutUint16(data[44+2*i:], uint16(f(i)))
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func freeTCPPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
