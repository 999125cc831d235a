package config

import (
	"fmt"
	"strings"
	"testing"
)

// TestCallerIDSameRulesEverywhere: a number presented as caller ID is
// taken or refused alike as a trunk's caller_id.number and as a queue's
// callback.caller_id, and a number taken is kept in E.164.
func TestCallerIDSameRulesEverywhere(t *testing.T) {
	for _, tc := range []struct {
		number string
		want   string // E.164, or the error's text
		ok     bool
	}{
		{"+14155550100", "+14155550100", true},
		{"+1 415 555 0100", "+14155550100", true},
		{"(415) 555-0100", "+14155550100", true},
		{"abc", `"abc": not a valid phone number of numbering.region US`, false},
		{"911", `"911" is an emergency number`, false},
		{"+1 000 555 0100", `"+1 000 555 0100": not a valid phone number of numbering.region US`, false},
		{"12", `"12": not a valid phone number of numbering.region US`, false},
	} {
		t.Run(tc.number, func(t *testing.T) {
			trunk := fmt.Sprintf("trunks: {t: {address: 127.0.0.1:5080, caller_id: {number: %q}}}\n", tc.number)
			queue := fmt.Sprintf("trunks: {t: {address: 127.0.0.1:5080}}\nqueues:\n  q: {callback: {enabled: true, threshold: 2m, caller_id: %q, trunk: t}}\n", tc.number)
			tc2, terr := Parse("t.yaml", []byte(trunk))
			qc, qerr := Parse("t.yaml", []byte(queue))
			if !tc.ok {
				for field, err := range map[string]error{"trunk \"t\": caller_id.number ": terr, "queue \"q\": callback.caller_id ": qerr} {
					if err == nil || !strings.Contains(err.Error(), field+tc.want) {
						t.Errorf("%s%s: error %v, want %s", field, tc.number, err, tc.want)
					}
				}
				return
			}
			if terr != nil || qerr != nil {
				t.Fatalf("refused: trunk %v, queue %v", terr, qerr)
			}
			if got := tc2.Trunks["t"].CallerID.Number; got != tc.want {
				t.Errorf("trunk caller ID kept as %q, want %q", got, tc.want)
			}
			if got := qc.Queues["q"].Callback.CallerID; got != tc.want {
				t.Errorf("queue callback caller ID kept as %q, want %q", got, tc.want)
			}
		})
	}
}
