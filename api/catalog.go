package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/acdserver/acd/service"
)

type catalogID struct {
	ID int64 `path:"id" minimum:"1"`
}

type pauseReasonsOut struct {
	Body struct {
		PauseReasons []service.PauseReason `json:"pause_reasons" doc:"in *52N order: the configuration file's in its order, then those made through the API, oldest first"`
	}
}

type pauseReasonOut struct {
	Body service.PauseReason
}

type pauseReasonCreateIn struct {
	Body struct {
		Name    string `json:"name" minLength:"1" maxLength:"255" doc:"1 to 255 Latin letters (accented or not), digits 0-9, spaces and punctuation, neither beginning nor ending with a space; unique without regard to case"`
		Enabled *bool  `json:"enabled,omitempty" doc:"absent: enabled"`
	}
}

type pauseReasonPatchIn struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Name    *string `json:"name,omitempty" minLength:"1" maxLength:"255" doc:"a new name, as for a new reason; the configuration file's reasons are renamed in the file"`
		Enabled *bool   `json:"enabled,omitempty" doc:"false: agents may no longer pause with it (*52N renumbers the rest)"`
	}
}

type tagsOut struct {
	Body struct {
		Tags []service.Tag `json:"tags"`
	}
}

type tagOut struct {
	Body service.Tag
}

type tagCreateIn struct {
	Body struct {
		Name    string `json:"name" minLength:"1" maxLength:"255" doc:"1 to 255 Latin letters (accented or not), digits 0-9, spaces and punctuation, neither beginning nor ending with a space; unique without regard to case"`
		Enabled *bool  `json:"enabled,omitempty" doc:"absent: enabled; only those who manage tags create disabled ones"`
	}
}

type tagPatchIn struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Name    *string `json:"name,omitempty" minLength:"1" maxLength:"255" doc:"a new name, as for a new tag"`
		Enabled *bool   `json:"enabled,omitempty"`
	}
}

type cannedListIn struct {
	Owner string `query:"owner" maxLength:"64" doc:"that user's private messages only: administrators for anyone, others for themselves"`
}

type cannedListOut struct {
	Body struct {
		CannedMessages []service.CannedMessage `json:"canned_messages" doc:"by shortcut"`
	}
}

type cannedOut struct {
	Body service.CannedMessage
}

type cannedCreateIn struct {
	Body struct {
		Shortcut   string `json:"shortcut" minLength:"2" maxLength:"32" doc:"/ and a word of Latin letters, digits, - _ or ., as /hello; no two messages in one user's list (its own and the public ones) share one, without regard to case"`
		Text       string `json:"text" minLength:"1" maxLength:"2000" doc:"any script; line breaks and tabs, no other control character"`
		Visibility string `json:"visibility,omitempty" enum:"private,public" doc:"absent: private, the caller's own"`
		Active     *bool  `json:"active,omitempty" doc:"absent: active"`
	}
}

type cannedPatchIn struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Shortcut   *string `json:"shortcut,omitempty" minLength:"2" maxLength:"32" doc:"as for a new message"`
		Text       *string `json:"text,omitempty" minLength:"1" maxLength:"2000"`
		Visibility *string `json:"visibility,omitempty" enum:"private,public" doc:"made public, a message is no one's; made private, the caller's"`
		Active     *bool   `json:"active,omitempty"`
	}
}

// catalogFail is fail with the field a conflict is about named, as a
// duplicate name is: the client knows which field to change.
func (s *Server) catalogFail(ctx context.Context, err error) error {
	var se *service.Error
	if errors.As(err, &se) && se.Kind == service.Conflict && se.Field != "" {
		return huma.Error409Conflict(se.Msg, &huma.ErrorDetail{Location: "body." + se.Field, Message: se.Msg})
	}
	return s.fail(ctx, err)
}

// catalogOp is op for a catalogue's operation, with the refusals it may
// answer listed in the document.
func catalogOp(id, method, path, summary string, status int, tag string) huma.Operation {
	o := op(id, method, path, summary, status, false, tag)
	o.Errors = append(o.Errors, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity)
	return o
}

func (s *Server) registerCatalog() {
	s.registerPauseReasons()
	s.registerTags()
	s.registerCannedMessages()
}

