package service

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/numbering"
	"github.com/acdserver/acd/store"
)

// Configurator puts a change to the queues and agents made through the
// API in force: validated with the configuration file as one, stored,
// applied. A change that does not validate returns config.Errors and
// changes nothing. body nil removes the object.
type Configurator interface {
	Change(ctx context.Context, kind, id string, body *string) error
	// UploadPlan keeps a new version of a dial plan and puts it in force;
	// ActivatePlan puts a kept one back; PlanVersions lists them and the
	// one in force.
	UploadPlan(ctx context.Context, name, body, by string) (int, error)
	ActivatePlan(ctx context.Context, name string, version int) error
	PlanVersions(ctx context.Context, name string) ([]store.PlanVersion, int, error)
}

// QueueSpec is a queue as the API creates or replaces it. Durations are
// written as in the configuration file: 90s, 2m, 1h.
type QueueSpec struct {
	ID            string        `json:"id,omitempty" yaml:"-" pattern:"^[a-z0-9][a-z0-9_-]*$" maxLength:"64"`
	Name          string        `json:"name,omitempty" yaml:"name,omitempty" maxLength:"128"`
	Extension     string        `json:"extension,omitempty" yaml:"extension,omitempty" pattern:"^[0-9]+$" maxLength:"16" doc:"left out: the next free one from 600"`
	Type          string        `json:"type,omitempty" yaml:"type,omitempty" enum:"standard,icr"`
	Strategy      string        `json:"strategy,omitempty" yaml:"strategy,omitempty" enum:"longest-idle,round-robin,ring-all,fewest-calls,linear,random"`
	RingTimeout   string        `json:"ring_timeout,omitempty" yaml:"ring_timeout,omitempty" maxLength:"16"`
	MaxNoAnswer   int           `json:"max_no_answer,omitempty" yaml:"max_no_answer,omitempty" minimum:"0"`
	WrapUp        string        `json:"wrap_up,omitempty" yaml:"wrap_up,omitempty" maxLength:"16"`
	EndWrapUp     bool          `json:"end_wrap_up,omitempty" yaml:"end_wrap_up,omitempty"`
	Weight        int           `json:"weight,omitempty" yaml:"weight,omitempty"`
	HoldMusic     string        `json:"hold_music,omitempty" yaml:"hold_music,omitempty" maxLength:"64"`
	Announcement  string        `json:"announcement,omitempty" yaml:"announcement,omitempty" maxLength:"64" doc:"the prompt or recorded message played every announce_every; left out: please-hold"`
	AnnounceEvery string        `json:"announce_every,omitempty" yaml:"announce_every,omitempty" maxLength:"16"`
	Callback      *CallbackSpec `json:"callback,omitempty" yaml:"callback,omitempty"`
	// The reports' settings for the queue (see docs/metrics.md).
	ServiceLevel *ServiceLevelSpec `json:"service_level,omitempty" yaml:"service_level,omitempty" doc:"left out: answered within 20s, 80% of callers"`
	ShortAbandon string            `json:"short_abandon,omitempty" yaml:"short_abandon,omitempty" maxLength:"16" doc:"callers who hang up having waited less (like 5s) are short abandons, left out of the service level and abandon rate; left out: off"`
	Recording    string            `json:"recording,omitempty" yaml:"recording,omitempty" enum:"never,always,on_demand" doc:"whether the queue's calls are recorded; left out: never"`
}

// ServiceLevelSpec is a queue's service-level objective.
type ServiceLevelSpec struct {
	Threshold string  `json:"threshold,omitempty" yaml:"threshold,omitempty" maxLength:"16" doc:"callers answered within it (like 20s) meet the objective; left out: 20s"`
	Target    float64 `json:"target,omitempty" yaml:"target,omitempty" minimum:"0" maximum:"100" doc:"the percentage of callers to answer within the threshold, which the reports staff each hour for; left out: 80"`
}

