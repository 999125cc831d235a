package server

import (
	"context"
	"time"

	"github.com/acdserver/acd/config"
	"github.com/acdserver/acd/recording"
	"github.com/acdserver/acd/store"
)

// retentionEvery is how often recordings past their retention are looked
// for.
const retentionEvery = time.Hour

// startRecordings builds the recorder over the data directory's
// recordings, repairs the files a server killed mid-call left open, hands
// the recorder to the flows and the service, and starts deleting the
// recordings past their retention. The recorder stops (closing the files
// of calls still going) once the distributor has.
func (s *Server) startRecordings() error {
	index, err := store.OpenRecordings(s.events)
	if err != nil {
		return err
	}
	rec := recording.New(recording.Config{Dir: s.cfg.Server.DataDir, Index: index, Events: s.events, Log: s.log,
		Mode: func(queue string) config.RecordingMode {
			if q := s.running().Queues[queue]; q != nil {
				return q.Recording.Mode()
			}
			return config.RecordNever
		}})
	if err := rec.Recover(s.life); err != nil {
		return err
	}
	rec.SetCalls(s.flows)
	s.recorder.Store(rec)
	s.flows.SetRecorder(rec)
	s.svc.SetRecordings(recordings{rec, index})
	ctx, cancel := context.WithCancel(s.life)
	done := make(chan struct{})
	go func() {
		defer close(done)
		rec.Retain(ctx, func() time.Duration { return s.running().Recordings.RetentionOf() }, retentionEvery)
	}()
	s.onStop(func() {
		cancel()
		<-done
		rec.Close()
	})
	return nil
}

// recordings is the recorder with its index, as the service reads them.
type recordings struct {
	*recording.Recorder
	*store.Recordings
}
