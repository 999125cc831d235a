package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/acdserver/acd/service"
)

type userCreateIn struct {
	Body struct {
		ID                       string   `json:"id" minLength:"1" maxLength:"64" doc:"for an agent: the agent's id in the configuration, the SIP user its phone registers as"`
		Name                     string   `json:"name,omitempty" maxLength:"128"`
		Role                     string   `json:"role" enum:"administrator,supervisor,agent"`
		Password                 string   `json:"password" doc:"the web password, at least 12 characters; not the agent's SIP password"`
		Queues                   []string `json:"queues,omitempty" maxItems:"1000" doc:"a supervisor's assigned queues"`
		RestrictToAssignedQueues bool     `json:"restrict_to_assigned_queues,omitempty"`
	}
}

type userPatchIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Name                     *string   `json:"name,omitempty" maxLength:"128"`
		Role                     *string   `json:"role,omitempty" enum:"administrator,supervisor,agent"`
		Password                 *string   `json:"password,omitempty" doc:"a new password ends the user's sessions and revokes its API tokens"`
		Queues                   *[]string `json:"queues,omitempty" maxItems:"1000"`
		RestrictToAssignedQueues *bool     `json:"restrict_to_assigned_queues,omitempty"`
	}
}

type usersOut struct {
	Body struct {
		Users []service.User `json:"users"`
	}
}

type permissionsOut struct {
	Body struct {
		Roles []service.RolePermissions `json:"roles"`
	}
}

type permissionPath struct {
	Role       string `path:"role" maxLength:"32"`
	Permission string `path:"permission" maxLength:"64"`
}

type restoreIn struct {
	Body *struct {
		Role string `json:"role,omitempty" enum:"supervisor,agent," doc:"one role; absent or empty: every role"`
	}
}

type agentStateOut struct {
	Body service.AgentState
}

type agentActionIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Action string `json:"action" enum:"login,logout,ready,pause,end-wrap-up"`
		Reason string `json:"reason,omitempty" maxLength:"255" doc:"for pause: one of the enabled pause reasons; empty for a plain pause"`
		Queue  string `json:"queue,omitempty" maxLength:"64" doc:"for login or logout: this one queue only; a supervisor may log an agent in to a queue it is not assigned to"`
	}
}

type queuesOut struct {
	Body struct {
		Queues []service.Queue `json:"queues"`
	}
}

type waitingOut struct {
	Body waitingOutBody
}

func (s *Server) registerUsers() {
	huma.Register(s.api, op("list-users", http.MethodGet, "/users", "List users (administrators)", http.StatusOK, false, "users"),
		func(ctx context.Context, _ *struct{}) (*usersOut, error) {
			list, err := s.svc.Users(ctx, actorOf(ctx))
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := &usersOut{}
			out.Body.Users = list
			return out, nil
		})
	huma.Register(s.api, op("create-user", http.MethodPost, "/users", "Create a user (administrators)", http.StatusCreated, false, "users"),
		func(ctx context.Context, in *userCreateIn) (*userOut, error) {
			b := in.Body
			u, err := s.svc.CreateUser(ctx, actorOf(ctx), service.NewUser{ID: b.ID, Name: b.Name, Role: b.Role, Password: b.Password,
				Queues: b.Queues, RestrictToAssignedQueues: b.RestrictToAssignedQueues})
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &userOut{Body: u}, nil
		})
	huma.Register(s.api, op("get-user", http.MethodGet, "/users/{id}", "Read a user (administrators, or the user itself)", http.StatusOK, false, "users"),
		func(ctx context.Context, in *idPath) (*userOut, error) {
			u, err := s.svc.User(ctx, actorOf(ctx), in.ID)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &userOut{Body: u}, nil
		})
	huma.Register(s.api, op("update-user", http.MethodPatch, "/users/{id}", "Change a user (administrators); absent fields are kept", http.StatusOK, false, "users"),
		func(ctx context.Context, in *userPatchIn) (*userOut, error) {
			b := in.Body
			u, err := s.svc.UpdateUser(ctx, actorOf(ctx), in.ID, service.UserChange{Name: b.Name, Role: b.Role, Password: b.Password,
				Queues: b.Queues, RestrictToAssignedQueues: b.RestrictToAssignedQueues})
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &userOut{Body: u}, nil
		})
	huma.Register(s.api, op("delete-user", http.MethodDelete, "/users/{id}", "Delete a user and its tokens (administrators)", http.StatusNoContent, false, "users"),
		func(ctx context.Context, in *idPath) (*struct{}, error) {
			if err := s.svc.DeleteUser(ctx, actorOf(ctx), in.ID); err != nil {
				return nil, s.fail(ctx, err)
			}
			return nil, nil
		})
}