// CallbackSpec is a queue's callback setting (see the configuration's).
type CallbackSpec struct {
	Enabled            bool     `json:"enabled" yaml:"enabled"`
	Threshold          string   `json:"threshold,omitempty" yaml:"threshold,omitempty" maxLength:"16"`
	CallerID           string   `json:"caller_id,omitempty" yaml:"caller_id,omitempty" maxLength:"32"`
	Trunk              string   `json:"trunk,omitempty" yaml:"trunk,omitempty" maxLength:"64"`
	AllowedNumberTypes []string `json:"allowed_number_types,omitempty" yaml:"allowed_number_types,omitempty"`
	Attempts           int      `json:"attempts,omitempty" yaml:"attempts,omitempty" minimum:"0"`
	RetryAfter         string   `json:"retry_after,omitempty" yaml:"retry_after,omitempty" maxLength:"16"`
	DialTimeout        string   `json:"dial_timeout,omitempty" yaml:"dial_timeout,omitempty" maxLength:"16"`
}

// AgentSpec is an agent as the API creates or replaces it. The SIP
// password is stored only as its digest hash; left out of a replacement,
// the stored one is kept.
type AgentSpec struct {
	ID          string   `json:"id,omitempty" pattern:"^[0-9A-Za-z][0-9A-Za-z._-]*$" maxLength:"32" doc:"the SIP user its phone registers as"`
	Name        string   `json:"name" minLength:"1" maxLength:"128"`
	Queues      []string `json:"queues,omitempty" doc:"the queues it belongs to"`
	SIPPassword string   `json:"sip_password,omitempty" minLength:"8" maxLength:"128" doc:"write-only; the phone's digest password"`
}

const (
	kindQueue  = "queue"
	kindAgent  = "agent"
	kindNumber = "number"
	kindPlan   = "dialplan"
	kindTrunk  = "trunk"
)

var idRule = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// requireConfigurator refuses changes when the service was built without
// one (the command line).
func (s *Service) requireConfigurator() error {
	if s.conf == nil || s.running == nil {
		return fmt.Errorf("queues and agents cannot be changed here")
	}
	return nil
}

// CreateQueue makes a queue (administrators). A queue with no extension
// gets the next free one.
func (s *Service) CreateQueue(ctx context.Context, a *Actor, q QueueSpec) (Queue, error) {
	if err := Authorize(a, ManageQueues); err != nil {
		return Queue{}, err
	}
	if err := s.requireConfigurator(); err != nil {
		return Queue{}, err
	}
	if !idRule.MatchString(q.ID) {
		return Queue{}, invalid("id", "want lower-case letters, digits, - and _")
	}
	if len(q.ID) > 64 {
		return Queue{}, invalid("id", "at most 64 characters")
	}
	if _, ok := s.running().Queues[q.ID]; ok {
		return Queue{}, conflict("queue %q exists", q.ID)
	}
	if q.Extension == "" {
		q.Extension = s.running().FreeExtension()
	}
	if err := s.putQueue(ctx, q); err != nil {
		return Queue{}, err
	}
	s.audit(a, "queue.created", "", map[string]string{"queue": q.ID, "extension": q.Extension})
	return s.queueView(q.ID), nil
}

// ReplaceQueue replaces a queue made through the API with new settings
// (administrators, and supervisors with the queue settings permission for
// the queues they control). The file's queues are the file's.
func (s *Service) ReplaceQueue(ctx context.Context, a *Actor, q QueueSpec) (Queue, error) {
	if err := Authorize(a, ChangeQueues); err != nil {
		return Queue{}, err
	}
	if !a.seesQueue(q.ID) {
		return Queue{}, refused(ChangeQueues)
	}
	if err := s.requireConfigurator(); err != nil {
		return Queue{}, err
	}
	cur, ok := s.running().Queues[q.ID]
	if !ok {
		return Queue{}, notFound("no queue %q", q.ID)
	}
	if !cur.Managed {
		return Queue{}, conflict("queue %q is the configuration file's (%s): change it there", q.ID, s.running().Source(cur.Line, false))
	}
	if q.Extension == "" {
		q.Extension = cur.Extension
	}
	if err := s.putQueue(ctx, q); err != nil {
		return Queue{}, err
	}
	s.audit(a, "queue.updated", "", map[string]string{"queue": q.ID})
	return s.queueView(q.ID), nil
}

