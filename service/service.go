// Package service is the one place that checks who may do what and then
// does it: user and permission administration, sign-in and tokens, agents'
// state changes, queue views, the event stream and the audit trail. The
// HTTP layer (and later the web pages) call it with an Actor; it knows
// nothing of HTTP.
package service

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/store"
)

// Distributor is what the service needs of the call distributor: the
// agent state API and the waiting lists. acd.Center implements it.
type Distributor interface {
	Login(id string, by acd.Actor) error
	LoginQueue(id, queue string, by acd.Actor) error
	Logout(id string, by acd.Actor) error
	LogoutQueue(id, queue string, by acd.Actor) error
	Pause(id, reason string, by acd.Actor) error
	Ready(id string, by acd.Actor) error
	EndWrapUp(id string, by acd.Actor) error
	SetAllowUnassigned(on bool)
	Agent(id string) (acd.AgentInfo, error)
	Waiting(queue string) ([]acd.WaitingCaller, error)
}

// Users stores users, tokens and permission overrides (store.Users).
type Users interface {
	Count(ctx context.Context) (int, error)
	Create(ctx context.Context, u store.User) error
	Get(ctx context.Context, id string) (store.User, error)
	List(ctx context.Context) ([]store.User, error)
	Update(ctx context.Context, u store.User) error
	Delete(ctx context.Context, id string) error
	CreateToken(ctx context.Context, t store.Token) error
	TokenByHash(ctx context.Context, hash []byte) (store.Token, error)
	TouchToken(ctx context.Context, id string, at time.Time) error
	Tokens(ctx context.Context, userID string) ([]store.Token, error)
	DeleteToken(ctx context.Context, userID, id string) error
	DeleteExpiredTokens(ctx context.Context, now time.Time) error
	PermissionOverrides(ctx context.Context) (map[string]map[string]bool, error)
	SetPermission(ctx context.Context, role, permission string, granted bool) error
	ClearPermissions(ctx context.Context, roles ...string) error
}

// EventLog is the ordered event log (store.Log): the service appends the
// audit trail to it and reads it for the stream and the audit view.
type EventLog interface {
	Append(store.Event)
	// Flush returns once everything appended is stored: the audit trail
	// then shows a change made a moment before.
	Flush(ctx context.Context) error
	Page(ctx context.Context, q store.Query) ([]store.Event, error)
	LastSeq(ctx context.Context) (int64, error)
}

// Queue is a call queue as the API shows it.
type Queue struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Extension string `json:"extension"`
	Type      string `json:"type"`
	Source    string `json:"source" doc:"FILE:LINE for a queue of the configuration file (read-only here), database for one made through the API"`
}

// AgentConfig is an agent of the call path as the configuration declares
// it: its id (the SIP user its phone registers as), its queues, and where
// it is declared (FILE:LINE), for refusing edits the file owns.
type AgentConfig struct {
	ID     string
	Name   string
	Queues []string
	Source string
}

// Config is what a Service is built from.
type Config struct {
	Users       Users
	Events      EventLog
	Distributor Distributor
	Queues      []Queue
	Agents      []AgentConfig
	Hasher      *directory.Hasher
	Log         *slog.Logger
	// Settings keeps the organisation settings made through the API;
	// File says which of them the configuration file sets (the running
	// version's).
	Settings SettingsStore
	File     func() FileSetting
	// Configurator makes changes to queues and agents; Running is the
	// configuration version in force. Without them, queues and agents
	// are read-only.
	Configurator Configurator
	// Plans check, draw and simulate dial plans; nil without a server.
	Plans   PlanTools
	Running func() *config.Config
	// SessionTTL is how long a login's session lasts (default 12 hours).
	SessionTTL time.Duration
	// Poll is how often the event stream looks for new events (default
	// 200 ms).
	Poll time.Duration
	Now  func() time.Time
	// Catalog holds pause reasons, tags and canned messages.
	Catalog Catalog
	// Recorded holds the recorded messages dial plans play.
	Recorded Recorded
	// Reports makes the historical reports; nil where there are none
	// (the command line).
	Reports Reporter
	// StreamsPerUser caps the live streams one user may hold (default 8).
	StreamsPerUser int
}