func (s *Server) registerPermissions() {
	huma.Register(s.api, op("list-permissions", http.MethodGet, "/permissions", "Every role's grantable permissions, defaults and grants", http.StatusOK, false, "permissions"),
		func(ctx context.Context, _ *struct{}) (*permissionsOut, error) {
			roles, err := s.svc.Permissions(ctx, actorOf(ctx))
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := &permissionsOut{}
			out.Body.Roles = roles
			return out, nil
		})
	set := func(granted bool) func(ctx context.Context, in *permissionPath) (*struct{}, error) {
		return func(ctx context.Context, in *permissionPath) (*struct{}, error) {
			if err := s.svc.SetPermission(ctx, actorOf(ctx), in.Role, in.Permission, granted); err != nil {
				return nil, s.fail(ctx, err)
			}
			return nil, nil
		}
	}
	huma.Register(s.api, op("grant-permission", http.MethodPut, "/permissions/{role}/{permission}", "Grant a permission to every user of a role (administrators)", http.StatusNoContent, false, "permissions"), set(true))
	huma.Register(s.api, op("revoke-permission", http.MethodDelete, "/permissions/{role}/{permission}", "Revoke a permission from every user of a role (administrators)", http.StatusNoContent, false, "permissions"), set(false))
	huma.Register(s.api, op("restore-permissions", http.MethodPost, "/permissions/restore-defaults", "Restore the documented default permissions (administrators)", http.StatusNoContent, false, "permissions"),
		func(ctx context.Context, in *restoreIn) (*struct{}, error) {
			role := ""
			if in.Body != nil {
				role = in.Body.Role
			}
			if err := s.svc.RestoreDefaults(ctx, actorOf(ctx), role); err != nil {
				return nil, s.fail(ctx, err)
			}
			return nil, nil
		})
}

func (s *Server) registerAgents() {
	huma.Register(s.api, op("get-agent-state", http.MethodGet, "/agents/{id}/state", "An agent's state (the agent itself, supervisors, administrators)", http.StatusOK, false, "agents"),
		func(ctx context.Context, in *idPath) (*agentStateOut, error) {
			st, err := s.svc.AgentState(actorOf(ctx), in.ID)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &agentStateOut{Body: st}, nil
		})
	huma.Register(s.api, op("set-agent-state", http.MethodPut, "/agents/{id}/state", "Log in, log out, ready, pause or end wrap-up (the agent itself, supervisors, administrators)", http.StatusOK, false, "agents"),
		func(ctx context.Context, in *agentActionIn) (*agentStateOut, error) {
			if in.Body.Queue != "" {
				var st service.AgentState
				var err error
				switch in.Body.Action {
				case service.ActionLogin:
					st, err = s.svc.AgentLoginQueue(actorOf(ctx), in.ID, in.Body.Queue)
				case service.ActionLogout:
					st, err = s.svc.AgentLogoutQueue(actorOf(ctx), in.ID, in.Body.Queue)
				default:
					err = service.InvalidField("queue", "only a login or a logout takes a queue")
				}
				if err != nil {
					return nil, s.fail(ctx, err)
				}
				return &agentStateOut{Body: st}, nil
			}
			st, err := s.svc.AgentAction(actorOf(ctx), in.ID, in.Body.Action, in.Body.Reason)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &agentStateOut{Body: st}, nil
		})
}

func (s *Server) registerQueues() {
	huma.Register(s.api, op("list-queues", http.MethodGet, "/queues", "The queues the caller may see", http.StatusOK, false, "queues"),
		func(ctx context.Context, _ *struct{}) (*queuesOut, error) {
			qs, err := s.svc.Queues(actorOf(ctx))
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := &queuesOut{}
			out.Body.Queues = qs
			return out, nil
		})
	huma.Register(s.api, op("list-waiting", http.MethodGet, "/queues/{id}/waiting", "A queue's waiting list, longest first (supervisors, administrators)", http.StatusOK, false, "queues"),
		func(ctx context.Context, in *idPath) (*waitingOut, error) {
			l, err := s.svc.WaitingList(actorOf(ctx), in.ID)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &waitingOut{Body: waitingOutBody{Queue: in.ID, list: l}}, nil
		})
}
