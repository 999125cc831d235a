package sip_test

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/internal/testutil"
	"github.com/acdserver/acd/media"
	acdsip "github.com/acdserver/acd/sip"
)

// TestAdmission: a new call is taken from a listed network, a trunk and
// the address a phone registered from, and refused with 403 from anywhere
// else, with one security line for a burst; a call up goes on when its
// phone unregisters, and the next one from there is refused again.
func TestAdmission(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	addr, srv := startServer(t, func(ctx context.Context, c *acdsip.Call) { <-c.Done() }, func(cfg *acdsip.Config) {
		cfg.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		cfg.Admission = &acdsip.Admission{Networks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
		cfg.Trusted = []netip.Prefix{netip.MustParsePrefix("127.0.0.3/32")}
		cfg.Realm = "acd.local"
		cfg.Secrets = func(user string) (string, string, bool) { return "pw-1001", "", user == "1001" }
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	stranger := testutil.NewRawPhoneAt(t, netip.MustParseAddr("127.0.0.2"))
	const burst = 5
	for range burst {
		req := stranger.NewRequest(sipmsg.INVITE, addr, "100")
		req.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(stranger.SDP(media.SendRecv))
		stranger.Send(addr, req)
		res, err := stranger.Next(ctx, func(m sipmsg.Message) bool {
			r, ok := m.(*sipmsg.Response)
			return ok && r.CallID().Value() == req.CallID().Value()
		})
		if err != nil {
			t.Fatalf("no answer to an INVITE from 127.0.0.2: %v", err)
		}
		if code := res.(*sipmsg.Response).StatusCode; code != 403 {
			t.Fatalf("an INVITE from 127.0.0.2 got %d, want 403", code)
		}
	}
	// The line is written before the 403 is sent: all are in by now.
	if n := countLines(logs.String(), "security: SIP call refused: source not admitted", "source=127.0.0.2 "); n != 1 {
		t.Fatalf("%d security lines for a burst of %d refused INVITEs, want 1:\n%s", n, burst, logs.String())
	}
	if got := srv.Stats().Refused[acdsip.RefusedNotAdmitted]; got != burst {
		t.Fatalf("%d calls counted as not admitted, want %d", got, burst)
	}

	// A listed network and a trunk call in.
	for _, ip := range []string{"127.0.0.1", "127.0.0.3"} {
		p := testutil.NewPhoneAt(t, netip.MustParseAddr(ip))
		if err := call(ctx, p, addr); err != nil {
			t.Fatalf("a call from %s: %v, want it answered", ip, err)
		}
		if err := p.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// An agent's phone, only once it has registered.
	phone := testutil.NewPhoneAt(t, netip.MustParseAddr("127.0.0.4"))
	if err := call(ctx, phone, addr); !isStatus(err, 403) {
		t.Fatalf("a call from a phone not registered: %v, want 403", err)
	}
	if code, err := phone.Register(ctx, addr, "1001", "pw-1001", 300); err != nil || code != 200 {
		t.Fatalf("REGISTER: %d %v", code, err)
	}
	if err := call(ctx, phone, addr); err != nil {
		t.Fatalf("a call from a registered phone: %v, want it answered", err)
	}
	if code, err := phone.Register(ctx, addr, "1001", "pw-1001", 0); err != nil || code != 200 {
		t.Fatalf("unREGISTER: %d %v", code, err)
	}
	if err := phone.Hangup(ctx); err != nil {
		t.Fatalf("BYE within the call, after unregistering: %v, want it taken", err)
	}
	again := testutil.NewPhoneAt(t, netip.MustParseAddr("127.0.0.4"))
	if err := call(ctx, again, addr); !isStatus(err, 403) {
		t.Fatalf("a call from a phone no longer registered: %v, want 403", err)
	}
}

// TestAdmissionReload: new networks are in force at once.
func TestAdmissionReload(t *testing.T) {
	t.Parallel()
	addr, srv := startServer(t, func(ctx context.Context, c *acdsip.Call) { <-c.Done() }, func(cfg *acdsip.Config) {
		cfg.Admission = &acdsip.Admission{}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := call(ctx, testutil.NewPhone(t), addr); !isStatus(err, 403) {
		t.Fatalf("a call with no network admitted: %v, want 403", err)
	}
	srv.SetAdmission(acdsip.Admission{Networks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	p := testutil.NewPhone(t)
	if err := call(ctx, p, addr); err != nil {
		t.Fatalf("a call once loopback is admitted: %v, want it answered", err)
	}
	_ = p.Hangup(ctx)
}

// call dials 100 and waits for the answer.
func call(ctx context.Context, p *testutil.Phone, addr string) error {
	dlg, err := p.Invite(ctx, addr, "100", p.SDP(101, media.PCMU))
	if err != nil {
		return err
	}
	_, err = p.Answered(ctx, dlg, nil)
	return err
}

func isStatus(err error, code int) bool {
	var res *sipgo.ErrDialogResponse
	return errors.As(err, &res) && res.Res.StatusCode == code
}

// countLines counts the log lines holding every part.
func countLines(log string, parts ...string) int {
	n := 0
	for line := range strings.Lines(log) {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