// DeleteQueue removes a queue made through the API (administrators); it
// is refused while a dial plan or an agent uses it. Callers waiting in it
// stay until they leave.
func (s *Service) DeleteQueue(ctx context.Context, a *Actor, id string) error {
	if err := Authorize(a, ManageQueues); err != nil {
		return err
	}
	if err := s.requireConfigurator(); err != nil {
		return err
	}
	cur, ok := s.running().Queues[id]
	if !ok {
		return notFound("no queue %q", id)
	}
	if !cur.Managed {
		return conflict("queue %q is the configuration file's (%s): remove it there", id, s.running().Source(cur.Line, false))
	}
	if err := s.conf.Change(ctx, kindQueue, id, nil); err != nil {
		return refusal(err, true)
	}
	s.audit(a, "queue.deleted", "", map[string]string{"queue": id})
	return nil
}

func (s *Service) putQueue(ctx context.Context, q QueueSpec) error {
	if err := s.checkCallback(q.Callback); err != nil {
		return err
	}
	if err := checkReportSettings(q); err != nil {
		return err
	}
	body, err := yaml.Marshal(q)
	if err != nil {
		return fmt.Errorf("encoding queue %s: %w", q.ID, err)
	}
	text := string(body)
	return refusal(s.conf.Change(ctx, kindQueue, q.ID, &text), false)
}

func (s *Service) queueView(id string) Queue {
	return s.directory().queueByID[id]
}

// AgentView is an agent of the call path as the API shows it.
type AgentView struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Queues []string `json:"queues" doc:"the queues it is assigned to"`
	Source string   `json:"source" doc:"FILE:LINE for an agent of the configuration file (read-only here), database for one made through the API"`
	// Live is its state now, for the supervisor's view of its agents.
	Live *AgentState `json:"live,omitempty" doc:"its state now: state, reason, since when, the call, the queues logged in to"`
}

