// Command rtpstat receives RTP on one UDP port for a while and reports, per
// stream (SSRC), how evenly packets arrived and how many were lost. The
// load scenarios point every caller's SDP at it, since SIPp does not
// analyse the RTP it receives.
//
// Gaps are taken from the kernel's receive timestamps, so they are the
// spacing at arrival, not when rtpstat got the CPU (it shares the cores
// with the server). By default it drains its socket every millisecond
// rather than sleeping in recvmsg: on loopback the sender's system call
// delivers each packet and pays for waking a sleeping receiver, a cost a
// server sending to phones on a network does not have (see
// docs/PERFORMANCE.md for both figures).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/pion/rtp"
)

type stream struct {
	last      time.Time
	firstSeq  uint16
	maxSeq    uint32 // extended
	received  int
	started   bool
	cycles    uint32
	lastSeq16 uint16
}

// Report is what rtpstat prints, as one JSON object.
type Report struct {
	Streams   int     `json:"streams"`
	Packets   int     `json:"packets"`
	Lost      int     `json:"lost"`
	GapP50ms  float64 `json:"gap_p50_ms"`
	GapP99ms  float64 `json:"gap_p99_ms"`
	GapMaxms  float64 `json:"gap_max_ms"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"packets_per_second"`
}

func main() {
	addr := flag.String("listen", "127.0.0.1:4000", "UDP address to receive on")
	wait := flag.Duration("wait", 0, "ignore packets for this long first (ramp-up)")
	window := flag.Duration("for", 10*time.Second, "how long to measure")
	poll := flag.Duration("poll", time.Millisecond, "drain the socket this often; 0 blocks in recvmsg instead")
	flag.Parse()
	rx, err := listen(mustAddr(*addr), *poll == 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rtpstat:", err)
		os.Exit(1)
	}
	defer rx.close()
	// Gaps in 0.1 ms buckets up to 1 s.
	hist := make([]int, 10001)
	streams := map[uint32]*stream{}
	start := time.Now().Add(*wait)
	end := start.Add(*window)
	var h rtp.Header
	packets := 0
	for {
		buf, at, ok := rx.next(*poll)
		if time.Now().After(end) {
			break
		}
		if !ok || at.Before(start) {
			continue
		}
		if _, err := h.Unmarshal(buf); err != nil {
			continue
		}
		packets++
		s := streams[h.SSRC]
		if s == nil {
			s = &stream{}
			streams[h.SSRC] = s
		}
		if s.started {
			gap := at.Sub(s.last)
			b := int(gap / (100 * time.Microsecond))
			if b >= len(hist) {
				b = len(hist) - 1
			}
			if b < 0 {
				b = 0
			}
			hist[b]++
			if h.SequenceNumber < s.lastSeq16 && s.lastSeq16-h.SequenceNumber > 0x8000 {
				s.cycles++
			}
		} else {
			s.firstSeq, s.started = h.SequenceNumber, true
		}
		s.lastSeq16 = h.SequenceNumber
		ext := s.cycles<<16 | uint32(h.SequenceNumber)
		if ext > s.maxSeq {
			s.maxSeq = ext
		}
		s.last = at
		s.received++
	}
	r := Report{Streams: len(streams), Packets: packets, Seconds: window.Seconds()}
	for _, s := range streams {
		expected := int(s.maxSeq-uint32(s.firstSeq)) + 1
		if lost := expected - s.received; lost > 0 {
			r.Lost += lost
		}
	}
	r.PerSecond = float64(packets) / r.Seconds
	r.GapP50ms, r.GapP99ms, r.GapMaxms = quantile(hist, 0.5), quantile(hist, 0.99), quantile(hist, 1)
	_ = json.NewEncoder(os.Stdout).Encode(r)
}

func quantile(hist []int, q float64) float64 {
	total := 0
	for _, c := range hist {
		total += c
	}
	if total == 0 {
		return 0
	}
	want := int(q * float64(total))
	if want >= total {
		want = total - 1
	}
	seen := 0
	for i, c := range hist {
		seen += c
		if seen > want {
			return float64(i) / 10
		}
	}
	return float64(len(hist)-1) / 10
}

func mustAddr(s string) netip.AddrPort {
	a, err := net.ResolveUDPAddr("udp", s)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rtpstat:", err)
		os.Exit(2)
	}
	return a.AddrPort()
}
