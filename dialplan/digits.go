package dialplan

import (
	"fmt"
	"unicode/utf8"

	"github.com/acdserver/acd/event"
)

// What a caller types into a collect node is an account number, a PIN, a
// card number: it goes to the queue and the agent, never to the log as
// typed, unless the node says log_digits (an order number, a choice that
// helps reading the log). The trace (acd simulate, and the event log's
// record, which counts the digits) keeps them.

// MaskedDigits is what the log shows of a value a caller typed: how many
// keys, not which.
func MaskedDigits(v string) string {
	if n := utf8.RuneCountInString(v); n != 1 {
		return fmt.Sprintf("(%d digits)", n)
	}
	return "(1 digit)"
}

// LoggedValue is what the log shows of a collected value: masked unless
// its node logs digits, and even then a card number keeps only its last
// four, as everywhere else.
func LoggedValue(v string, logDigits bool) string {
	if !logDigits {
		return MaskedDigits(v)
	}
	return event.Mask(v)
}

// LogsDigits reports whether the log may show what callers type into
// variable: only when every collect node that fills it says log_digits.
func (p *Program) LogsDigits(variable string) bool { return p.shown[variable] }

// shownVariables are the variables every collect node filling them logs.
func shownVariables(plans map[string]*Plan) map[string]bool {
	shown, hidden := map[string]bool{}, map[string]bool{}
	for _, plan := range plans {
		for _, n := range plan.nodes {
			if c, ok := n.(*collectNode); ok {
				if c.logDigits {
					shown[c.variable] = true
				} else {
					hidden[c.variable] = true
				}
			}
		}
	}
	for v := range hidden {
		delete(shown, v)
	}
	return shown
}

// noteCollected records a collect node's result: the trace gets the
// digits, the debug log what LoggedValue shows.
func (s *State) noteCollected(variable, digits string, logDigits bool) {
	s.detail = variable + "=" + digits
	s.logged = variable + "=" + LoggedValue(digits, logDigits)
}