func (s *Server) registerPauseReasons() {
	huma.Register(s.api, catalogOp("list-pause-reasons", http.MethodGet, "/pause-reasons", "Pause reasons in *52N order: all of them for administrators and supervisors who may view them, the enabled ones for everyone else", http.StatusOK, "pause reasons"),
		func(ctx context.Context, _ *struct{}) (*pauseReasonsOut, error) {
			list, err := s.svc.PauseReasons(ctx, actorOf(ctx))
			if err != nil {
				return nil, s.catalogFail(ctx, err)
			}
			out := &pauseReasonsOut{}
			out.Body.PauseReasons = list
			return out, nil
		})
	huma.Register(s.api, catalogOp("create-pause-reason", http.MethodPost, "/pause-reasons", "Add a pause reason, in force at once (administrators, supervisors granted pause_reasons.manage)", http.StatusCreated, "pause reasons"),
		func(ctx context.Context, in *pauseReasonCreateIn) (*pauseReasonOut, error) {
			r, err := s.svc.CreatePauseReason(ctx, actorOf(ctx), service.NewPauseReason{Name: in.Body.Name, Enabled: in.Body.Enabled})
			if err != nil {
				return nil, s.catalogFail(ctx, err)
			}
			return &pauseReasonOut{Body: r}, nil
		})
	huma.Register(s.api, catalogOp("get-pause-reason", http.MethodGet, "/pause-reasons/{id}", "One pause reason, as the list shows it", http.StatusOK, "pause reasons"),
		func(ctx context.Context, in *catalogID) (*pauseReasonOut, error) {
			r, err := s.svc.PauseReason(ctx, actorOf(ctx), in.ID)
			if err != nil {
				return nil, s.catalogFail(ctx, err)
			}
			return &pauseReasonOut{Body: r}, nil
		})
	huma.Register(s.api, catalogOp("update-pause-reason", http.MethodPatch, "/pause-reasons/{id}", "Rename, enable or disable a pause reason, in force at once; the configuration file's are only enabled or disabled (administrators, supervisors granted pause_reasons.manage)", http.StatusOK, "pause reasons"),
		func(ctx context.Context, in *pauseReasonPatchIn) (*pauseReasonOut, error) {
			r, err := s.svc.UpdatePauseReason(ctx, actorOf(ctx), in.ID, service.PauseReasonChange{Name: in.Body.Name, Enabled: in.Body.Enabled})
			if err != nil {
				return nil, s.catalogFail(ctx, err)
			}
			return &pauseReasonOut{Body: r}, nil
		})
	huma.Register(s.api, catalogOp("delete-pause-reason", http.MethodDelete, "/pause-reasons/{id}", "Delete a pause reason made through the API (administrators, supervisors granted pause_reasons.manage)", http.StatusNoContent, "pause reasons"),
		func(ctx context.Context, in *catalogID) (*struct{}, error) {
			if err := s.svc.DeletePauseReason(ctx, actorOf(ctx), in.ID); err != nil {
				return nil, s.catalogFail(ctx, err)
			}
			return nil, nil
		})
}

func (s *Server) registerTags() {
	huma.Register(s.api, catalogOp("list-tags", http.MethodGet, "/tags", "Tags, oldest first: all of them for those who manage tags, the enabled ones for everyone else", http.StatusOK, "tags"),
		func(ctx context.Context, _ *struct{}) (*tagsOut, error) {
			list, err := s.svc.Tags(ctx, actorOf(ctx))
			if err != nil {
				return nil, s.catalogFail(ctx, err)
			}
			out := &tagsOut{}
			out.Body.Tags = list
			return out, nil
		})
	huma.Register(s.api, catalogOp("create-tag", http.MethodPost, "/tags", "Add a tag (administrators, supervisors granted tags.manage, agents granted tags.create)", http.StatusCreated, "tags"),
		func(ctx context.Context, in *tagCreateIn) (*tagOut, error) {
			t, err := s.svc.CreateTag(ctx, actorOf(ctx), service.NewTag{Name: in.Body.Name, Enabled: in.Body.Enabled})
			if err != nil {
				return nil, s.catalogFail(ctx, err)
			}
			return &tagOut{Body: t}, nil
		})
	huma.Register(s.api, catalogOp("get-tag", http.MethodGet, "/tags/{id}", "One tag, as the list shows it", http.StatusOK, "tags"),
		func(ctx context.Context, in *catalogID) (*tagOut, error) {
			t, err := s.svc.Tag(ctx, actorOf(ctx), in.ID)
			if err != nil {
				return nil, s.catalogFail(ctx, err)
			}
			return &tagOut{Body: t}, nil
		})
	huma.Register(s.api, catalogOp("update-tag", http.MethodPatch, "/tags/{id}", "Rename, enable or disable a tag (administrators, supervisors granted tags.manage)", http.StatusOK, "tags"),
		func(ctx context.Context, in *tagPatchIn) (*tagOut, error) {
			t, err := s.svc.UpdateTag(ctx, actorOf(ctx), in.ID, service.TagChange{Name: in.Body.Name, Enabled: in.Body.Enabled})
			if err != nil {
				return nil, s.catalogFail(ctx, err)
			}
			return &tagOut{Body: t}, nil
		})
	huma.Register(s.api, catalogOp("delete-tag", http.MethodDelete, "/tags/{id}", "Delete a tag (administrators, supervisors granted tags.manage)", http.StatusNoContent, "tags"),
		func(ctx context.Context, in *catalogID) (*struct{}, error) {
			if err := s.svc.DeleteTag(ctx, actorOf(ctx), in.ID); err != nil {
				return nil, s.catalogFail(ctx, err)
			}
			return nil, nil
		})
}

