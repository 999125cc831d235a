package acd

import (
	"testing"

	"github.com/acdserver/acd/internal/testutil"
)

// TestPhoneInUseIsNotOffered: a ready agent whose phone monitors a call
// (a supervisor's desk phone that is also an agent's) is not rung for a
// caller; once the phone is free the waiting caller is offered to it at
// once. Two uses of one phone need both ended.
func TestPhoneInUseIsNotOffered(t *testing.T) {
	r := newRig(t, testutil.QueueConfig("linear", "0s", true), "1001")
	login(t, r, "1001")
	r.c.PhoneInUse("1001", true)
	r.c.PhoneInUse("1001", true)
	r.join(t, "c1", "support")
	if n := len(r.offers); n != 0 {
		t.Fatalf("a phone in use was offered the caller (%d offers)", n)
	}
	r.c.PhoneInUse("1001", false)
	if n := len(r.offers); n != 0 {
		t.Fatalf("a phone still in use once was offered the caller (%d offers)", n)
	}
	r.c.PhoneInUse("1001", false)
	if o := r.nextOffer(t); o.Rings[0].Agent != "1001" {
		t.Fatalf("offered to %s once the phone was free; want 1001", o.Rings[0].Agent)
	}
	r.c.PhoneInUse("no-such-agent", true) // a phone that is no agent's: ignored
}
