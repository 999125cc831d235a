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

// entryOut is one entry of a catalogue: a pause reason, a tag or a
// canned message.
type entryOut[T any] struct {
	Body T
}

// entry answers with one entry, or with the service's refusal.
func entry[T any](e T, err error) (*entryOut[T], error) { return &entryOut[T]{Body: e}, err }

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

// catalogRoute registers one operation of a catalogue: call answers it
// for the signed-in actor, and its refusals are answered by catalogFail.
func catalogRoute[I, O any](s *Server, o huma.Operation, call func(ctx context.Context, a *service.Actor, in *I) (*O, error)) {
	huma.Register(s.api, o, func(ctx context.Context, in *I) (*O, error) {
		out, err := call(ctx, actorOf(ctx), in)
		if err != nil {
			return nil, s.catalogFail(ctx, err)
		}
		return out, nil
	})
}

// deleted is the answer of a deletion: 204, no body.
func deleted(err error) (*struct{}, error) { return nil, err }

func (s *Server) registerCatalog() {
	s.registerPauseReasons()
	s.registerTags()
	s.registerCannedMessages()
}

func (s *Server) registerPauseReasons() {
	catalogRoute(s, catalogOp("list-pause-reasons", http.MethodGet, "/pause-reasons", "Pause reasons in *52N order: all of them for administrators and supervisors who may view them, the enabled ones for everyone else", http.StatusOK, "pause reasons"),
		func(ctx context.Context, a *service.Actor, _ *struct{}) (*pauseReasonsOut, error) {
			out := &pauseReasonsOut{}
			var err error
			out.Body.PauseReasons, err = s.svc.PauseReasons(ctx, a)
			return out, err
		})
	catalogRoute(s, catalogOp("create-pause-reason", http.MethodPost, "/pause-reasons", "Add a pause reason, in force at once (administrators, supervisors granted pause_reasons.manage)", http.StatusCreated, "pause reasons"),
		func(ctx context.Context, a *service.Actor, in *pauseReasonCreateIn) (*entryOut[service.PauseReason], error) {
			return entry(s.svc.CreatePauseReason(ctx, a, service.NewPauseReason{Name: in.Body.Name, Enabled: in.Body.Enabled}))
		})
	catalogRoute(s, catalogOp("get-pause-reason", http.MethodGet, "/pause-reasons/{id}", "One pause reason, as the list shows it", http.StatusOK, "pause reasons"),
		func(ctx context.Context, a *service.Actor, in *catalogID) (*entryOut[service.PauseReason], error) {
			return entry(s.svc.PauseReason(ctx, a, in.ID))
		})
	catalogRoute(s, catalogOp("update-pause-reason", http.MethodPatch, "/pause-reasons/{id}", "Rename, enable or disable a pause reason, in force at once; the configuration file's are only enabled or disabled (administrators, supervisors granted pause_reasons.manage)", http.StatusOK, "pause reasons"),
		func(ctx context.Context, a *service.Actor, in *pauseReasonPatchIn) (*entryOut[service.PauseReason], error) {
			return entry(s.svc.UpdatePauseReason(ctx, a, in.ID, service.PauseReasonChange{Name: in.Body.Name, Enabled: in.Body.Enabled}))
		})
	catalogRoute(s, catalogOp("delete-pause-reason", http.MethodDelete, "/pause-reasons/{id}", "Delete a pause reason made through the API (administrators, supervisors granted pause_reasons.manage)", http.StatusNoContent, "pause reasons"),
		func(ctx context.Context, a *service.Actor, in *catalogID) (*struct{}, error) {
			return deleted(s.svc.DeletePauseReason(ctx, a, in.ID))
		})
}