func (s *Server) registerCannedMessages() {
	huma.Register(s.api, catalogOp("list-canned-messages", http.MethodGet, "/canned-messages", "Canned messages the caller may use or manage: its own private ones and the public ones", http.StatusOK, "canned messages"),
		func(ctx context.Context, in *cannedListIn) (*cannedListOut, error) {
			list, err := s.svc.CannedMessages(ctx, actorOf(ctx), in.Owner)
			if err != nil {
				return nil, s.catalogFail(ctx, err)
			}
			out := &cannedListOut{}
			out.Body.CannedMessages = list
			return out, nil
		})
	huma.Register(s.api, catalogOp("create-canned-message", http.MethodPost, "/canned-messages", "Add a canned message: a private one (the caller's own) by anyone, a public one by administrators and those granted canned_messages.public.manage", http.StatusCreated, "canned messages"),
		func(ctx context.Context, in *cannedCreateIn) (*cannedOut, error) {
			b := in.Body
			m, err := s.svc.CreateCannedMessage(ctx, actorOf(ctx), service.NewCannedMessage{Shortcut: b.Shortcut, Text: b.Text, Visibility: b.Visibility, Active: b.Active})
			if err != nil {
				return nil, s.catalogFail(ctx, err)
			}
			return &cannedOut{Body: m}, nil
		})
	huma.Register(s.api, catalogOp("get-canned-message", http.MethodGet, "/canned-messages/{id}", "One canned message the caller may see; another user's private one is 404", http.StatusOK, "canned messages"),
		func(ctx context.Context, in *catalogID) (*cannedOut, error) {
			m, err := s.svc.CannedMessage(ctx, actorOf(ctx), in.ID)
			if err != nil {
				return nil, s.catalogFail(ctx, err)
			}
			return &cannedOut{Body: m}, nil
		})
	huma.Register(s.api, catalogOp("update-canned-message", http.MethodPatch, "/canned-messages/{id}", "Edit, activate, deactivate or change the visibility of a canned message: a private one by its owner, a public one by its managers", http.StatusOK, "canned messages"),
		func(ctx context.Context, in *cannedPatchIn) (*cannedOut, error) {
			b := in.Body
			m, err := s.svc.UpdateCannedMessage(ctx, actorOf(ctx), in.ID, service.CannedMessageChange{Shortcut: b.Shortcut, Text: b.Text, Visibility: b.Visibility, Active: b.Active})
			if err != nil {
				return nil, s.catalogFail(ctx, err)
			}
			return &cannedOut{Body: m}, nil
		})
	huma.Register(s.api, catalogOp("delete-canned-message", http.MethodDelete, "/canned-messages/{id}", "Delete a canned message, by those who may edit it", http.StatusNoContent, "canned messages"),
		func(ctx context.Context, in *catalogID) (*struct{}, error) {
			if err := s.svc.DeleteCannedMessage(ctx, actorOf(ctx), in.ID); err != nil {
				return nil, s.catalogFail(ctx, err)
			}
			return nil, nil
		})
}
