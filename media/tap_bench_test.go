package media

import (
	"net/netip"
	"testing"
)

// chanTap does what a recording's tap does in the mixer: copies the
// period's two channels into a block and hands it to a bounded channel
// without waiting, dropping when full (recording.Tap).
type chanTap struct {
	blocks chan [2 * FrameSize]int16
	lost   int
}

func (t *chanTap) WriteFrame(f Frame) {
	var b [2 * FrameSize]int16
	for ch, p := range f.Parts[:min(2, len(f.Parts))] {
		for i, v := range p.PCM {
			b[2*i+ch] = v
		}
	}
	select {
	case t.blocks <- b:
	default:
		t.lost++
	}
}

// BenchmarkMixerPeriod is the mixer's work for one 20 ms period of a
// call with a supervisor listening (three members: the mixer runs
// either way), as the members' packets arrive and are decoded and the
// period mixed, with and without a recording's tap. Sending the mixed
// packets is left out: it is the same either way.
func BenchmarkMixerPeriod(b *testing.B) {
	for _, tapped := range []bool{false, true} {
		name := "untapped"
		if tapped {
			name = "tapped"
		}
		b.Run(name, func(b *testing.B) {
			e := testEngine(b, RawSendOff)
			c := NewConference()
			var ids []Member
			for i, mode := range []Mode{{}, {}, {Role: Listen}} {
				sock, err := ListenSocket(netip.MustParseAddrPort("127.0.0.1:0"))
				if err != nil {
					b.Fatal(err)
				}
				s := NewSession(e, SessionConfig{Socket: sock})
				b.Cleanup(s.Close)
				id, err := c.Add(s, mode)
				if err != nil {
					b.Fatal(i, err)
				}
				ids = append(ids, id)
			}
			tap := &chanTap{blocks: make(chan [2 * FrameSize]int16, 250)}
			done := make(chan struct{})
			go func() { // the recording's writer, draining
				defer close(done)
				for range tap.blocks {
				}
			}()
			if tapped {
				c.Tap(tap)
			}
			// Stop the mixer's own goroutine and drive its periods here.
			c.mu.Lock()
			mx := c.mixer
			c.mu.Unlock()
			close(mx.stop)
			<-mx.done
			var members []*member
			c.mu.Lock()
			for _, id := range ids {
				members = append(members, c.findLocked(id))
			}
			c.mu.Unlock()
			payload := make([]byte, FrameSize)
			for i := range payload {
				payload[i] = byte(i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				for _, m := range members {
					m.hear(PCMU, payload)
				}
				c.mixPeriod(mx)
			}
			b.StopTimer()
			close(tap.blocks)
			<-done
			c.mu.Lock()
			c.mixer = nil
			c.mu.Unlock()
		})
	}
}
