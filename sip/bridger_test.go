package sip

import (
	"errors"
	"testing"
)

type foreignChannel struct{}

func (foreignChannel) BridgeEnd() *BridgeEnd { return nil }

// TestJoinRefusesWhatItCannotBridge: a value that is not one of this
// package's calls and legs, or one of the wrong kind, is refused with an
// error rather than left unbridged in silence.
func TestJoinRefusesWhatItCannotBridge(t *testing.T) {
	s := &Server{}
	call, leg := &Call{id: "c1"}, &Leg{}
	for _, tc := range []struct {
		name string
		join func() error
	}{
		{"a foreign caller", func() error { return s.Join(foreignChannel{}, leg, nil) }},
		{"a foreign leg", func() error { return s.Join(call, foreignChannel{}, nil) }},
		{"no caller", func() error { return s.Join(nil, leg, nil) }},
		{"a leg as the caller", func() error { return s.Join(leg, leg, nil) }},
		{"a call as a leg", func() error { return s.JoinLegs(call, leg, nil) }},
		{"a foreign leg of two", func() error { return s.JoinLegs(leg, foreignChannel{}, nil) }},
	} {
		if err := tc.join(); !errors.Is(err, ErrNotBridgeable) {
			t.Errorf("%s: %v, want ErrNotBridgeable", tc.name, err)
		}
	}
}

// TestTransferAnswerStatus: each answer to a phone's REFER goes out as
// its SIP status, and the zero answer refuses.
func TestTransferAnswerStatus(t *testing.T) {
	for _, tc := range []struct {
		answer TransferAnswer
		status int
	}{
		{TransferAnswer(0), 403},
		{TransferAccepted, 202},
		{TransferForbidden, 403},
		{TransferUnavailable, 480},
		{TransferPending, 491},
	} {
		if got := tc.answer.Status(); got != tc.status {
			t.Errorf("answer %d goes out as %d, want %d", tc.answer, got, tc.status)
		}
	}
}
