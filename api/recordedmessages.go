package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/acdserver/acd/service"
)

// The upload's body is the audio file itself, read by the operation
// rather than by huma: its limit is the configuration's, which a reload
// changes, and a body over it is refused as a bad file (422), not as a
// bad request.
const uploadBodyKey ctxKey = 100

type recordedListOut struct {
	Body struct {
		Messages []service.RecordedMessageView `json:"recorded_messages"`
	}
}

type recordedUploadIn struct {
	Name string `query:"name" required:"true" maxLength:"64" doc:"the message's name: letters, digits, - and _; a new name makes a message, a name in use a new version of it"`
}

type recordedUploadOut struct {
	Body struct {
		Name string `json:"name"`
		service.RecordedVersionView
	}
}

type recordedPath struct {
	Name string `path:"name" maxLength:"64"`
}

type recordedAudioIn struct {
	Name    string `path:"name" maxLength:"64"`
	Version int    `query:"version" minimum:"0" doc:"a kept version; absent or 0: the one in force"`
}

type recordedAudioOut struct {
	ContentType  string `header:"Content-Type"`
	CacheControl string `header:"Cache-Control"`
	Version      int    `header:"X-Recorded-Message-Version"`
	Body         []byte
}

// registerRecorded adds the recorded messages dial plans play by name.
func (s *Server) registerRecorded() {
	huma.Register(s.api, op("list-recorded-messages", http.MethodGet, "/recorded-messages", "Every recorded message and its versions", http.StatusOK, false, "recorded messages"),
		func(ctx context.Context, _ *struct{}) (*recordedListOut, error) {
			list, err := s.svc.RecordedMessages(ctx, actorOf(ctx))
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			out := &recordedListOut{}
			out.Body.Messages = list
			return out, nil
		})

	upload := op("upload-recorded-message", http.MethodPost, "/recorded-messages", "Upload a WAV, MP3 or Ogg Vorbis file as a message's next version, in force at once; 422 names what is wrong with the file", http.StatusCreated, false, "recorded messages")
	upload.RequestBody = &huma.RequestBody{Required: true, Description: "the audio file, as it is (not a form); its format is read from its content",
		Content: map[string]*huma.MediaType{"application/octet-stream": {}, "audio/wav": {}, "audio/mpeg": {}, "audio/ogg": {}}}
	upload.Middlewares = huma.Middlewares{func(ctx huma.Context, next func(huma.Context)) {
		next(huma.WithValue(ctx, uploadBodyKey, ctx.BodyReader()))
	}}
	huma.Register(s.api, upload, func(ctx context.Context, in *recordedUploadIn) (*recordedUploadOut, error) {
		a := actorOf(ctx)
		release, err := s.svc.BeginRecordedUpload(a)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		defer release()
		data, err := s.readUpload(ctx)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		v, err := s.svc.UploadRecordedMessage(ctx, a, in.Name, data)
		if err != nil {
			return nil, s.fail(ctx, err)
		}
		out := &recordedUploadOut{}
		out.Body.Name, out.Body.RecordedVersionView = in.Name, v
		return out, nil
	})

	huma.Register(s.api, op("get-recorded-message-audio", http.MethodGet, "/recorded-messages/{name}/audio", "A message's version in force, or ?version=N, as 8 kHz 16-bit mono WAV", http.StatusOK, false, "recorded messages"),
		func(ctx context.Context, in *recordedAudioIn) (*recordedAudioOut, error) {
			wav, v, err := s.svc.RecordedMessageWAV(ctx, actorOf(ctx), in.Name, in.Version)
			if err != nil {
				return nil, s.fail(ctx, err)
			}
			return &recordedAudioOut{ContentType: "audio/wav", CacheControl: "no-store", Version: v, Body: wav}, nil
		})

	huma.Register(s.api, op("delete-recorded-message", http.MethodDelete, "/recorded-messages/{name}", "Delete a message and its versions; 409 naming the dial plans and queues that play it", http.StatusNoContent, false, "recorded messages"),
		func(ctx context.Context, in *recordedPath) (*struct{}, error) {
			if err := s.svc.DeleteRecordedMessage(ctx, actorOf(ctx), in.Name); err != nil {
				return nil, s.fail(ctx, err)
			}
			return nil, nil
		})
}

// readUpload reads the body up to the upload limit; one past it is
// refused before the rest is read.
func (s *Server) readUpload(ctx context.Context) ([]byte, error) {
	body, _ := ctx.Value(uploadBodyKey).(io.Reader)
	if body == nil {
		return nil, service.InvalidField("file", "no file: send the audio as the request body")
	}
	limit := s.svc.MaxRecordedUpload()
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	var mb *http.MaxBytesError
	if int64(len(data)) > limit || errors.As(err, &mb) {
		return nil, service.InvalidField("file", "too large: at most %s bytes (recorded_messages.max_seconds of 16-bit mono audio at 48 kHz)", strconv.FormatInt(limit, 10))
	}
	if err != nil {
		return nil, err
	}
	return data, nil
}
