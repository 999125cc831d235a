package service

import (
	"slices"
	"strings"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/directory"
)

// ProposedExtension is the extension CreateQueue would give a new queue
// left without one, for a form to offer it (administrators).
func (s *Service) ProposedExtension(a *Actor) (string, error) {
	if err := Authorize(a, ManageQueues); err != nil {
		return "", err
	}
	if err := s.requireConfigurator(); err != nil {
		return "", err
	}
	return s.running().FreeExtension(), nil
}

// QueueSettings reads a queue's settings as ReplaceQueue takes them, so
// that a form changing some of them can keep the others (administrators,
// and supervisors who may view the queue's settings).
func (s *Service) QueueSettings(a *Actor, id string) (QueueSpec, error) {
	if a == nil {
		return QueueSpec{}, errUnauthenticated
	}
	if !a.seesQueue(id) || !(a.Sees(ChangeQueues) || a.is(directory.Supervisor) && a.Permissions[directory.QueueSettingsView]) {
		return QueueSpec{}, forbidden("reading queue settings needs the %s permission for the queue", directory.QueueSettingsView)
	}
	if err := s.requireConfigurator(); err != nil {
		return QueueSpec{}, err
	}
	q, ok := s.running().Queues[id]
	if !ok {
		return QueueSpec{}, notFound("no queue %q", id)
	}
	spec := QueueSpec{ID: id, Name: q.Name, Extension: q.Extension, Type: q.Type, Strategy: q.Strategy,
		RingTimeout: durationText(q.RingTimeout), MaxNoAnswer: q.MaxNoAnswer, WrapUp: durationText(q.WrapUp),
		EndWrapUp: q.EndWrapUp, Weight: q.Weight, HoldMusic: q.HoldMusic, AnnounceEvery: durationText(q.AnnounceEvery), Announcement: q.Announcement}
	if sl := q.ServiceLevel; sl != nil {
		spec.ServiceLevel = &ServiceLevelSpec{Threshold: durationText(sl.Threshold), Target: float64(sl.Target)}
	}
	spec.ShortAbandon = durationText(q.ShortAbandon)
	if q.Recording.Mode() != config.RecordNever {
		spec.Recording = string(q.Recording)
	}
	if cb := q.Callback; cb != nil {
		spec.Callback = &CallbackSpec{Enabled: cb.Enabled, CallerID: cb.CallerID, Trunk: cb.Trunk,
			AllowedNumberTypes: slices.Clone(cb.AllowedNumberTypes), Attempts: cb.Attempts,
			RetryAfter: durationText(cb.RetryAfter), DialTimeout: durationText(cb.DialTimeout)}
		if cb.Threshold != nil {
			spec.Callback.Threshold = durationText(*cb.Threshold)
		}
	}
	return spec, nil
}

// durationText writes a duration as the configuration reads it back and
// as a person writes it ("2m", "1h30m", not "2m0s"); zero (unset) is
// left out.
func durationText(d config.Duration) string {
	if d <= 0 {
		return ""
	}
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
