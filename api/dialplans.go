package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/acdserver/acd/service"
)

type planPath struct {
	Name string `path:"name" maxLength:"64"`
}

type planUploadIn struct {
	Name string `path:"name" maxLength:"64"`
	Body struct {
		YAML string `json:"yaml" maxLength:"262144" doc:"the dial plan as under dialplans.NAME in the configuration file: entry and nodes"`
	}
}

type planUploadOut struct {
	Body struct {
		Name    string `json:"name"`
		Version int    `json:"version"`
	}
}

type planActivateIn struct {
	Name string `path:"name" maxLength:"64"`
	Body struct {
		Version int `json:"version" minimum:"1"`
	}
}

type plansOut struct {
	Body struct {
		Dialplans []service.DialplanView `json:"dialplans"`
	}
}

type planOut struct {
	Body service.DialplanDetail
}

type numbersOut struct {
	Body struct {
		Numbers []service.NumberView `json:"numbers"`
	}
}

type numberIn struct {
	Number string `path:"number" maxLength:"64" doc:"a number, an Asterisk-style pattern (_+44NXXXXXXXXX) or a prefix (+4420*)"`
	Body   struct {
		Dialplan string `json:"dialplan" maxLength:"64"`
	}
}

type numberPath struct {
	Number string `path:"number" maxLength:"64" doc:"a number, an Asterisk-style pattern (_+44NXXXXXXXXX) or a prefix (+4420*)"`
}

type numberOut struct {
	Body service.NumberView
}

// registerDialplans adds dial plans uploaded through the API, with every
// version kept, and the numbers that route to them.
func (s *Server) registerDialplans() {
	huma.Register(s.api, op("list-dialplans", http.MethodGet, "/dialplans", "Every dial plan, the file's and the uploaded ones (administrators)", http.StatusOK, false, "dialplans"),
		func(ctx context.Context, _ *struct{}) (*plansOut, error) {
			list, err := s.svc.Dialplans(ctx, actorOf(ctx))
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := &plansOut{}
			out.Body.Dialplans = list
			return out, nil
		})
	huma.Register(s.api, op("get-dialplan", http.MethodGet, "/dialplans/{name}", "A dial plan, its versions and the one in force (administrators)", http.StatusOK, false, "dialplans"),
		func(ctx context.Context, in *planPath) (*planOut, error) {
			d, err := s.svc.Dialplan(ctx, actorOf(ctx), in.Name)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &planOut{Body: d}, nil
		})
	huma.Register(s.api, op("upload-dialplan", http.MethodPut, "/dialplans/{name}", "Upload a new version of a dial plan and put it in force; problems come back as acd check words them", http.StatusOK, false, "dialplans"),
		func(ctx context.Context, in *planUploadIn) (*planUploadOut, error) {
			v, err := s.svc.UploadDialplan(ctx, actorOf(ctx), in.Name, in.Body.YAML)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := &planUploadOut{}
			out.Body.Name, out.Body.Version = in.Name, v
			return out, nil
		})
	huma.Register(s.api, op("activate-dialplan", http.MethodPost, "/dialplans/{name}/activate", "Put a kept version of an uploaded dial plan back in force", http.StatusNoContent, false, "dialplans"),
		func(ctx context.Context, in *planActivateIn) (*struct{}, error) {
			if err := s.svc.ActivateDialplan(ctx, actorOf(ctx), in.Name, in.Body.Version); err != nil {
				return nil, s.fail(ctx, err)
			}
			return nil, nil
		})
	huma.Register(s.api, op("delete-dialplan", http.MethodDelete, "/dialplans/{name}", "Remove an uploaded dial plan (its versions are kept); 409 while a number routes to it", http.StatusNoContent, false, "dialplans"),
		func(ctx context.Context, in *planPath) (*struct{}, error) {
			if err := s.svc.DeleteDialplan(ctx, actorOf(ctx), in.Name); err != nil {
				return nil, s.fail(ctx, err)
			}
			return nil, nil
		})
	huma.Register(s.api, op("list-numbers", http.MethodGet, "/numbers", "Every number and the dial plan it routes to (administrators)", http.StatusOK, false, "dialplans"),
		func(ctx context.Context, _ *struct{}) (*numbersOut, error) {
			list, err := s.svc.Numbers(actorOf(ctx))
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := &numbersOut{}
			out.Body.Numbers = list
			return out, nil
		})
	huma.Register(s.api, op("route-number", http.MethodPut, "/numbers/{number}", "Route a number to a dial plan; 409 for the file's numbers", http.StatusOK, false, "dialplans"),
		func(ctx context.Context, in *numberIn) (*numberOut, error) {
			v, err := s.svc.RouteNumber(ctx, actorOf(ctx), in.Number, in.Body.Dialplan)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &numberOut{Body: v}, nil
		})
	huma.Register(s.api, op("unroute-number", http.MethodDelete, "/numbers/{number}", "Remove a number routed through the API", http.StatusNoContent, false, "dialplans"),
		func(ctx context.Context, in *numberPath) (*struct{}, error) {
			if err := s.svc.UnrouteNumber(ctx, actorOf(ctx), in.Number); err != nil {
				return nil, s.fail(ctx, err)
			}
			return nil, nil
		})
}
