package service

import (
	"strings"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/numbering"
)

// checkCallback names the callback setting at fault, so that the API's
// answer and the console's form point at it; the configuration's own
// validation still has the last word on the queue as a whole.
func (s *Service) checkCallback(cb *CallbackSpec) error {
	if cb == nil {
		return nil
	}
	for _, d := range []struct{ field, value string }{
		{"callback.threshold", cb.Threshold}, {"callback.retry_after", cb.RetryAfter}, {"callback.dial_timeout", cb.DialTimeout},
	} {
		if d.value == "" {
			continue
		}
		if _, err := config.ParseDuration(d.value); err != nil {
			return invalid(d.field, "%v", err)
		}
	}
	if cb.Attempts < 0 {
		return invalid("callback.attempts", "must not be negative")
	}
	for _, t := range cb.AllowedNumberTypes {
		switch numbering.Type(t) {
		case numbering.Local, numbering.National, numbering.TollFree, numbering.Premium, numbering.International:
		case numbering.Emergency:
			return invalid("callback.allowed_number_types", "emergency numbers are never called back")
		default:
			return invalid("callback.allowed_number_types", "%q: want local, national, toll_free, premium or international", t)
		}
	}
	if !cb.Enabled {
		return nil // kept for later, checked when enabled
	}
	// Attempts, retries, the dial timeout and the number types left out
	// take the configuration's defaults.
	if cb.Threshold == "" {
		return invalid("callback.threshold", "missing: the average wait (like 2m) above which callback is offered")
	}
	if strings.TrimSpace(cb.CallerID) == "" {
		return invalid("callback.caller_id", "missing: the number customers see")
	}
	if cb.Trunk == "" {
		return invalid("callback.trunk", "missing: the trunk customers are dialled through")
	}
	if s.running != nil {
		// The same rule as a trunk's caller ID, by the running numbering
		// plan; the configuration keeps the number in E.164.
		if _, err := config.CallerIDNumber(s.running().Numbering.Plan(), strings.TrimSpace(cb.CallerID)); err != nil {
			return invalid("callback.caller_id", "%v", err)
		}
		if _, ok := s.running().Trunks[cb.Trunk]; !ok {
			return invalid("callback.trunk", "no trunk %q", cb.Trunk)
		}
	}
	return nil
}

// checkReportSettings names the reports' setting at fault.
func checkReportSettings(q QueueSpec) error {
	if q.ShortAbandon != "" {
		if _, err := config.ParseDuration(q.ShortAbandon); err != nil {
			return invalid("short_abandon", "%v", err)
		}
	}
	if sl := q.ServiceLevel; sl != nil {
		if sl.Threshold != "" {
			if _, err := config.ParseDuration(sl.Threshold); err != nil {
				return invalid("service_level.threshold", "%v", err)
			}
		}
		if sl.Target != 0 && (sl.Target < 1 || sl.Target > 100) {
			return invalid("service_level.target", "%v: want a percentage from 1 to 100 (80 for 80%%)", sl.Target)
		}
	}
	return nil
}
