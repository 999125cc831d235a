package config

import (
	"fmt"

	"github.com/acdserver/acd/numbering"
)

// CallerIDNumber checks a number the server presents as caller ID (a
// trunk's caller_id.number, a queue's callback.caller_id): a valid number
// of the numbering plan, and not an emergency one. It returns the number
// in E.164, which carriers take (RFC 3325 identities are E.164). The
// error names the number; the caller names the field.
func CallerIDNumber(plan *numbering.Plan, number string) (string, error) {
	typ, e164, err := plan.Classify(number)
	switch {
	case err != nil:
		return "", fmt.Errorf("%q: not a valid phone number of numbering.region %s", number, plan.Region)
	case typ == numbering.Emergency:
		return "", fmt.Errorf("%q is an emergency number", number)
	}
	return e164, nil
}
