package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/acdserver/acd/service"
)

type recordingsIn struct {
	Interaction string `query:"interaction" maxLength:"255" doc:"the contact (interaction id, as the call's events carry it)"`
	Queue       string `query:"queue" maxLength:"64"`
	Agent       string `query:"agent" maxLength:"64"`
	From        string `query:"from" doc:"started at or after, RFC 3339"`
	To          string `query:"to" doc:"started before, RFC 3339"`
	Limit       int    `query:"limit" minimum:"0" maximum:"1000" doc:"at most this many, newest first (default 1000)"`
}

type recordingsOut struct {
	Body struct {
		Recordings []service.Recording `json:"recordings"`
	}
}

type recordingOut struct {
	Body service.Recording
}

type agentRecordingIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Action string `json:"action" enum:"start,stop,pause,resume"`
	}
}

type agentRecordingOut struct {
	Body service.RecordingState
}

func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, service.InvalidField(field, "want a time like 2026-12-07T09:00:00Z")
	}
	return t, nil
}

func (s *Server) registerRecordings() {
	huma.Register(s.api, op("list-recordings", http.MethodGet, "/recordings", "Call recordings, newest first: all (administrators), a supervisor's queues', an agent's own calls' (granted recordings.view)", http.StatusOK, false, "recordings"),
		func(ctx context.Context, in *recordingsIn) (*recordingsOut, error) {
			from, err := parseTime("from", in.From)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			to, err := parseTime("to", in.To)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			list, err := s.svc.ListRecordings(ctx, actorOf(ctx), service.RecordingFilter{Interaction: in.Interaction, Queue: in.Queue,
				Agent: in.Agent, Since: from, Until: to, Limit: in.Limit})
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := &recordingsOut{}
			out.Body.Recordings = list
			return out, nil
		})
	huma.Register(s.api, op("get-recording", http.MethodGet, "/recordings/{id}", "One call recording", http.StatusOK, false, "recordings"),
		func(ctx context.Context, in *idPath) (*recordingOut, error) {
			r, err := s.svc.GetRecording(ctx, actorOf(ctx), in.ID)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &recordingOut{Body: r}, nil
		})
	huma.Register(s.api, op("delete-recording", http.MethodDelete, "/recordings/{id}", "Delete a call recording (administrators, supervisors granted recordings.delete)", http.StatusNoContent, false, "recordings"),
		func(ctx context.Context, in *idPath) (*struct{}, error) {
			if err := s.svc.DeleteRecording(ctx, actorOf(ctx), in.ID); err != nil {
				return nil, s.fail(ctx, err)
			}
			return nil, nil
		})
	huma.Register(s.api, op("get-agent-recording", http.MethodGet, "/agents/{id}/recording", "The recording of the call an agent is on", http.StatusOK, false, "agents", "recordings"),
		func(ctx context.Context, in *idPath) (*agentRecordingOut, error) {
			st, err := s.svc.AgentRecording(actorOf(ctx), in.ID)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &agentRecordingOut{Body: st}, nil
		})
	huma.Register(s.api, op("agent-recording-action", http.MethodPost, "/agents/{id}/recording", "Start, stop, pause or resume the recording of the call an agent is on, as its queue allows (the agent itself, supervisors, administrators)", http.StatusOK, false, "agents", "recordings"),
		func(ctx context.Context, in *agentRecordingIn) (*agentRecordingOut, error) {
			st, err := s.svc.AgentRecordingAction(actorOf(ctx), in.ID, in.Body.Action)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &agentRecordingOut{Body: st}, nil
		})
}

// RecordingAudioHandler serves a recording's WAV file, with Range
// requests (a player seeking), to whoever may hear it.
func RecordingAudioHandler(svc *service.Service, log *slog.Logger) http.Handler {
	log = orDiscard(log)
	return exportHandler(svc, log, func(w http.ResponseWriter, r *http.Request, a *service.Actor) {
		f, rec, err := svc.RecordingAudio(r.Context(), a, r.PathValue("id"))
		if err != nil {
			writeProblem(w, sourceError(r.Context(), log, a, "a recording", err))
			return
		}
		defer f.Close()
		w.Header().Set("Content-Type", "audio/wav")
		w.Header().Set("Content-Disposition", `attachment; filename="`+rec.ID+`.wav"`)
		http.ServeContent(w, r, "", rec.Ended, f)
	})
}
