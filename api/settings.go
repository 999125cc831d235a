package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/acdserver/acd/service"
)

type settingsOut struct {
	Body service.Settings
}

type settingsIn struct {
	Body struct {
		AllowUnassignedLogin bool `json:"allow_unassigned_login" doc:"let agents log in to queues they are not assigned to"`
	}
}

func (s *Server) registerSettings() {
	huma.Register(s.api, op("get-settings", http.MethodGet, "/settings", "The organisation settings (supervisors, administrators)", http.StatusOK, false, "settings"),
		func(ctx context.Context, _ *struct{}) (*settingsOut, error) {
			st, err := s.svc.Settings(ctx, actorOf(ctx))
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &settingsOut{Body: st}, nil
		})
	huma.Register(s.api, op("set-settings", http.MethodPut, "/settings", "Change the organisation settings (administrators); 409 for one the configuration file sets", http.StatusOK, false, "settings"),
		func(ctx context.Context, in *settingsIn) (*settingsOut, error) {
			st, err := s.svc.SetSettings(ctx, actorOf(ctx), in.Body.AllowUnassignedLogin)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &settingsOut{Body: st}, nil
		})
}
