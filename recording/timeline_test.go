package recording

import (
	"bufio"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/zaf/g711"

	"github.com/acdserver/acd/media"
)

// phoneStream is one side of a simulated relayed call: a phone sending a
// 20 ms packet per period of its own clock, which runs drift off ours,
// with a click at every clickEvery of true time.
type phoneStream struct {
	member   media.Member
	codec    media.Codec
	drift    float64       // the phone's clock against ours: 30e-6 is 30 ppm slow
	jitter   time.Duration // each packet's delay varies by up to this, either way
	loss     float64       // the share of packets lost
	gap      [2]time.Duration
	switchAt time.Duration // a new SSRC and timestamp base from then on
	ssrc, ts uint32
	n        int // packets sent
}

const (
	simCall    = 60 * time.Minute
	clickEvery = 10 * time.Second
	clickAt    = 5 * time.Second // the first click
	netDelay   = 40 * time.Millisecond
)

// packet builds the side's next packet, or false when it is never sent
// (lost, or silence suppressed); sent is its true send time.
func (s *phoneStream) packet(rng *rand.Rand, base time.Time, p *media.TapPacket) (sent time.Duration, ok bool) {
	n := s.n
	s.n++
	sampleDur := float64(time.Second) / SampleRate * (1 + s.drift)
	sent = time.Duration(float64(n*media.FrameSize) * sampleDur)
	if s.switchAt > 0 && sent >= s.switchAt {
		s.switchAt, s.ssrc, s.ts = 0, s.ssrc+0x1111, s.ts+0x40000000 // the phone restarts its stream
	}
	if sent >= s.gap[0] && sent < s.gap[1] || rng.Float64() < s.loss {
		return sent, false
	}
	*p = media.TapPacket{Member: s.member, Codec: s.codec, PayloadType: uint8(s.codec), Sequence: uint16(n),
		Timestamp: s.ts + uint32(n*media.FrameSize), SSRC: s.ssrc, Len: media.FrameSize}
	for i := range media.FrameSize {
		j := n*media.FrameSize + i
		at := time.Duration(float64(j) * sampleDur)
		v := int16(0)
		if at >= clickAt && (at-clickAt)%clickEvery < 1*time.Millisecond {
			v = 16000
		}
		if s.codec == media.PCMA {
			p.Payload[i] = g711.EncodeAlawFrame(v)
		} else {
			p.Payload[i] = g711.EncodeUlawFrame(v)
		}
	}
	delay := netDelay
	if s.jitter > 0 {
		delay += time.Duration(rng.Int64N(int64(2*s.jitter))) - s.jitter
	}
	p.Arrival = base.Add(sent + delay)
	return sent, true
}

// TestWriterPlacesRelayedCall: an hour of a relayed call, fed in fast
// time — the customer in PCMU on a phone whose clock is 30 ppm slow, the
// agent in PCMA with 1 % loss, ±15 ms of jitter, a new SSRC halfway and
// 2 s of silence suppressed — comes out an hour long, and a click both
// sides make at the same instant every 10 s is within 20 ms on the left
// and the right throughout.
func TestWriterPlacesRelayedCall(t *testing.T) {
	if testing.Short() {
		t.Skip("an hour of audio")
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "r.wav")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	tap := w.Tap(1, 2)
	rng := rand.New(rand.NewPCG(1, 2))
	customer := &phoneStream{member: 1, codec: media.PCMU, drift: 30e-6, ssrc: 0x1000, ts: 0xfff00000}
	agent := &phoneStream{member: 2, codec: media.PCMA, jitter: 15 * time.Millisecond, loss: 0.01,
		gap: [2]time.Duration{1003 * time.Second, 1005 * time.Second}, switchAt: simCall / 2, ssrc: 0x2000, ts: 12345}
	base := time.Now()
	// A second of both sides at a time, by arrival, as the media loops
	// would hand them.
	var window []media.TapPacket
	for until := time.Second; until <= simCall; until += time.Second {
		window = window[:0]
		for _, s := range []*phoneStream{customer, agent} {
			for {
				var p media.TapPacket
				sent, ok := s.packet(rng, base, &p)
				if ok {
					window = append(window, p)
				}
				if sent >= until-media.FrameDuration {
					break
				}
			}
		}
		slices.SortFunc(window, func(a, b media.TapPacket) int { return a.Arrival.Compare(b.Arrival) })
		for i := range window {
			tap.WritePacket(&window[i])
			for w.queuedPackets() >= ringSize/2 {
				<-w.drained // as fast as the writer takes them, without dropping
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Lost() != 0 {
		t.Fatalf("%d periods lost", w.Lost())
	}
	left, right, samples := clicks(t, path)
	if d := time.Duration(samples) * time.Second / SampleRate; d < simCall-time.Second || d > simCall+time.Second {
		t.Fatalf("the file is %v long, the call %v", d, simCall)
	}
	matched, worst := 0, int64(0)
	for _, l := range left {
		i := slices.IndexFunc(right, func(r int64) bool { return r > l-SampleRate/2 && r < l+SampleRate/2 })
		if i < 0 {
			continue // the agent's click lost, or suppressed
		}
		matched++
		d := right[i] - l
		if abs64(d) > abs64(worst) {
			worst = d
		}
		if abs64(d) > SampleRate*20/1000 {
			t.Errorf("the click at %v on the left is %v off on the right", time.Duration(l)*time.Second/SampleRate, time.Duration(d)*time.Second/SampleRate)
		}
	}
	want := int(simCall/clickEvery) - 10
	if len(left) < int(simCall/clickEvery) || matched < want {
		t.Fatalf("%d clicks on the left, %d matched on the right; want %d and at least %d", len(left), matched, simCall/clickEvery, want)
	}
	t.Logf("%d clicks matched; the most the right was off the left: %v", matched, time.Duration(worst)*time.Second/SampleRate)
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// queuedPackets is how many packets the rings hold.
func (w *Writer) queuedPackets() int {
	n := 0
	for i := range w.sides {
		w.sides[i].mu.Lock()
		n += w.sides[i].size
		w.sides[i].mu.Unlock()
	}
	return n
}

// clicks reads a recording and gives the sample each click starts at,
// per channel, and the samples in all; a click is a sample louder than
// 8000, the next a second later at least.
func clicks(t *testing.T, path string) (left, right []int64, samples int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr [headerSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil || string(hdr[:4]) != "RIFF" {
		t.Fatalf("%s is not a WAV file: %v", path, err)
	}
	st, _ := f.Stat()
	if data := int64(binary.LittleEndian.Uint32(hdr[40:])); data != st.Size()-headerSize {
		t.Fatalf("header says %d bytes of audio, the file holds %d", data, st.Size()-headerSize)
	}
	var s [4]byte
	for ; ; samples++ {
		if _, err := io.ReadFull(r, s[:]); err != nil {
			break
		}
		for ch, list := range []*[]int64{&left, &right} {
			v := int16(binary.LittleEndian.Uint16(s[2*ch:]))
			if (v > 8000 || v < -8000) && (len(*list) == 0 || samples-(*list)[len(*list)-1] > SampleRate) {
				*list = append(*list, samples)
			}
		}
	}
	return left, right, samples
}
