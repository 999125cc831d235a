// Package event defines what the server writes to its event log: one Go
// type per kind of event, each with a schema version, numbers as numbers
// and durations in milliseconds. The distributor, the call handler and
// the service build these; reports, live views and the API read them
// back with Decode. docs/events.md lists every kind and field.
package event

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/acdserver/acd/store"
)

// Payload is the kind-specific part of an event.
type Payload interface {
	// Kind is the event's type in the log, such as "agent.state".
	Kind() string
}

// Version is the schema version every kind is at. A kind whose fields
// change in a way old readers would misread gets a version of its own,
// and Decode keeps reading the older one. Rows written before events
// were typed have version 0: their data is an object of strings.
const Version = 1

// Ref places an event: the call (SIP Call-ID), the interaction it belongs
// to, the queue and the agent, each empty when it does not apply.
type Ref struct {
	Call, Interaction, Queue, Agent string
}

// New builds the log entry of a payload. A payload that cannot be
// encoded is a bug; the entry then says so rather than being lost.
func New(at time.Time, ref Ref, p Payload) store.Event {
	data, err := json.Marshal(p)
	if err != nil {
		data, _ = json.Marshal(map[string]string{"encoding_error": err.Error()})
	}
	return store.Event{At: at, Type: p.Kind(), Version: Version, CallID: ref.Call, Interaction: ref.Interaction,
		Queue: ref.Queue, Agent: ref.Agent, Data: data}
}

// Decode reads an event's payload into its Go type. Events of a kind this
// build does not know, and rows from before typed events, give an error.
func Decode(e store.Event) (Payload, error) {
	if e.Version != Version {
		return nil, fmt.Errorf("event %d (%s): schema version %d, this server reads %d", e.Seq, e.Type, e.Version, Version)
	}
	proto, ok := kindOf(e.Type)
	if !ok {
		return nil, fmt.Errorf("event %d: unknown kind %q", e.Seq, e.Type)
	}
	p := reflect.New(reflect.TypeOf(proto))
	if len(e.Data) > 0 {
		if err := json.Unmarshal(e.Data, p.Interface()); err != nil {
			return nil, fmt.Errorf("event %d (%s): %w", e.Seq, e.Type, err)
		}
	}
	if a, ok := p.Interface().(*Audit); ok {
		a.Action = e.Type[len(auditPrefix):]
	}
	return p.Elem().Interface().(Payload), nil
}

// kindOf finds the Go type of a kind.
func kindOf(kind string) (Payload, bool) {
	if len(kind) > len(auditPrefix) && kind[:len(auditPrefix)] == auditPrefix {
		return Audit{}, true
	}
	for _, p := range Kinds() {
		if p.Kind() == kind {
			return p, true
		}
	}
	return nil, false
}

// Kinds lists a zero value of every kind, in the order docs/events.md
// gives them. Audit stands for every "audit." kind.
func Kinds() []Payload {
	return []Payload{
		CallArrived{}, CallStep{}, CallHungUp{},
		CallerJoined{}, CallerOffered{}, AgentAnswered{}, CallerAbandoned{}, CallerTimedOut{}, CallerExited{}, CallerStopped{},
		CallEnded{}, CallTransferred{}, TransferRefused{},
		AgentState{}, AgentLoggedIn{}, AgentLoggedOut{}, AgentMissed{}, PhoneRegistered{}, PhoneUnregistered{},
		DirectOffered{}, DirectUnavailable{}, DirectFailed{}, DirectAnswered{},
		CallbackOffered{}, CallbackRequested{}, CallbackRestored{}, CallbackAgentAnswered{}, CallbackDialing{},
		CallbackAttemptFailed{}, CallbackFailed{}, CallbackConnected{}, CallbackCompleted{},
		RecordingStarted{}, RecordingPaused{}, RecordingResumed{}, RecordingStopped{}, RecordingDeleted{}, RecordingFramesLost{},
		MonitorStarted{}, MonitorModeChanged{}, MonitorStopped{},
		ServerStarted{}, ServerDraining{}, Audit{},
	}
}

// Actor is who made a change: an agent's phone (a feature code), a user
// of the API or consoles, or the server itself (a timer, a missed offer,
// a restart).
type Actor struct {
	Kind string `json:"kind" doc:"phone, user, system or command-line"`
	// ID is the agent whose phone it was, or the user's id.
	ID string `json:"id,omitempty"`
	// Role is a user's role: admin, supervisor or agent.
	Role string `json:"role,omitempty"`
}

// Who acted.
const (
	ByPhone       = "phone"
	ByUser        = "user"
	BySystem      = "system"
	ByCommandLine = "command-line" // acd user add, on the server's machine
)

// Phone is the actor of an agent's own feature code.
func Phone(agent string) Actor { return Actor{Kind: ByPhone, ID: agent} }

// User is the actor of a signed-in user.
func User(id, role string) Actor { return Actor{Kind: ByUser, ID: id, Role: role} }

// CommandLine is an administrator at the server's own command line.
func CommandLine() Actor { return Actor{Kind: ByCommandLine} }

// System is the server acting on its own.
func System() Actor { return Actor{Kind: BySystem} }

func (a Actor) String() string {
	if a.ID == "" {
		return a.Kind
	}
	return a.Kind + ":" + a.ID
}

// Ms is a duration in whole milliseconds, as events carry them.
func Ms(d time.Duration) int64 { return d.Milliseconds() }
