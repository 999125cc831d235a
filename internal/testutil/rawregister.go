package testutil

import (
	"context"
	"fmt"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Register registers the raw phone as user at the server at addr,
// answering the digest challenge with password, for expires seconds;
// the test fails unless it ends in 200. The registration's Call-ID is
// callID, so that a refresh keeps its place.
func (r *RawPhone) Register(ctx context.Context, addr, user, password, callID string, expires int) {
	r.t.Helper()
	send := func(cseq uint32, auth string) *sip.Response {
		req := r.NewRequest(sip.REGISTER, addr, "")
		req.ReplaceHeader(sip.NewHeader("From", fmt.Sprintf("<sip:%s@%s>;tag=reg", user, addr)))
		req.ReplaceHeader(sip.NewHeader("To", fmt.Sprintf("<sip:%s@%s>", user, addr)))
		req.ReplaceHeader(sip.NewHeader("Call-ID", callID))
		req.ReplaceHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.REGISTER})
		req.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<sip:%s@%s>", user, r.Addr())))
		req.AppendHeader(sip.NewHeader("Expires", fmt.Sprint(expires)))
		if auth != "" {
			req.AppendHeader(sip.NewHeader("Authorization", auth))
		}
		r.Send(addr, req)
		m, err := r.Next(ctx, func(m sip.Message) bool {
			res, ok := m.(*sip.Response)
			return ok && res.CallID() != nil && res.CallID().Value() == callID && res.CSeq() != nil && res.CSeq().SeqNo == cseq
		})
		if err != nil {
			r.t.Fatalf("raw phone: no answer to REGISTER: %v", err)
		}
		return m.(*sip.Response)
	}
	res := send(1, "")
	h := res.GetHeader("WWW-Authenticate")
	if res.StatusCode != 401 || h == nil {
		r.t.Fatalf("raw phone: REGISTER got %d, want a challenge", res.StatusCode)
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		r.t.Fatal(err)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:" + addr, Username: user, Password: password, Count: 1})
	if err != nil {
		r.t.Fatal(err)
	}
	if res := send(2, cred.String()); res.StatusCode != 200 {
		r.t.Fatalf("raw phone: REGISTER with the password got %d", res.StatusCode)
	}
}

// Forget drops the messages match accepts that the server at addr sent
// before it answers an OPTIONS sent now, and returns how many. A socket
// reads in order: once the answer is in, so is all the server sent
// before it, and a message that comes later was sent after Forget began.
func (r *RawPhone) Forget(ctx context.Context, addr string, match func(sip.Message) bool) int {
	r.t.Helper()
	req := r.NewRequest(sip.OPTIONS, addr, "ping")
	r.Send(addr, req)
	if _, err := r.Next(ctx, func(m sip.Message) bool {
		res, ok := m.(*sip.Response)
		return ok && res.CallID().Value() == req.CallID().Value()
	}); err != nil {
		r.t.Fatalf("raw phone: the server at %s did not answer OPTIONS: %v", addr, err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel() // Next returns what is pending, and waits for nothing more
	n := 0
	for {
		if _, err := r.Next(done, match); err != nil {
			return n
		}
		n++
	}
}
