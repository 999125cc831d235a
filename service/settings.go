package service

import (
	"context"
	"fmt"
	"strconv"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/directory"
)

// SettingsStore keeps the organisation settings administrators make
// (store.Settings).
type SettingsStore interface {
	Get(ctx context.Context, name string) (string, bool, error)
	Set(ctx context.Context, name, value string) error
}

// FileSetting is what the configuration file says of a setting: whether
// it sets it, to what, and where (FILE:LINE). A setting the file sets is
// the file's: the API shows it and refuses to change it.
type FileSetting struct {
	On       bool
	Declared bool
	Source   string
}

// Settings are the organisation's settings as the API shows them.
type Settings struct {
	AllowUnassignedLogin bool `json:"allow_unassigned_login" doc:"agents may log in to queues they are not assigned to; those already in one keep it when this is turned off, until they log out or a supervisor logs them out"`
	// Source says who owns the setting: FILE:LINE when the configuration
	// file sets it (read-only here), else "database" or "default".
	Source string `json:"allow_unassigned_login_source" doc:"FILE:LINE when the configuration file sets it (then read-only here), database when set through the API, default otherwise"`
}

const settingUnassigned = "allow_unassigned_login"

// Settings reads the organisation settings (administrators and
// supervisors).
func (s *Service) Settings(ctx context.Context, a *Actor) (Settings, error) {
	if a == nil {
		return Settings{}, errUnauthenticated
	}
	if a.is(directory.Agent) {
		return Settings{}, forbidden("the organisation settings are for supervisors and administrators")
	}
	return s.settings(ctx)
}

func (s *Service) settings(ctx context.Context) (Settings, error) {
	if f := s.fileSetting(); f.Declared {
		return Settings{AllowUnassignedLogin: f.On, Source: f.Source}, nil
	}
	if s.settingsStore == nil {
		return Settings{Source: "default"}, nil
	}
	v, ok, err := s.settingsStore.Get(ctx, settingUnassigned)
	if err != nil {
		return Settings{}, err
	}
	if !ok {
		return Settings{Source: "default"}, nil
	}
	on, _ := strconv.ParseBool(v)
	return Settings{AllowUnassignedLogin: on, Source: "database"}, nil
}

// SetSettings changes the organisation settings (administrators) and
// puts them in force at once.
func (s *Service) SetSettings(ctx context.Context, a *Actor, allowUnassigned bool) (Settings, error) {
	if err := Authorize(a, ManageSettings); err != nil {
		return Settings{}, err
	}
	if f := s.fileSetting(); f.Declared {
		return Settings{}, conflict("allow_unassigned_login is set by the configuration file at %s: change it there", f.Source)
	}
	if s.settingsStore == nil {
		return Settings{}, fmt.Errorf("no settings store")
	}
	if err := s.settingsStore.Set(ctx, settingUnassigned, strconv.FormatBool(allowUnassigned)); err != nil {
		return Settings{}, err
	}
	s.dist.SetAllowUnassigned(allowUnassigned)
	s.audit(a, "setting.changed", "", map[string]string{"name": settingUnassigned, "value": strconv.FormatBool(allowUnassigned)})
	return s.settings(ctx)
}

// ApplySettings puts the stored settings in force where the file leaves
// them to administrators; the server calls it at start and on reload.
func (s *Service) ApplySettings(ctx context.Context) error {
	if s.fileSetting().Declared {
		return nil // the distributor has the file's value with the file
	}
	st, err := s.settings(ctx)
	if err != nil {
		return err
	}
	s.dist.SetAllowUnassigned(st.AllowUnassignedLogin)
	return nil
}

func (s *Service) fileSetting() FileSetting {
	if s.file == nil {
		return FileSetting{}
	}
	return s.file()
}

// AgentLogoutQueue logs an agent out of one queue: the agent itself, or
// a supervisor controlling the queue.
func (s *Service) AgentLogoutQueue(a *Actor, id, queue string) (AgentState, error) {
	if _, err := s.authorizeAgent(a, id); err != nil {
		return AgentState{}, err
	}
	if err := a.mayTouchQueue(queue); err != nil {
		return AgentState{}, err
	}
	if err := s.dist.LogoutQueue(id, queue, a.event()); err != nil {
		if err == acd.ErrNotLoggedIn {
			return AgentState{}, conflict("agent %s is not logged in to queue %s", id, queue)
		}
		return AgentState{}, agentError(id, err)
	}
	info, err := s.dist.Agent(id)
	if err != nil {
		return AgentState{}, fmt.Errorf("reading agent %s: %w", id, err)
	}
	return stateView(info), nil
}

// AgentLoginQueue logs an agent in to one queue: the agent itself (its
// own queues, others only while the organisation allows it) or a
// supervisor, who may log an agent in to any queue it controls, assigned
// or not.
func (s *Service) AgentLoginQueue(a *Actor, id, queue string) (AgentState, error) {
	if _, err := s.authorizeAgent(a, id); err != nil {
		return AgentState{}, err
	}
	if _, ok := s.directory().queueByID[queue]; !ok {
		return AgentState{}, invalid("queue", "no queue %q", queue)
	}
	if err := a.mayTouchQueue(queue); err != nil {
		return AgentState{}, err
	}
	if err := s.dist.LoginQueue(id, queue, a.event()); err != nil {
		if err == acd.ErrNotAssigned {
			return AgentState{}, forbidden("agent %s is not assigned to queue %s, and the organisation does not allow logging in to other queues", id, queue)
		}
		return AgentState{}, agentError(id, err)
	}
	info, err := s.dist.Agent(id)
	if err != nil {
		return AgentState{}, fmt.Errorf("reading agent %s: %w", id, err)
	}
	s.log.Info("agent logged in to a queue through the API", "user", a.UserID, "agent", id, "queue", queue)
	return stateView(info), nil
}
