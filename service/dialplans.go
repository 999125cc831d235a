package service

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/store"
)

// DialplanView is a dial plan as the API lists it.
type DialplanView struct {
	Name    string   `json:"name"`
	Source  string   `json:"source" doc:"FILE:LINE for a plan of the configuration file (read-only here), database for one uploaded through the API"`
	Version int      `json:"version,omitempty" doc:"the uploaded version in force"`
	Numbers []string `json:"numbers" doc:"the numbers that route to it"`
}

// PlanVersionView is one kept version of an uploaded dial plan.
type PlanVersionView struct {
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// DialplanDetail is one dial plan with its versions.
type DialplanDetail struct {
	DialplanView
	YAML     string            `json:"yaml,omitempty" doc:"the version in force, as uploaded; for a plan of the configuration file, as written there"`
	Versions []PlanVersionView `json:"versions"`
}

// NumberView is a number and the dial plan it routes to.
type NumberView struct {
	Number   string `json:"number"`
	Dialplan string `json:"dialplan"`
	Source   string `json:"source" doc:"FILE:LINE for a number of the configuration file (read-only here), database for one routed through the API"`
}

var (
	planName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	// A number as dialled: digits with an optional leading +. Feature
	// codes (*5x) are the phones', never routed.
	numberRule = regexp.MustCompile(`^\+?[0-9]{1,20}$`)
)

// Dialplans lists every dial plan (administrators; supervisors granted
// configuration.access to read).
func (s *Service) Dialplans(ctx context.Context, a *Actor) ([]DialplanView, error) {
	if err := AuthorizeView(a, ManageDialplans); err != nil {
		return nil, err
	}
	if err := s.requireConfigurator(); err != nil {
		return nil, err
	}
	cfg := s.running()
	out := []DialplanView{}
	for name, d := range cfg.Dialplans {
		v := DialplanView{Name: name, Numbers: []string{}, Source: cfg.Source(d.Line, false)}
		for num, ref := range cfg.Numbers {
			if ref.Name == name {
				v.Numbers = append(v.Numbers, num)
			}
		}
		sort.Strings(v.Numbers)
		out = append(out, v)
	}
	uploaded := s.uploadedPlans(ctx)
	for i := range out {
		if version, ok := uploaded[out[i].Name]; ok {
			out[i].Source, out[i].Version = "database", version
		}
	}
	slices.SortFunc(out, func(x, y DialplanView) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

// uploadedPlans maps each uploaded plan to its version in force.
func (s *Service) uploadedPlans(ctx context.Context) map[string]int {
	out := map[string]int{}
	for name := range s.running().Dialplans {
		if _, active, err := s.conf.PlanVersions(ctx, name); err == nil && active > 0 {
			out[name] = active
		}
	}
	return out
}

// Dialplan reads one dial plan with its kept versions (administrators).
func (s *Service) Dialplan(ctx context.Context, a *Actor, name string) (DialplanDetail, error) {
	list, err := s.Dialplans(ctx, a)
	if err != nil {
		return DialplanDetail{}, err
	}
	i := slices.IndexFunc(list, func(v DialplanView) bool { return v.Name == name })
	if i < 0 {
		return DialplanDetail{}, notFound("no dial plan %q", name)
	}
	d := DialplanDetail{DialplanView: list[i], Versions: []PlanVersionView{}}
	versions, active, err := s.conf.PlanVersions(ctx, name)
	if err != nil {
		return DialplanDetail{}, err
	}
	for _, v := range versions {
		d.Versions = append(d.Versions, PlanVersionView{Version: v.Version, CreatedAt: v.CreatedAt, CreatedBy: v.CreatedBy})
		if v.Version == active {
			d.YAML = v.Body
		}
	}
	if d.Source != "database" {
		d.YAML = s.fileYAML(ctx, a, name)
	}
	return d, nil
}

// UploadDialplan keeps a new version of a dial plan (administrators) and
// puts it in force at once: new calls take it, calls in progress keep the
// version they started on. Problems come back with the lines of the
// upload ("dialplan NAME:LINE: ..."), as acd check words them; the
// file's plans are the file's.
func (s *Service) UploadDialplan(ctx context.Context, a *Actor, name, text string) (int, error) {
	if err := Authorize(a, ManageDialplans); err != nil {
		return 0, err
	}
	if err := s.requireConfigurator(); err != nil {
		return 0, err
	}
	if !planName.MatchString(name) {
		return 0, invalid("name", "want lower-case letters, digits, - and _")
	}
	if strings.TrimSpace(text) == "" {
		return 0, invalid("yaml", "the dial plan is empty: give its entry and nodes")
	}
	if d, ok := s.running().Dialplans[name]; ok && d.Line != 0 {
		if _, uploaded := s.uploadedPlans(ctx)[name]; !uploaded {
			return 0, conflict("dial plan %q is the configuration file's (%s): change it there", name, s.running().Source(d.Line, false))
		}
	}
	v, err := s.conf.UploadPlan(ctx, name, text, a.UserID)
	if err != nil {
		return 0, planRefusal(err)
	}
	s.audit(a, "dialplan.uploaded", "", map[string]string{"dialplan": name, "version": strconv.Itoa(v)})
	return v, nil
}

// ActivateDialplan puts a kept version of an uploaded plan back in force.
func (s *Service) ActivateDialplan(ctx context.Context, a *Actor, name string, version int) error {
	if err := Authorize(a, ManageDialplans); err != nil {
		return err
	}
	if err := s.requireConfigurator(); err != nil {
		return err
	}
	err := s.conf.ActivatePlan(ctx, name, version)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("dial plan %q has no version %d", name, version)
	}
	if err != nil {
		return planRefusal(err)
	}
	s.audit(a, "dialplan.activated", "", map[string]string{"dialplan": name, "version": strconv.Itoa(version)})
	return nil
}

// DeleteDialplan removes an uploaded plan (its versions are kept);
// refused while a number routes to it.
func (s *Service) DeleteDialplan(ctx context.Context, a *Actor, name string) error {
	if err := Authorize(a, ManageDialplans); err != nil {
		return err
	}
	if err := s.requireConfigurator(); err != nil {
		return err
	}
	if _, ok := s.uploadedPlans(ctx)[name]; !ok {
		if d, inFile := s.running().Dialplans[name]; inFile {
			return conflict("dial plan %q is the configuration file's (%s): remove it there", name, s.running().Source(d.Line, false))
		}
		return notFound("no dial plan %q", name)
	}
	if err := s.conf.Change(ctx, kindPlan, name, nil); err != nil {
		return refusal(err, true)
	}
	s.audit(a, "dialplan.deleted", "", map[string]string{"dialplan": name})
	return nil
}

// Numbers lists every number and its dial plan (administrators;
// supervisors granted configuration.access to read).
func (s *Service) Numbers(a *Actor) ([]NumberView, error) {
	if err := AuthorizeView(a, ManageDialplans); err != nil {
		return nil, err
	}
	if err := s.requireConfigurator(); err != nil {
		return nil, err
	}
	cfg := s.running()
	out := []NumberView{}
	for num, ref := range cfg.Numbers {
		src := "database"
		if ref.Line != 0 {
			src = cfg.Source(ref.Line, false)
		}
		out = append(out, NumberView{Number: num, Dialplan: ref.Name, Source: src})
	}
	slices.SortFunc(out, func(x, y NumberView) int { return strings.Compare(x.Number, y.Number) })
	return out, nil
}

// RouteNumber routes a number to a dial plan (administrators); the file's
// numbers are the file's.
func (s *Service) RouteNumber(ctx context.Context, a *Actor, number, plan string) (NumberView, error) {
	if err := Authorize(a, ManageDialplans); err != nil {
		return NumberView{}, err
	}
	if err := s.requireConfigurator(); err != nil {
		return NumberView{}, err
	}
	if config.IsNumberPattern(number) {
		if _, err := config.ParseNumberPattern(number); err != nil {
			return NumberView{}, invalid("number", "pattern %q: %v", number, err)
		}
	} else if !numberRule.MatchString(number) {
		return NumberView{}, invalid("number", "want the dialled digits, like 300 or +14155550100, a pattern like _+1415NXXXXXX or a prefix like +4420*")
	}
	cfg := s.running()
	if ref, ok := cfg.Numbers[number]; ok && ref.Line != 0 {
		return NumberView{}, conflict("number %s is the configuration file's (%s): change it there", number, cfg.Source(ref.Line, false))
	}
	if _, ok := cfg.Dialplans[plan]; !ok {
		return NumberView{}, invalid("dialplan", "no dial plan %q", plan)
	}
	if err := refusal(s.conf.Change(ctx, kindNumber, number, &plan), false); err != nil {
		return NumberView{}, err
	}
	s.audit(a, "number.routed", "", map[string]string{"number": number, "dialplan": plan})
	return NumberView{Number: number, Dialplan: plan, Source: "database"}, nil
}

// UnrouteNumber removes a number routed through the API.
func (s *Service) UnrouteNumber(ctx context.Context, a *Actor, number string) error {
	if err := Authorize(a, ManageDialplans); err != nil {
		return err
	}
	if err := s.requireConfigurator(); err != nil {
		return err
	}
	ref, ok := s.running().Numbers[number]
	if !ok {
		return notFound("no number %s", number)
	}
	if ref.Line != 0 {
		return conflict("number %s is the configuration file's (%s): remove it there", number, s.running().Source(ref.Line, false))
	}
	if err := refusal(s.conf.Change(ctx, kindNumber, number, nil), true); err != nil {
		return err
	}
	s.audit(a, "number.removed", "", map[string]string{"number": number})
	return nil
}

// planRefusal is refusal for an upload: its problems keep their
// "dialplan NAME:LINE:" place.
func planRefusal(err error) error {
	return refusal(err, false)
}