// ListAgents lists the agents of the call path (supervisors: those they
// control; administrators: all).
func (s *Service) ListAgents(a *Actor) ([]AgentView, error) {
	if a == nil {
		return nil, errUnauthenticated
	}
	if a.is(directory.Agent) {
		return nil, forbidden("the list of agents is for supervisors and administrators")
	}
	out := []AgentView{}
	for _, ac := range s.directory().agents {
		if s.controlsAgent(a, ac.ID) {
			v := AgentView{ID: ac.ID, Name: ac.Name, Queues: slices.Clone(ac.Queues), Source: ac.Source}
			if s.dist != nil {
				if info, err := s.dist.Agent(ac.ID); err == nil {
					live := stateView(info)
					v.Live = &live
				}
			}
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(x, y AgentView) int { return strings.Compare(x.ID, y.ID) })
	return out, nil
}

// PutAgent creates (create true) or replaces an agent made through the
// API (administrators). A new agent needs a SIP password.
func (s *Service) PutAgent(ctx context.Context, a *Actor, spec AgentSpec, create bool) (AgentView, bool, error) {
	if err := Authorize(a, ManageAgents); err != nil {
		return AgentView{}, false, err
	}
	if err := s.requireConfigurator(); err != nil {
		return AgentView{}, false, err
	}
	if spec.ID == "" {
		return AgentView{}, false, invalid("id", "an agent needs an id: the SIP user its phone registers as")
	}
	if err := checkText(spec.Name, 1, 128); err != nil {
		return AgentView{}, false, invalid("name", "%v", err)
	}
	// The API's schema says so too; the pages' forms reach here without it.
	if len(spec.ID) > 32 {
		return AgentView{}, false, invalid("id", "at most 32 characters")
	}
	if n := utf8.RuneCountInString(spec.SIPPassword); spec.SIPPassword != "" && (n < 8 || n > 128) {
		return AgentView{}, false, invalid("sip_password", "want 8 to 128 characters")
	}
	cfg := s.running()
	cur, exists := cfg.Agents[spec.ID]
	switch {
	case create && exists:
		return AgentView{}, false, conflict("agent %q exists", spec.ID)
	case !create && !exists:
		return AgentView{}, false, notFound("no agent %q", spec.ID)
	}
	if exists && !cur.Managed {
		return AgentView{}, false, conflict("agent %q is the configuration file's (%s): change it there", spec.ID, cfg.Source(cur.Line, false))
	}
	hash := ""
	switch {
	case spec.SIPPassword != "":
		// Both digests, so that phones answering MD5 and SHA-256
		// challenges alike can register; the password itself is not kept.
		a1 := []byte(spec.ID + ":" + cfg.SIPRealm + ":" + spec.SIPPassword)
		md, sh := md5.Sum(a1), sha256.Sum256(a1)
		hash = "md5:" + hex.EncodeToString(md[:]) + " sha256:" + hex.EncodeToString(sh[:])
	case exists:
		hash = cur.PasswordHash
	default:
		return AgentView{}, false, invalid("sip_password", "a new agent needs the password its phone registers with")
	}
	queues := slices.Clone(spec.Queues)
	if queues == nil {
		queues = []string{}
	}
	body, err := yaml.Marshal(struct {
		Name         string   `yaml:"name"`
		PasswordHash string   `yaml:"password_hash"`
		Queues       []string `yaml:"queues,flow"`
	}{spec.Name, hash, queues})
	if err != nil {
		return AgentView{}, false, fmt.Errorf("encoding agent %s: %w", spec.ID, err)
	}
	text := string(body)
	if err := refusal(s.conf.Change(ctx, kindAgent, spec.ID, &text), false); err != nil {
		return AgentView{}, false, err
	}
	action := "agent.updated"
	if !exists {
		action = "agent.created"
	}
	s.audit(a, action, spec.ID, map[string]string{"queues": strings.Join(queues, ","), "sip_password_changed": fmt.Sprint(spec.SIPPassword != "")})
	ac := s.directory().agents[spec.ID]
	return AgentView{ID: ac.ID, Name: ac.Name, Queues: slices.Clone(ac.Queues), Source: ac.Source}, !exists, nil
}

// DeleteAgent removes an agent made through the API (administrators);
// the agent must be logged out first.
func (s *Service) DeleteAgent(ctx context.Context, a *Actor, id string) error {
	if err := Authorize(a, ManageAgents); err != nil {
		return err
	}
	if err := s.requireConfigurator(); err != nil {
		return err
	}
	cfg := s.running()
	cur, ok := cfg.Agents[id]
	if !ok {
		return notFound("no agent %q", id)
	}
	if !cur.Managed {
		return conflict("agent %q is the configuration file's (%s): remove it there", id, cfg.Source(cur.Line, false))
	}
	if info, err := s.dist.Agent(id); err == nil && info.State != acd.LoggedOut {
		return conflict("agent %s is %s: log it out first", id, info.State)
	}
	if err := s.conf.Change(ctx, kindAgent, id, nil); err != nil {
		return refusal(err, true)
	}
	s.audit(a, "agent.deleted", id, nil)
	return nil
}

// refusal turns a configuration that does not validate into the API's
// error: 422 for a definition with bad settings, 409 for a removal that
// leaves something using the object. Messages drop the file's name and
// line 0 that problems of managed objects carry.
func refusal(err error, removal bool) error {
	var ce config.Errors
	if err == nil || !errors.As(err, &ce) {
		return err
	}
	msgs := make([]string, len(ce))
	for i, e := range ce {
		if e.Line == 0 {
			msgs[i] = e.Msg
		} else {
			msgs[i] = e.Error()
		}
	}
	var refused *Error
	if removal {
		refused = &Error{Kind: Conflict, Msg: "still in use: " + strings.Join(msgs, "; ")}
	} else {
		refused = &Error{Kind: Invalid, Field: "body", Msg: strings.Join(msgs, "; ")}
	}
	for _, e := range ce {
		refused.Problems = append(refused.Problems, Problem{Source: e.File, Line: e.Line, Msg: e.Msg})
	}
	return refused
}

// TrunkSpec is a SIP trunk as the API creates or replaces it. The
// password is write-only; left out of a replacement, it is kept.
type TrunkSpec struct {
	ID          string   `json:"id,omitempty" pattern:"^[a-z0-9][a-z0-9_-]*$" maxLength:"64"`
	Address     string   `json:"address" maxLength:"128" doc:"the carrier's SIP side: IP:PORT, HOST:PORT, a domain resolved by NAPTR and SRV records (RFC 3263), or sips:HOST[:PORT] over TLS"`
	Transport   string   `json:"transport,omitempty" enum:"udp,tcp,tls" doc:"named, a domain is looked up by this transport's SRV record alone; left out, UDP for an IP address and DNS's choice for a domain"`
	Username    string   `json:"username,omitempty" maxLength:"128"`
	Password    string   `json:"password,omitempty" maxLength:"128" doc:"write-only: the digest password the carrier asks for"`
	InboundFrom []string `json:"inbound_from,omitempty" doc:"prefixes the carrier's calls come from; their P-Asserted-Identity is trusted"`
	// Registration with the carrier, as the configuration file's trunks.
	Register        bool   `json:"register,omitempty" doc:"keep a registration with the carrier (needs username and password)"`
	Registrar       string `json:"registrar,omitempty" maxLength:"128" doc:"where REGISTER goes, when not the address: IP:PORT, HOST:PORT or a domain"`
	RegisterExpires string `json:"register_expires,omitempty" maxLength:"16" doc:"the registration interval asked for, like 1h (the default)"`
	ContactUser     string `json:"contact_user,omitempty" maxLength:"64" doc:"the user of the Contact registered; the username when left out"`
	// CallerID is what calls through the trunk present, instead of the
	// queue's.
	CallerID *TrunkCallerID `json:"caller_id,omitempty"`
	SRTP     string         `json:"srtp,omitempty" enum:"off,optional,required" doc:"left out: media.srtp's"`
}

// TrunkCallerID is the number (of the numbering region) and name a
// trunk presents.
type TrunkCallerID struct {
	Number string `json:"number" maxLength:"32"`
	Name   string `json:"name,omitempty" maxLength:"64"`
}

// TrunkView is a trunk as the API shows it: never its password.
type TrunkView struct {
	ID              string         `json:"id"`
	Address         string         `json:"address"`
	Transport       string         `json:"transport,omitempty"`
	Username        string         `json:"username,omitempty"`
	HasPassword     bool           `json:"has_password"`
	InboundFrom     []string       `json:"inbound_from"`
	Register        bool           `json:"register"`
	Registrar       string         `json:"registrar,omitempty"`
	RegisterExpires string         `json:"register_expires,omitempty" doc:"asked for, while register is true"`
	ContactUser     string         `json:"contact_user,omitempty" doc:"the Contact's user, while register is true"`
	CallerID        *TrunkCallerID `json:"caller_id,omitempty" doc:"its number in E.164"`
	SRTP            string         `json:"srtp,omitempty"`
	Source          string         `json:"source" doc:"FILE:LINE for a trunk of the configuration file (read-only here), database for one made through the API"`
}

// trunkView shows a configured trunk.
func trunkView(id string, t *config.Trunk, source string) TrunkView {
	v := TrunkView{ID: id, Address: t.Address, Transport: strings.ToLower(t.Transport), Username: t.Username, HasPassword: t.Password != "",
		InboundFrom: append([]string{}, t.InboundFrom...), Register: t.Register, Registrar: t.Registrar, SRTP: t.SRTP, Source: source}
	if t.Register {
		v.RegisterExpires, v.ContactUser = durationText(config.Duration(t.RegisterExpiresD())), t.Contact()
	}
	if c := t.CallerID; c != nil {
		v.CallerID = &TrunkCallerID{Number: c.Number, Name: c.Name}
	}
	return v
}

// trunkOf is the configuration's trunk for a spec, with the problems of
// its fields, each naming the field.
func trunkOf(t TrunkSpec, plan *numbering.Plan) (*config.Trunk, error) {
	ct := &config.Trunk{Address: t.Address, Transport: t.Transport, Username: t.Username, Password: t.Password,
		InboundFrom: t.InboundFrom, Register: t.Register, Registrar: t.Registrar, ContactUser: t.ContactUser, SRTP: t.SRTP}
	if t.RegisterExpires != "" {
		d, err := config.ParseDuration(t.RegisterExpires)
		if err != nil {
			return nil, invalid("register_expires", "%v", err)
		}
		ct.RegisterExpires = config.Duration(d)
	}
	if c := t.CallerID; c != nil {
		ct.CallerID = &config.TrunkCallerID{Number: c.Number, Name: c.Name}
	}
	if problems := ct.Problems(plan); len(problems) > 0 {
		return nil, invalid(problems[0].Field, "%s", problems[0].Msg)
	}
	return ct, nil
}

// Trunks lists the trunks (administrators; supervisors granted
// configuration.access to read).
func (s *Service) Trunks(a *Actor) ([]TrunkView, error) {
	if err := AuthorizeView(a, ManageTrunks); err != nil {
		return nil, err
	}
	if err := s.requireConfigurator(); err != nil {
		return nil, err
	}
	cfg := s.running()
	out := []TrunkView{}
	for id, t := range cfg.Trunks {
		out = append(out, trunkView(id, t, cfg.Source(t.Line, t.Managed)))
	}
	slices.SortFunc(out, func(x, y TrunkView) int { return strings.Compare(x.ID, y.ID) })
	return out, nil
}

// PutTrunk creates (create true) or replaces a trunk made through the API
// (administrators). Calls dialled through it from now on use the new
// settings.
func (s *Service) PutTrunk(ctx context.Context, a *Actor, t TrunkSpec, create bool) (TrunkView, error) {
	if err := Authorize(a, ManageTrunks); err != nil {
		return TrunkView{}, err
	}
	if err := s.requireConfigurator(); err != nil {
		return TrunkView{}, err
	}
	if !idRule.MatchString(t.ID) {
		return TrunkView{}, invalid("id", "want lower-case letters, digits, - and _")
	}
	cfg := s.running()
	cur, exists := cfg.Trunks[t.ID]
	switch {
	case create && exists:
		return TrunkView{}, conflict("trunk %q exists", t.ID)
	case !create && !exists:
		return TrunkView{}, notFound("no trunk %q", t.ID)
	case exists && !cur.Managed:
		return TrunkView{}, conflict("trunk %q is the configuration file's (%s): change it there", t.ID, cfg.Source(cur.Line, false))
	}
	if t.Password == "" && exists {
		t.Password = cur.Password
	}
	if _, err := trunkOf(t, cfg.Numbering.Plan()); err != nil {
		return TrunkView{}, err
	}
	type callerID struct {
		Number string `yaml:"number"`
		Name   string `yaml:"name,omitempty"`
	}
	stored := struct {
		Address         string    `yaml:"address"`
		Transport       string    `yaml:"transport,omitempty"`
		Username        string    `yaml:"username,omitempty"`
		Password        string    `yaml:"password,omitempty"`
		InboundFrom     []string  `yaml:"inbound_from,omitempty,flow"`
		Register        bool      `yaml:"register,omitempty"`
		Registrar       string    `yaml:"registrar,omitempty"`
		RegisterExpires string    `yaml:"register_expires,omitempty"`
		ContactUser     string    `yaml:"contact_user,omitempty"`
		CallerID        *callerID `yaml:"caller_id,omitempty"`
		SRTP            string    `yaml:"srtp,omitempty"`
	}{t.Address, t.Transport, t.Username, t.Password, t.InboundFrom, t.Register, t.Registrar, t.RegisterExpires, t.ContactUser, nil, t.SRTP}
	if c := t.CallerID; c != nil {
		stored.CallerID = &callerID{c.Number, c.Name}
	}
	body, err := yaml.Marshal(stored)
	if err != nil {
		return TrunkView{}, fmt.Errorf("encoding trunk %s: %w", t.ID, err)
	}
	text := string(body)
	if err := refusal(s.conf.Change(ctx, kindTrunk, t.ID, &text), false); err != nil {
		return TrunkView{}, err
	}
	action := "trunk.updated"
	if !exists {
		action = "trunk.created"
	}
	s.audit(a, action, "", map[string]string{"trunk": t.ID, "address": t.Address})
	views, err := s.Trunks(a)
	if err != nil {
		return TrunkView{}, err
	}
	i := slices.IndexFunc(views, func(v TrunkView) bool { return v.ID == t.ID })
	return views[i], nil
}

// DeleteTrunk removes a trunk made through the API (administrators);
// refused while a queue's callback dials through it.
func (s *Service) DeleteTrunk(ctx context.Context, a *Actor, id string) error {
	if err := Authorize(a, ManageTrunks); err != nil {
		return err
	}
	if err := s.requireConfigurator(); err != nil {
		return err
	}
	cfg := s.running()
	cur, ok := cfg.Trunks[id]
	if !ok {
		return notFound("no trunk %q", id)
	}
	if !cur.Managed {
		return conflict("trunk %q is the configuration file's (%s): remove it there", id, cfg.Source(cur.Line, false))
	}
	if err := s.conf.Change(ctx, kindTrunk, id, nil); err != nil {
		return refusal(err, true)
	}
	s.audit(a, "trunk.deleted", "", map[string]string{"trunk": id})
	return nil
}
