package service

import (
	"slices"
	"strings"

	"github.com/acdserver/acd/directory"
)

// QueueChoices are what a queue's settings choose among: the trunks (a
// callback's, with the number each presents, the callback's caller ID
// as a rule) and the prompts a queue may play as hold music. A form
// offers them; ReplaceQueue and CreateQueue check what is sent all the
// same.
type QueueChoices struct {
	Trunks  []TrunkChoice
	Prompts []string
}

// TrunkChoice is a trunk as a queue's form offers it.
type TrunkChoice struct {
	ID       string
	CallerID string // the number it presents; "" when it sets none
}

// QueueChoices reads the choices, for those who may read queue settings.
func (s *Service) QueueChoices(a *Actor) (QueueChoices, error) {
	if a == nil {
		return QueueChoices{}, errUnauthenticated
	}
	if !(a.May(ChangeQueues) || a.is(directory.Supervisor) && a.Permissions[directory.QueueSettingsView]) {
		return QueueChoices{}, forbidden("reading queue settings needs the %s permission", directory.QueueSettingsView)
	}
	if err := s.requireConfigurator(); err != nil {
		return QueueChoices{}, err
	}
	var c QueueChoices
	for id, t := range s.running().Trunks {
		tc := TrunkChoice{ID: id}
		if t.CallerID != nil {
			tc.CallerID = t.CallerID.Number
		}
		c.Trunks = append(c.Trunks, tc)
	}
	slices.SortFunc(c.Trunks, func(x, y TrunkChoice) int { return strings.Compare(x.ID, y.ID) })
	if s.plans != nil {
		c.Prompts = s.plans.Prompts()
	}
	return c, nil
}
