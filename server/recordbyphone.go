package server

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/acdserver/acd/media"
	"github.com/acdserver/acd/recorded"
	"github.com/acdserver/acd/service"
	"github.com/acdserver/acd/sip"
)

// recordCode records a message by phone: *97 followed by digits, which
// name the message (*9712 records the message named "12"). The caller
// hears a prompt and a beep, speaks, presses # (or reaches the longest
// message allowed), hears the recording back, and presses 1 to keep it as
// the message's next version or 2 to record again; anything else, or
// hanging up, keeps nothing.
const recordCode = "*97"

// reviewTimeout is how long the caller has to press 1 or 2 after the
// review prompt.
const reviewTimeout = 10 * time.Second

// beep is the tone after which the caller speaks: 400 ms at 1 kHz.
func beep() *media.Sound {
	pcm := make([]byte, 2*3200)
	for i := range 3200 {
		binary.LittleEndian.PutUint16(pcm[2*i:], uint16(int16(8000*math.Sin(2*math.Pi*1000*float64(i)/8000))))
	}
	return media.NewSoundPCM(pcm)
}

// recordByPhone runs one recording call for the phone's user.
func (s *Server) recordByPhone(ctx context.Context, c *sip.Call, p *Program, user, name string) {
	log := s.log.With("call_id", c.ID(), "agent", user, "message", name)
	actor, err := s.svc.PhoneRecorder(ctx, user)
	if err != nil {
		log.Info("recording a message by phone refused", "error", err)
		s.playThrough(ctx, c, p.sounds.Get("message-recording-not-allowed"))
		return
	}
	if !recorded.ValidName(name) || p.sounds.prompts.Has(name) {
		s.playThrough(ctx, c, p.sounds.Get("invalid-option"))
		return
	}
	beep := beep()
	max := s.running().RecordedMessages.MaxLength()
	for {
		if !s.playThrough(ctx, c, p.sounds.Get("record-message")) || !s.playThrough(ctx, c, beep) {
			return
		}
		log.Info("recording a message by phone")
		pcm, ok := s.capture(ctx, c, max)
		if !ok {
			log.Info("recording by phone ended: the caller hung up; nothing kept")
			return
		}
		log.Info("playing the recording back", "seconds", float64(len(pcm))/2/recorded.Rate)
		if len(pcm) >= 2*media.FrameSize && !s.playThrough(ctx, c, media.NewSoundPCM(pcm)) {
			return
		}
		dropKeys(c)
		log.Info("asking whether to keep the recording")
		key, ok := s.ask(ctx, c, p.sounds.Get("record-review"))
		switch {
		case !ok:
			return
		case key == '1':
			v, err := s.svc.RecordMessageByPhone(ctx, actor, name, pcm)
			var se *service.Error
			if errors.As(err, &se) {
				log.Info("recording by phone refused", "error", err)
				s.playThrough(ctx, c, p.sounds.Get("invalid-option"))
				return
			}
			if err != nil {
				log.Error("storing a message recorded by phone", "error", err)
				return
			}
			log.Info("message recorded by phone saved", "version", v.Version)
			s.playThrough(ctx, c, p.sounds.Get("message-saved"))
			return
		case key == '2':
			continue
		default:
			log.Info("recording by phone ended without keeping it", "key", string(key))
			return
		}
	}
}

// playThrough plays a sound to its end, keys pressed meanwhile ignored;
// false when the call ends first.
func (s *Server) playThrough(ctx context.Context, c *sip.Call, snd *media.Sound) bool {
	select {
	case <-c.Play(snd, false):
		return true
	case <-c.Done():
	case <-ctx.Done():
	}
	return false
}

// ask plays a prompt and waits for a key, during it or for reviewTimeout
// after; key 0 when none came.
func (s *Server) ask(ctx context.Context, c *sip.Call, prompt *media.Sound) (rune, bool) {
	done := c.Play(prompt, false)
	var timeout <-chan time.Time
	for {
		select {
		case key := <-c.Digits():
			return key, true
		case <-done:
			done, timeout = nil, time.After(reviewTimeout)
		case <-timeout:
			return 0, true
		case <-c.Done():
			return 0, false
		case <-ctx.Done():
			return 0, false
		}
	}
}

// dropKeys drops keys pressed before the question they would answer.
func dropKeys(c *sip.Call) {
	for {
		select {
		case <-c.Digits():
		default:
			return
		}
	}
}

// capture records what the caller says, from a conference of the call
// alone whose tap takes its decoded frames, until # or max.
func (s *Server) capture(ctx context.Context, c *sip.Call, max time.Duration) ([]byte, bool) {
	dropKeys(c)
	tape := &tape{max: int(max.Seconds()*recorded.Rate) * 2, full: make(chan struct{})}
	conf := s.sip.Conference(nil)
	defer conf.End()
	conf.Tap(tape)
	if _, err := conf.Add(c, media.Mode{}); err != nil {
		s.log.Warn("recording by phone: joining the call to its recorder", "call_id", c.ID(), "error", err)
		return nil, false
	}
	for {
		select {
		case key := <-c.Digits():
			if key != '#' {
				continue
			}
		case <-tape.full:
		case <-c.Done():
			return nil, false
		case <-ctx.Done():
			return nil, false
		}
		conf.End() // the tap is not called again once End returns
		return tape.recorded(), true
	}
}

// tape keeps the frames a conference's tap gives, up to max bytes.
type tape struct {
	max  int
	full chan struct{} // closed once max is reached

	mu  sync.Mutex // guards pcm: the mixer writes, the call reads at the end
	pcm []byte
}

// WriteFrame is called by the conference's mixer every 20 ms: it only
// appends, in memory.
func (t *tape) WriteFrame(f media.Frame) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.pcm) >= t.max {
		return
	}
	for _, part := range f.Parts {
		for _, v := range part.PCM {
			t.pcm = binary.LittleEndian.AppendUint16(t.pcm, uint16(v))
		}
	}
	if len(t.pcm) >= t.max {
		t.pcm = t.pcm[:t.max]
		close(t.full)
	}
}

func (t *tape) recorded() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pcm
}
