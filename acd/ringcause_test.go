package acd

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/acdserver/acd/hangup"
	"github.com/acdserver/acd/sip"
)

// TestRingCauseOf: the cause of a failed ring is read, typed, from the
// SIP side's errors however they are wrapped, and from the ring's ctx
// when the core stopped it.
func TestRingCauseOf(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want hangup.RingCause
	}{
		{nil, hangup.RingNone},
		{&sip.RingError{Code: 486}, hangup.RingBusy},
		{fmt.Errorf("ringing 1001: %w", &sip.RingError{Code: 603}), hangup.RingDeclined},
		{sip.ErrUnreachable, hangup.RingUnreachable},
		{fmt.Errorf("dial: %w", sip.ErrNoResponse), hangup.RingNoResponse},
		{context.DeadlineExceeded, hangup.RingNoAnswer},
		{fmt.Errorf("%w: 487", context.Canceled), hangup.RingCancelled},
		{errors.New("socket closed"), hangup.RingFailed},
	} {
		if got := RingCauseOf(tt.err); got != tt.want {
			t.Errorf("%v: %v, want %v", tt.err, got, tt.want)
		}
	}
}