func (s *Server) registerTags() {
	catalogRoute(s, catalogOp("list-tags", http.MethodGet, "/tags", "Tags, oldest first: all of them for those who manage tags, the enabled ones for everyone else", http.StatusOK, "tags"),
		func(ctx context.Context, a *service.Actor, _ *struct{}) (*tagsOut, error) {
			out := &tagsOut{}
			var err error
			out.Body.Tags, err = s.svc.Tags(ctx, a)
			return out, err
		})
	catalogRoute(s, catalogOp("create-tag", http.MethodPost, "/tags", "Add a tag (administrators, supervisors granted tags.manage, agents granted tags.create)", http.StatusCreated, "tags"),
		func(ctx context.Context, a *service.Actor, in *tagCreateIn) (*entryOut[service.Tag], error) {
			return entry(s.svc.CreateTag(ctx, a, service.NewTag{Name: in.Body.Name, Enabled: in.Body.Enabled}))
		})
	catalogRoute(s, catalogOp("get-tag", http.MethodGet, "/tags/{id}", "One tag, as the list shows it", http.StatusOK, "tags"),
		func(ctx context.Context, a *service.Actor, in *catalogID) (*entryOut[service.Tag], error) {
			return entry(s.svc.Tag(ctx, a, in.ID))
		})
	catalogRoute(s, catalogOp("update-tag", http.MethodPatch, "/tags/{id}", "Rename, enable or disable a tag (administrators, supervisors granted tags.manage)", http.StatusOK, "tags"),
		func(ctx context.Context, a *service.Actor, in *tagPatchIn) (*entryOut[service.Tag], error) {
			return entry(s.svc.UpdateTag(ctx, a, in.ID, service.TagChange{Name: in.Body.Name, Enabled: in.Body.Enabled}))
		})
	catalogRoute(s, catalogOp("delete-tag", http.MethodDelete, "/tags/{id}", "Delete a tag (administrators, supervisors granted tags.manage)", http.StatusNoContent, "tags"),
		func(ctx context.Context, a *service.Actor, in *catalogID) (*struct{}, error) {
			return deleted(s.svc.DeleteTag(ctx, a, in.ID))
		})
}

func (s *Server) registerCannedMessages() {
	catalogRoute(s, catalogOp("list-canned-messages", http.MethodGet, "/canned-messages", "Canned messages the caller may use or manage: its own private ones and the public ones", http.StatusOK, "canned messages"),
		func(ctx context.Context, a *service.Actor, in *cannedListIn) (*cannedListOut, error) {
			out := &cannedListOut{}
			var err error
			out.Body.CannedMessages, err = s.svc.CannedMessages(ctx, a, in.Owner)
			return out, err
		})
	catalogRoute(s, catalogOp("create-canned-message", http.MethodPost, "/canned-messages", "Add a canned message: a private one (the caller's own) by anyone, a public one by administrators and those granted canned_messages.public.manage", http.StatusCreated, "canned messages"),
		func(ctx context.Context, a *service.Actor, in *cannedCreateIn) (*entryOut[service.CannedMessage], error) {
			b := in.Body
			return entry(s.svc.CreateCannedMessage(ctx, a, service.NewCannedMessage{Shortcut: b.Shortcut, Text: b.Text, Visibility: b.Visibility, Active: b.Active}))
		})
	catalogRoute(s, catalogOp("get-canned-message", http.MethodGet, "/canned-messages/{id}", "One canned message the caller may see; another user's private one is 404", http.StatusOK, "canned messages"),
		func(ctx context.Context, a *service.Actor, in *catalogID) (*entryOut[service.CannedMessage], error) {
			return entry(s.svc.CannedMessage(ctx, a, in.ID))
		})
	catalogRoute(s, catalogOp("update-canned-message", http.MethodPatch, "/canned-messages/{id}", "Edit, activate, deactivate or change the visibility of a canned message: a private one by its owner, a public one by its managers", http.StatusOK, "canned messages"),
		func(ctx context.Context, a *service.Actor, in *cannedPatchIn) (*entryOut[service.CannedMessage], error) {
			b := in.Body
			return entry(s.svc.UpdateCannedMessage(ctx, a, in.ID, service.CannedMessageChange{Shortcut: b.Shortcut, Text: b.Text, Visibility: b.Visibility, Active: b.Active}))
		})
	catalogRoute(s, catalogOp("delete-canned-message", http.MethodDelete, "/canned-messages/{id}", "Delete a canned message, by those who may edit it", http.StatusNoContent, "canned messages"),
		func(ctx context.Context, a *service.Actor, in *catalogID) (*struct{}, error) {
			return deleted(s.svc.DeleteCannedMessage(ctx, a, in.ID))
		})
}
