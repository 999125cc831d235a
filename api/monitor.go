package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/acdserver/acd/service"
)

type monitorStartIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Mode  string `json:"mode" enum:"listen,whisper,barge" doc:"listen: hear both, heard by nobody; whisper: heard by the agent only; barge: heard by both (takes calls.barge)"`
		Phone string `json:"phone,omitempty" maxLength:"64" doc:"the SIP user of the configuration whose phone is rung; absent: the caller's own, when its user id is a SIP user"`
	}
}

type monitorPath struct {
	ID      string `path:"id" maxLength:"64"`
	Session string `path:"session" maxLength:"64"`
}

type monitorModeIn struct {
	ID      string `path:"id" maxLength:"64"`
	Session string `path:"session" maxLength:"64"`
	Body    struct {
		Mode string `json:"mode" enum:"listen,whisper,barge"`
	}
}

type monitorOut struct {
	Body service.MonitorSession
}

type monitorsOut struct {
	Body struct {
		Sessions []service.MonitorSession `json:"sessions"`
	}
}

// registerMonitor mounts the supervisors' monitoring of agents' calls.
func (s *Server) registerMonitor() {
	huma.Register(s.api, op("start-monitor", http.MethodPost, "/agents/{id}/monitor",
		"Ring a supervisor's phone and, on answer, join the agent's call listening, whispering or barging in", http.StatusAccepted, false, "monitoring"),
		func(ctx context.Context, in *monitorStartIn) (*monitorOut, error) {
			m, err := s.svc.StartMonitor(actorOf(ctx), in.ID, in.Body.Mode, in.Body.Phone)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &monitorOut{Body: m}, nil
		})
	change := func(ctx context.Context, in *monitorModeIn) (*monitorOut, error) {
		m, err := s.svc.ChangeMonitor(ctx, actorOf(ctx), in.ID, in.Session, in.Body.Mode)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		return &monitorOut{Body: m}, nil
	}
	huma.Register(s.api, op("change-monitor", http.MethodPatch, "/agents/{id}/monitor/{session}",
		"Switch a running monitoring session between listen, whisper and barge", http.StatusOK, false, "monitoring"), change)
	huma.Register(s.api, op("change-monitor-post", http.MethodPost, "/agents/{id}/monitor/{session}",
		"The same as PATCH, for clients that only POST", http.StatusOK, false, "monitoring"), change)
	huma.Register(s.api, op("stop-monitor", http.MethodDelete, "/agents/{id}/monitor/{session}",
		"Stop monitoring: the supervisor's phone is hung up, the call goes on", http.StatusNoContent, false, "monitoring"),
		func(ctx context.Context, in *monitorPath) (*struct{}, error) {
			if err := s.svc.StopMonitor(ctx, actorOf(ctx), in.ID, in.Session); err != nil {
				return nil, s.fail(ctx, err)
			}
			return nil, nil
		})
	huma.Register(s.api, op("list-monitors", http.MethodGet, "/monitor",
		"The running monitoring sessions the caller may act on", http.StatusOK, false, "monitoring"),
		func(ctx context.Context, _ *struct{}) (*monitorsOut, error) {
			list, err := s.svc.Monitors(actorOf(ctx))
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := &monitorsOut{}
			out.Body.Sessions = list
			return out, nil
		})
}
