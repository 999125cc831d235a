package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/acdserver/acd/service"
)

type queueIn struct {
	Body service.QueueSpec
}

type queuePutIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body service.QueueSpec
}

type queueOut struct {
	Body service.Queue
}

type queueSpecOut struct {
	Body service.QueueSpec
}

type agentsOut struct {
	Body struct {
		Agents []service.AgentView `json:"agents"`
	}
}

type agentIn struct {
	Body service.AgentSpec
}

type agentPutIn struct {
	ID   string `path:"id" maxLength:"32"`
	Body service.AgentSpec
}

type agentOut struct {
	Body service.AgentView
}

// registerDirectory adds the administration of queues and agents: what
// the configuration file declares is shown and stays the file's; what is
// made here is kept in the database.
func (s *Server) registerDirectory() {
	huma.Register(s.api, op("create-queue", http.MethodPost, "/queues", "Create a queue (administrators); the next free extension unless one is given", http.StatusCreated, false, "queues"),
		func(ctx context.Context, in *queueIn) (*queueOut, error) {
			q, err := s.svc.CreateQueue(ctx, actorOf(ctx), in.Body)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &queueOut{Body: q}, nil
		})
	huma.Register(s.api, op("get-queue", http.MethodGet, "/queues/{id}", "A queue's settings as replace-queue takes them, callback included (administrators, supervisors who may view the queue's settings)", http.StatusOK, false, "queues"),
		func(ctx context.Context, in *idPath) (*queueSpecOut, error) {
			q, err := s.svc.QueueSettings(actorOf(ctx), in.ID)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &queueSpecOut{Body: q}, nil
		})
	huma.Register(s.api, op("replace-queue", http.MethodPut, "/queues/{id}", "Replace the settings of a queue made through the API; 409 for the file's", http.StatusOK, false, "queues"),
		func(ctx context.Context, in *queuePutIn) (*queueOut, error) {
			if in.Body.ID == "" {
				in.Body.ID = in.ID
			}
			if in.Body.ID != in.ID {
				return nil, s.fail(ctx, service.InvalidField("id", "the body names queue %q, the path %q", in.Body.ID, in.ID))
			}
			q, err := s.svc.ReplaceQueue(ctx, actorOf(ctx), in.Body)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &queueOut{Body: q}, nil
		})
	huma.Register(s.api, op("delete-queue", http.MethodDelete, "/queues/{id}", "Delete a queue made through the API; 409 while a dial plan or an agent uses it", http.StatusNoContent, false, "queues"),
		func(ctx context.Context, in *idPath) (*struct{}, error) {
			if err := s.svc.DeleteQueue(ctx, actorOf(ctx), in.ID); err != nil {
				return nil, s.fail(ctx, err)
			}
			return nil, nil
		})
	huma.Register(s.api, op("list-agents", http.MethodGet, "/agents", "The agents of the call path (supervisors: those they control)", http.StatusOK, false, "agents"),
		func(ctx context.Context, _ *struct{}) (*agentsOut, error) {
			list, err := s.svc.ListAgents(actorOf(ctx))
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := &agentsOut{}
			out.Body.Agents = list
			return out, nil
		})
	huma.Register(s.api, op("create-agent", http.MethodPost, "/agents", "Create an agent: the SIP user its phone registers as (administrators)", http.StatusCreated, false, "agents"),
		func(ctx context.Context, in *agentIn) (*agentOut, error) {
			v, _, err := s.svc.PutAgent(ctx, actorOf(ctx), in.Body, true)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &agentOut{Body: v}, nil
		})
	huma.Register(s.api, op("replace-agent", http.MethodPut, "/agents/{id}", "Replace an agent made through the API: name, queues, SIP password (kept when left out)", http.StatusOK, false, "agents"),
		func(ctx context.Context, in *agentPutIn) (*agentOut, error) {
			if in.Body.ID == "" {
				in.Body.ID = in.ID
			}
			if in.Body.ID != in.ID {
				return nil, s.fail(ctx, service.InvalidField("id", "the body names agent %q, the path %q", in.Body.ID, in.ID))
			}
			v, _, err := s.svc.PutAgent(ctx, actorOf(ctx), in.Body, false)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &agentOut{Body: v}, nil
		})
	huma.Register(s.api, op("delete-agent", http.MethodDelete, "/agents/{id}", "Delete an agent made through the API; it must be logged out", http.StatusNoContent, false, "agents"),
		func(ctx context.Context, in *idPath) (*struct{}, error) {
			if err := s.svc.DeleteAgent(ctx, actorOf(ctx), in.ID); err != nil {
				return nil, s.fail(ctx, err)
			}
			return nil, nil
		})
}

type trunksOut struct {
	Body struct {
		Trunks []service.TrunkView `json:"trunks"`
	}
}

type trunkIn struct {
	Body service.TrunkSpec
}

type trunkPutIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body service.TrunkSpec
}

type trunkOut struct {
	Body service.TrunkView
}

// registerTrunks adds the administration of SIP trunks, on the same
// model as queues and agents.
func (s *Server) registerTrunks() {
	huma.Register(s.api, op("list-trunks", http.MethodGet, "/trunks", "The SIP trunks, never their passwords (administrators)", http.StatusOK, false, "trunks"),
		func(ctx context.Context, _ *struct{}) (*trunksOut, error) {
			list, err := s.svc.Trunks(actorOf(ctx))
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := &trunksOut{}
			out.Body.Trunks = list
			return out, nil
		})
	huma.Register(s.api, op("create-trunk", http.MethodPost, "/trunks", "Create a SIP trunk (administrators)", http.StatusCreated, false, "trunks"),
		func(ctx context.Context, in *trunkIn) (*trunkOut, error) {
			v, err := s.svc.PutTrunk(ctx, actorOf(ctx), in.Body, true)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &trunkOut{Body: v}, nil
		})
	huma.Register(s.api, op("replace-trunk", http.MethodPut, "/trunks/{id}", "Replace a trunk made through the API; the password is kept when left out", http.StatusOK, false, "trunks"),
		func(ctx context.Context, in *trunkPutIn) (*trunkOut, error) {
			if in.Body.ID == "" {
				in.Body.ID = in.ID
			}
			if in.Body.ID != in.ID {
				return nil, s.fail(ctx, service.InvalidField("id", "the body names trunk %q, the path %q", in.Body.ID, in.ID))
			}
			v, err := s.svc.PutTrunk(ctx, actorOf(ctx), in.Body, false)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &trunkOut{Body: v}, nil
		})
	huma.Register(s.api, op("delete-trunk", http.MethodDelete, "/trunks/{id}", "Delete a trunk made through the API; 409 while a queue's callback dials through it", http.StatusNoContent, false, "trunks"),
		func(ctx context.Context, in *idPath) (*struct{}, error) {
			if err := s.svc.DeleteTrunk(ctx, actorOf(ctx), in.ID); err != nil {
				return nil, s.fail(ctx, err)
			}
			return nil, nil
		})
}
