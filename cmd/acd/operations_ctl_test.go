package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
)

// TestCtlEndToEnd runs acd ctl against the running binary: its views of
// queues, agents and calls while a caller waits, and the SIP trace.
func TestCtlEndToEnd(t *testing.T) {
	t.Parallel()
	s := startAcd(t, "-config", writeConfig(t, agentsYAML))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	tokenPath := filepath.Join(s.data, "ctl.token")
	info, err := os.Stat(tokenPath)
	if err != nil {
		t.Fatalf("no ctl token: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("the ctl token's mode is %v, want 0600", info.Mode().Perm())
	}
	token := strings.TrimSpace(readFile(t, tokenPath))

	caller := dial(t, ctx, s)
	s.waitLog(t, 5*time.Second, "caller joined queue", "queue=support")

	queues := table(t, ctlOK(t, s, "queues"))
	support := rowWith(t, queues, "QUEUE", "support")
	if support["WAITING"] != "1" || support["LOGGED IN"] != "0" || support["STRATEGY"] != "linear" {
		t.Fatalf("support: %v, want 1 waiting, nobody logged in, strategy linear", support)
	}
	if sales := rowWith(t, queues, "QUEUE", "sales"); sales["WAITING"] != "0" {
		t.Fatalf("sales: %v, want nobody waiting", sales)
	}

	out := ctlOK(t, s, "queue", "show", "support")
	head, rest, _ := strings.Cut(out, "\n\n")
	if !strings.Contains(head, "Queue support, extension") || !strings.Contains(head, "waiting 1,") {
		t.Fatalf("acd ctl queue show support begins %q", head)
	}
	waiting, agents, _ := strings.Cut(rest, "\n\n")
	w := table(t, waiting)
	if len(w) != 1 || w[0]["CALLER"] != "+14155550123" || w[0]["STATE"] != "waiting" {
		t.Fatalf("support's waiting list: %v, want the caller", w)
	}
	if a := table(t, agents); len(a) != 2 {
		t.Fatalf("support's agents: %v, want 1001 and 1002", a)
	}

	calls := table(t, ctlOK(t, s, "calls"))
	if len(calls) != 1 || calls[0]["KIND"] != "in" || calls[0]["NUMBER"] != "100" || calls[0]["STATE"] != "waiting in support" ||
		!strings.HasPrefix(calls[0]["CALLER"], "+14155550123") {
		t.Fatalf("calls: %v, want the caller waiting in support", calls)
	}

	// The agent logs in and answers: both views follow.
	agent := agentPhone(t, ctx, s, "1001", testutil.AnswerMode{Codec: media.PCMU})
	incoming(t, ctx, agent)
	caller.SendTone(ctx, media.PCMU)
	speechGrows(t, ctx, agent, "the agent")
	alice := rowWith(t, table(t, ctlOK(t, s, "agents")), "AGENT", "1001")
	if alice["STATE"] != "on-call" || alice["PHONE"] != "registered" || alice["LOGGED IN TO"] != "sales,support" {
		t.Fatalf("agent 1001: %v, want on a call, registered, logged in to sales and support", alice)
	}
	calls = table(t, ctlOK(t, s, "calls"))
	in, leg := rowWith(t, calls, "KIND", "in"), rowWith(t, calls, "KIND", "agent")
	if in["STATE"] != "talking to agent 1001" || leg["NUMBER"] != "1001" || !strings.HasPrefix(leg["STATE"], "talking to caller +14155550123") {
		t.Fatalf("calls: %v, want the caller and agent 1001 talking to each other", calls)
	}

	// The trace: on for every peer, then off. A marker traced after the
	// probe sent while it was off proves that probe was not traced.
	conn, err := net.Dial("udp", s.sip)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	probe := func(callID string) {
		t.Helper()
		local := conn.LocalAddr().String()
		fmt.Fprintf(conn, "OPTIONS sip:100@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%s\r\nFrom: <sip:probe@%s>;tag=1\r\n"+
			"To: <sip:100@%s>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", s.sip, local, callID, local, s.sip, callID)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4096)
		if n, err := conn.Read(buf); err != nil || !strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
			t.Fatalf("OPTIONS: %q %v", buf[:n], err)
		}
	}
	if out := ctlOK(t, s, "sip", "trace", "on"); !strings.Contains(out, "SIP trace on for every peer") {
		t.Fatalf("acd ctl sip trace on printed %q", out)
	}
	s.waitLog(t, 5*time.Second, "SIP trace on by acd ctl", "sources=0.0.0.0/0,::/0")
	probe("while-on")
	s.waitLog(t, 5*time.Second, "SIP trace: RECV", "Call-ID: while-on")
	if out := ctlOK(t, s, "sip", "trace", "off"); !strings.Contains(out, "SIP trace off") {
		t.Fatalf("acd ctl sip trace off printed %q", out)
	}
	s.waitLog(t, 5*time.Second, "SIP trace off by acd ctl")
	probe("while-off")
	ctlOK(t, s, "sip", "trace", "on", "127.0.0.1")
	probe("marker")
	for {
		line := s.waitLog(t, 5*time.Second, "")
		if strings.Contains(line, token) {
			t.Fatalf("the server logged its ctl token: %s", line)
		}
		if strings.Contains(line, "while-off") {
			t.Fatalf("traced while the trace was off: %s", line)
		}
		if strings.Contains(line, "SIP trace: RECV") && strings.Contains(line, "Call-ID: marker") {
			break
		}
	}

	// The token is for acd ctl only: the API does not take it.
	req, _ := http.NewRequest(http.MethodGet, "http://"+s.http+"/api/v1/queues", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the API answered the ctl token with %s, want 401", res.Status)
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

// TestCtlErrors: no server, a wrong token, a missing token and a
// stopped server each say so; a restart writes a fresh token.
func TestCtlErrors(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s := startAcd(t, "-data", data)
	first := readFile(t, filepath.Join(data, "ctl.token"))

	_, errs, code := ctl(t, &server{http: "127.0.0.1:" + freeTCPPort(t), data: data}, "queues")
	if code != 1 || !strings.Contains(errs, "no acd server answers at 127.0.0.1:") {
		t.Fatalf("against no server: exit %d, %q", code, errs)
	}

	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "ctl.token"), []byte("acdctl_not-this-one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errs, code = ctl(t, &server{http: s.http, data: other}, "agents")
	if code != 1 || !strings.Contains(errs, "refused the token from "+filepath.Join(other, "ctl.token")) {
		t.Fatalf("with a wrong token: exit %d, %q", code, errs)
	}
	s.waitLog(t, 5*time.Second, "security: ctl request with a wrong token refused")

	_, errs, code = ctl(t, &server{http: s.http, data: t.TempDir()}, "agents")
	if code != 1 || !strings.Contains(errs, "no ctl token at") {
		t.Fatalf("without a token: exit %d, %q", code, errs)
	}
	_, errs, code = ctl(t, s, "queue", "show", "nope")
	if code != 1 || !strings.Contains(errs, `no queue "nope"`) {
		t.Fatalf("an unknown queue: exit %d, %q", code, errs)
	}
	if _, _, code = ctl(t, s, "frobnicate"); code != 2 {
		t.Fatalf("an unknown command exited %d, want 2", code)
	}

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()
	if _, err := os.Stat(filepath.Join(data, "ctl.token")); !os.IsNotExist(err) {
		t.Fatalf("the ctl token outlived its server: %v", err)
	}
	again := startAcd(t, "-data", data)
	if second := readFile(t, filepath.Join(data, "ctl.token")); second == first {
		t.Fatal("a restart kept the ctl token")
	}
	ctlOK(t, again, "queues")
}
