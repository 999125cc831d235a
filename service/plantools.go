package service

import (
	"context"
	"strings"
	"time"

	"github.com/acdserver/acd/dialplan"
)

// PlanTools check, draw and simulate dial plans for the editor, against
// the configuration in force (the server's configurator).
type PlanTools interface {
	// CheckPlan validates a dial plan's text as if it were uploaded,
	// changing nothing; the error is config.Errors.
	CheckPlan(ctx context.Context, name, body string) error
	// SketchPlan draws a dial plan: body as given, or with body empty
	// the one in force. ok is false when there is no such plan.
	SketchPlan(ctx context.Context, name, body string) (g dialplan.Graph, ok bool, err error)
	// Simulate walks a call to number through the plans in force.
	Simulate(ctx context.Context, number, digits string, at time.Time) ([]dialplan.Step, error)
	// Prompts names every prompt the plans in force may play.
	Prompts() []string
}

// CheckDialplan validates a dial plan's text without saving it
// (administrators); its problems come back as Problems with their lines.
func (s *Service) CheckDialplan(ctx context.Context, a *Actor, name, text string) error {
	if err := s.requirePlanTools(a); err != nil {
		return err
	}
	if !planName.MatchString(name) {
		return invalid("name", "want lower-case letters, digits, - and _")
	}
	if strings.TrimSpace(text) == "" {
		return invalid("yaml", "the dial plan is empty: give its entry and nodes")
	}
	return planRefusal(s.plans.CheckPlan(ctx, name, text))
}

// DialplanGraph draws a dial plan: text as given (a draft in the
// editor), or the plan in force when text is empty.
func (s *Service) DialplanGraph(ctx context.Context, a *Actor, name, text string) (dialplan.Graph, error) {
	if err := s.requirePlanTools(a); err != nil {
		return dialplan.Graph{}, err
	}
	g, ok, err := s.plans.SketchPlan(ctx, name, text)
	if err != nil {
		return dialplan.Graph{}, err
	}
	if !ok {
		return dialplan.Graph{}, notFound("no dial plan %q", name)
	}
	return g, nil
}

// SimulateCall walks a call to number through the dial plans in force,
// with the keys given and at the moment given, without SIP.
func (s *Service) SimulateCall(ctx context.Context, a *Actor, number, digits string, at time.Time) ([]dialplan.Step, error) {
	if err := s.requirePlanTools(a); err != nil {
		return nil, err
	}
	if !numberRule.MatchString(number) {
		return nil, invalid("number", "want the dialled digits, like 300 or +14155550100")
	}
	for _, k := range digits {
		if !strings.ContainsRune("0123456789*#ABCD", k) {
			return nil, invalid("digits", "want keys 0-9, *, #, A-D")
		}
	}
	steps, err := s.plans.Simulate(ctx, number, digits, at)
	if err != nil {
		return steps, invalid("number", "%v", err)
	}
	return steps, nil
}

// requirePlanTools: checking, drawing and simulating change nothing, so
// those who may read the dial plans may use them.
func (s *Service) requirePlanTools(a *Actor) error {
	if err := AuthorizeView(a, ManageDialplans); err != nil {
		return err
	}
	if s.plans == nil {
		return conflict("dial plans cannot be checked here: the server runs without its configurator")
	}
	return nil
}
