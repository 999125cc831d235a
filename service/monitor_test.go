package service

import (
	"context"
	"testing"
	"time"

	"github.com/acdserver/acd/acd"
	"github.com/acdserver/acd/directory"
	"github.com/acdserver/acd/event"
	"github.com/acdserver/acd/flow"
)

// fakeMonitor has agent 1001 on a support call and 1002 on a direct call
// (no queue); it starts whatever it is asked.
type fakeMonitor struct {
	started []flow.MonitorRequest
}

func (f *fakeMonitor) Live(agent string) (flow.Live, bool) {
	switch agent {
	case "1001":
		return flow.Live{Agent: agent, Interaction: &acd.Interaction{ID: "c1", Queue: "support"}}, true
	case "1002":
		return flow.Live{Agent: agent, Interaction: &acd.Interaction{ID: "c2"}}, true
	}
	return flow.Live{}, false
}

func (f *fakeMonitor) Monitor(r flow.MonitorRequest) (flow.Monitoring, error) {
	f.started = append(f.started, r)
	return flow.Monitoring{ID: "m1", Agent: r.Agent, Phone: r.Phone, Mode: r.Mode, Requested: time.Now()}, nil
}
func (f *fakeMonitor) MonitoringOf(string) (flow.Monitoring, bool) { return flow.Monitoring{}, false }
func (f *fakeMonitor) Monitorings() []flow.Monitoring              { return nil }
func (f *fakeMonitor) SetMonitorMode(context.Context, string, flow.MonitorMode, event.Actor) (flow.Monitoring, error) {
	return flow.Monitoring{}, flow.ErrNoMonitoring
}
func (f *fakeMonitor) StopMonitor(context.Context, string, event.Actor) error { return nil }

// TestMonitorPermissions: who may monitor which call, in which mode, on
// which phone; each refusal of the kind the API answers with.
func TestMonitorPermissions(t *testing.T) {
	s, _, _ := newTestService(t)
	fm := &fakeMonitor{}
	s.SetMonitor(fm)
	sup := func(overrides map[string]bool, restricted bool, queues ...string) *Actor {
		a := &Actor{UserID: "sam", Role: directory.Supervisor, Permissions: directory.Effective(directory.Supervisor, overrides),
			Restricted: restricted, Queues: map[string]bool{}}
		for _, q := range queues {
			a.Queues[q] = true
		}
		return a
	}
	admin := &Actor{UserID: "root", Role: directory.Administrator}
	for _, tc := range []struct {
		name         string
		actor        *Actor
		agent, mode  string
		phone        string
		want         Kind // 0: started
		wantPhone    string
		mayBargeKeys bool
	}{
		{"supervisor listens", sup(nil, false), "1001", "listen", "1002", 0, "1002", false},
		{"supervisor whispers", sup(nil, false), "1001", "whisper", "1002", 0, "1002", false},
		{"supervisor barges without calls.barge", sup(nil, false), "1001", "barge", "1002", Forbidden, "", false},
		{"supervisor granted calls.barge", sup(map[string]bool{"calls.barge": true}, false), "1001", "barge", "1002", 0, "1002", true},
		{"supervisor without calls.monitor", sup(map[string]bool{"calls.monitor": false}, false), "1001", "listen", "1002", Forbidden, "", false},
		{"restricted, its queue", sup(nil, true, "support", "sales"), "1001", "listen", "1002", 0, "1002", false},
		{"restricted, a phone outside its queues", sup(nil, true, "support"), "1001", "listen", "1002", Forbidden, "", false},
		{"restricted, another queue", sup(nil, true, "sales"), "1001", "listen", "1002", Forbidden, "", false},
		{"restricted, a direct call", sup(nil, true, "sales", "support"), "1002", "listen", "1001", Forbidden, "", false},
		{"unrestricted, a direct call", sup(nil, false), "1002", "listen", "1001", 0, "1001", false},
		{"administrator barges", admin, "1001", "barge", "1002", 0, "1002", true},
		{"agent", &Actor{UserID: "1002", Role: directory.Agent}, "1001", "listen", "1002", Forbidden, "", false},
		{"no actor", nil, "1001", "listen", "1002", Unauthenticated, "", false},
		{"bad mode", admin, "1001", "shout", "1002", Invalid, "", false},
		{"a number, not a phone", admin, "1001", "listen", "+15550100", Invalid, "", false},
		{"the agent's own phone", admin, "1001", "listen", "1001", Invalid, "", false},
		{"no phone of its own", admin, "1001", "listen", "", Invalid, "", false},
		{"unknown agent", admin, "1003", "listen", "1002", NotFound, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fm.started = nil
			_, err := s.StartMonitor(tc.actor, tc.agent, tc.mode, tc.phone)
			if got := kindOf(err); got != tc.want {
				t.Fatalf("StartMonitor: %v (kind %d); want kind %d", err, got, tc.want)
			}
			if tc.want != 0 {
				if len(fm.started) != 0 {
					t.Fatalf("refused, yet started %+v", fm.started)
				}
				return
			}
			if len(fm.started) != 1 || fm.started[0].Phone != tc.wantPhone || fm.started[0].Barge != tc.mayBargeKeys {
				t.Fatalf("started %+v; want phone %s, barge by key %v", fm.started, tc.wantPhone, tc.mayBargeKeys)
			}
		})
	}
}

// TestMonitorPhonesOfARestrictedSupervisor: the phones offered to a
// supervisor restricted to its queues are its queues' agents' only.
func TestMonitorPhonesOfARestrictedSupervisor(t *testing.T) {
	s, _, _ := newTestService(t)
	s.SetMonitor(&fakeMonitor{})
	restricted := &Actor{UserID: "sam", Role: directory.Supervisor, Permissions: directory.Effective(directory.Supervisor, nil),
		Restricted: true, Queues: map[string]bool{"support": true}}
	if got := s.MonitorPhones(restricted); len(got) != 1 || got[0] != "1001" {
		t.Fatalf("phones offered to a supervisor restricted to support: %v; want [1001]", got)
	}
	free := &Actor{UserID: "sam", Role: directory.Supervisor, Permissions: directory.Effective(directory.Supervisor, nil)}
	if got := s.MonitorPhones(free); len(got) != 2 {
		t.Fatalf("phones offered to an unrestricted supervisor: %v; want both", got)
	}
}

// TestMonitorEventsHiddenFromAgents: the monitored agent's stream does
// not carry its monitoring; a supervisor's does.
func TestMonitorEventsHiddenFromAgents(t *testing.T) {
	s, _, _ := newTestService(t)
	e := event.New(time.Now(), event.Ref{Agent: "1001", Queue: "support"}, event.MonitorStarted{Session: "m1", Mode: "listen", Phone: "2001"})
	if s.visible(&Actor{UserID: "1001", Role: directory.Agent}, e) {
		t.Error("the monitored agent sees monitor.started")
	}
	if !s.visible(&Actor{UserID: "sam", Role: directory.Supervisor}, e) {
		t.Error("a supervisor does not see monitor.started")
	}
}