// Service checks permissions and performs actions.
type Service struct {
	users  Users
	events EventLog
	dist   Distributor
	dir    atomic.Pointer[directorySnapshot]
	// settingsStore and file: see Config.Settings and Config.File.
	settingsStore SettingsStore
	file          func() FileSetting
	conf          Configurator
	plans         PlanTools
	running       func() *config.Config
	hasher        *directory.Hasher
	log           *slog.Logger
	sessionTTL    time.Duration
	poll          time.Duration
	now           func() time.Time
	throttle      *throttle
	feed          *feed
	catalog       *catalog
	recorded      Recorded
	uploads       chan struct{} // a slot per recorded-message upload in progress: see BeginRecordedUpload
	pages         *pages
	reports       Reporter
	today         *todayCache
	streams       *streams
	recordings    Recordings // nil: no recordings (recordings.go)
	// monitoring: the flows supervisors monitor calls through (SetMonitor).
	monitoring atomic.Pointer[monitorHolder]

	setupMu    sync.Mutex
	setupToken string // "" once there are users
}

// New builds a service; Run must be running for the event stream.
func New(c Config) *Service {
	s := &Service{
		users: c.Users, events: c.Events, dist: c.Distributor, hasher: c.Hasher, log: c.Log,
		settingsStore: c.Settings, file: c.File, conf: c.Configurator, plans: c.Plans, running: c.Running,
		sessionTTL: c.SessionTTL, poll: c.Poll, now: c.Now,
		throttle: newThrottle(), feed: newFeed(), pages: newPages(),
		catalog: newCatalog(c.Catalog), recorded: c.Recorded, uploads: make(chan struct{}, concurrentUploads), reports: c.Reports, today: &todayCache{}, streams: newStreams(c.StreamsPerUser),
	}
	if s.sessionTTL <= 0 {
		s.sessionTTL = 12 * time.Hour
	}
	if s.poll <= 0 {
		s.poll = 200 * time.Millisecond
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.hasher == nil {
		s.hasher = directory.NewHasher(2)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.SetDirectory(c.Queues, c.Agents)
	return s
}

// directorySnapshot is the queues and agents of one configuration
// version, replaced whole when the configuration changes, so that a
// request sees one version throughout.
type directorySnapshot struct {
	queues    []Queue // by id
	queueByID map[string]Queue
	agents    map[string]AgentConfig
}

// SetDirectory puts a configuration version's queues and agents in force
// for the permission checks and views; the server calls it at start and
// on every reload.
func (s *Service) SetDirectory(queues []Queue, agents []AgentConfig) {
	d := &directorySnapshot{queues: slices.Clone(queues), queueByID: map[string]Queue{}, agents: map[string]AgentConfig{}}
	sort.Slice(d.queues, func(i, j int) bool { return d.queues[i].ID < d.queues[j].ID })
	for _, q := range d.queues {
		d.queueByID[q.ID] = q
	}
	for _, a := range agents {
		d.agents[a.ID] = a
	}
	s.dir.Store(d)
}

func (s *Service) directory() *directorySnapshot { return s.dir.Load() }

// Run watches the event log for the stream and drops expired tokens,
// until ctx ends.
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(s.poll)
	defer tick.Stop()
	lastSweep := time.Time{}
	for {
		if seq, err := s.events.LastSeq(ctx); err == nil {
			s.feed.advance(seq)
		} else if ctx.Err() == nil {
			s.log.Warn("event stream: reading the event log", "error", err)
		}
		if now := s.now(); now.Sub(lastSweep) > time.Hour {
			lastSweep = now
			if err := s.users.DeleteExpiredTokens(ctx, now); err != nil && ctx.Err() == nil {
				s.log.Warn("dropping expired tokens", "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Actor is a signed-in user, as every call of the service is made by one.
type Actor struct {
	UserID      string
	Name        string
	Role        directory.Role
	Permissions map[directory.Permission]bool
	// Queues: a supervisor's assigned queues, or an agent's (from the
	// configuration).
	Queues map[string]bool
	// Restricted: a supervisor limited to Queues, by the role's
	// permission or the user's own setting.
	Restricted bool
	TokenID    string
	TokenKind  string
	// phone: the agent acting from its own phone, by feature code; its
	// events name the phone rather than a signed-in user.
	phone bool
}

func (a *Actor) is(r directory.Role) bool { return a != nil && a.Role == r }

// event is the actor as events record it; the distributor lets users
// other than agents end wrap-up early and log agents in to any queue.
func (a *Actor) event() event.Actor {
	if a == nil {
		return event.System()
	}
	if a.phone {
		return event.Phone(a.UserID)
	}
	return event.User(a.UserID, string(a.Role))
}

// audit appends one audit event naming the actor.
func (s *Service) audit(a *Actor, action, agent string, detail map[string]string) {
	s.auditBy(a.event(), action, agent, detail)
}

func (s *Service) auditBy(by event.Actor, action, agent string, detail map[string]string) {
	s.events.Append(event.New(s.now(), event.Ref{Agent: agent}, event.Audit{Action: action, Actor: by, Detail: detail}))
}

// actorFor builds the actor of a stored user.
func (s *Service) actorFor(ctx context.Context, u store.User) (*Actor, error) {
	a := &Actor{UserID: u.ID, Name: u.Name, Role: directory.Role(u.Role), Queues: map[string]bool{}}
	overrides, err := s.users.PermissionOverrides(ctx)
	if err != nil {
		return nil, err
	}
	a.Permissions = directory.Effective(a.Role, overrides[u.Role])
	switch a.Role {
	case directory.Supervisor:
		for _, q := range u.Queues {
			a.Queues[q] = true
		}
		a.Restricted = u.RestrictQueues || a.Permissions[directory.RestrictToAssignedQueues]
	case directory.Agent:
		for _, q := range s.directory().agents[u.ID].Queues {
			a.Queues[q] = true
		}
	}
	return a, nil
}

// Me describes the actor to itself.
func (s *Service) Me(a *Actor) (Me, error) {
	if a == nil {
		return Me{}, errUnauthenticated
	}
	m := Me{ID: a.UserID, Name: a.Name, Role: string(a.Role), RestrictedToQueues: a.Restricted, Queues: []string{}, Permissions: []string{}}
	for q := range a.Queues {
		m.Queues = append(m.Queues, q)
	}
	for p := range a.Permissions {
		m.Permissions = append(m.Permissions, string(p))
	}
	sort.Strings(m.Queues)
	sort.Strings(m.Permissions)
	return m, nil
}

// Me is what a signed-in user is and may do.
type Me struct {
	ID                 string   `json:"id"`
	Name               string   `json:"name"`
	Role               string   `json:"role"`
	Queues             []string `json:"queues"`
	RestrictedToQueues bool     `json:"restricted_to_queues"`
	Permissions        []string `json:"permissions"`
}

// seesQueue: administrators and unrestricted supervisors see every queue;
// restricted supervisors and agents their own.
// MayWatchQueue is nil when the actor may see a queue's waiting list and
// agents, which are then the same for everyone who may (QueueOverview
// depends on who asks only in whether it answers).
func (s *Service) MayWatchQueue(a *Actor, queue string) error {
	if a == nil {
		return errUnauthenticated
	}
	if a.is(directory.Agent) {
		return forbidden("waiting lists are for supervisors and administrators")
	}
	if _, ok := s.directory().queueByID[queue]; !ok {
		return notFound("no queue %q", queue)
	}
	if !a.seesQueue(queue) {
		return forbidden("queue %q is not one of your assigned queues", queue)
	}
	return nil
}

func (a *Actor) seesQueue(q string) bool {
	switch a.Role {
	case directory.Administrator:
		return true
	case directory.Supervisor:
		return !a.Restricted || a.Queues[q]
	}
	return a.Queues[q]
}

// controlsAgent: an agent itself; a supervisor any agent, or when
// restricted one assigned to at least one of its queues (an agent's
// state is one for all its queues); an administrator any.
func (s *Service) controlsAgent(a *Actor, id string) bool {
	switch a.Role {
	case directory.Administrator:
		return true
	case directory.Supervisor:
		if !a.Restricted {
			return true
		}
		return slices.ContainsFunc(s.directory().agents[id].Queues, func(q string) bool { return a.Queues[q] })
	}
	return a.UserID == id
}

// Queues lists the queues the actor may see.
func (s *Service) Queues(a *Actor) ([]Queue, error) {
	if a == nil {
		return nil, errUnauthenticated
	}
	out := []Queue{}
	for _, q := range s.directory().queues {
		if a.seesQueue(q.ID) {
			out = append(out, q)
		}
	}
	return out, nil
}

// WaitingCaller is one place in a queue's waiting list.
type WaitingCaller struct {
	Position      int       `json:"position"`
	CallID        string    `json:"call_id"`
	Number        string    `json:"number"`
	Joined        time.Time `json:"joined"`
	WaitedSeconds int64     `json:"waited_seconds"`
	Ringing       bool      `json:"ringing"`
	Callback      bool      `json:"callback" doc:"a callback request keeping the caller's place"`
}

// Waiting lists a queue's waiting callers, longest first, for
// supervisors (restricted ones: their queues) and administrators.
func (s *Service) Waiting(a *Actor, queue string) ([]WaitingCaller, error) {
	l, err := s.WaitingList(a, queue)
	if err != nil {
		return nil, err
	}
	out := make([]WaitingCaller, l.Len())
	for i := range out {
		w := l.Place(i)
		out[i] = WaitingCaller{Position: l.Position(i), CallID: w.CallID, Number: w.Caller, Joined: w.Joined,
			WaitedSeconds: l.WaitedSeconds(i), Ringing: l.Ringing(i), Callback: w.Callback}
	}
	return out, nil
}

// WaitingList is a queue's waiting list read at one moment, place by
// place: what Waiting returns, for a reader that encodes thousands of
// places without building each (the API). Every WaitingCaller field is
// here: Position, WaitedSeconds and Ringing by index, the rest in
// Place's unchanging record (Caller is the Number).
type WaitingList struct {
	list []acd.WaitingCaller // shared with other readers: read only
	now  time.Time
}

// WaitingList reads a queue's waiting list, with the checks of Waiting.
func (s *Service) WaitingList(a *Actor, queue string) (WaitingList, error) {
	if err := s.MayWatchQueue(a, queue); err != nil {
		return WaitingList{}, err
	}
	list, err := s.dist.Waiting(queue)
	if err != nil {
		return WaitingList{}, fmt.Errorf("reading the waiting list of %s: %w", queue, err)
	}
	return WaitingList{list: list, now: s.now()}, nil
}

// Len is how many places the list holds.
func (l WaitingList) Len() int { return len(l.list) }

// Place is the i-th place's unchanging record; it must not be changed.
func (l WaitingList) Place(i int) *acd.Waiter { return l.list[i].Waiter }

// Position is the i-th place's, from 1.
func (l WaitingList) Position(i int) int { return i + 1 }

// WaitedSeconds is how long the i-th place has waited, in whole seconds.
func (l WaitingList) WaitedSeconds(i int) int64 {
	return int64(l.now.Sub(l.list[i].Joined).Seconds())
}

// Ringing is whether an offer of the i-th place is in progress.
func (l WaitingList) Ringing(i int) bool { return l.list[i].Ringing }
