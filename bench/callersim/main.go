// Command callersim plays many callers for the bridged-calls load
// scenario, in place of SIPp: it places calls to a number at a given rate,
// each with its own RTP socket, streams 20 ms PCMU frames of a tone on
// every answered call, and counts the gaps between the packets that come
// back. SIPp falls short of 50 packets a second a call on a busy
// two-core machine and does not say by how much; here a few sender
// goroutines, one per core and all woken by one ticker, write every
// call's packet each 20 ms and count what they sent.
// Each call keeps its own 1 ms phase within the 20 ms, as phones that
// did not start together do: all calls' packets in one burst would have
// the server and the agents read a thousand sockets at once and then
// idle, a load no real set of phones makes.
//
// SIGUSR1 opens the measurement window, SIGUSR2 closes it and prints
//
//	gaps N p50_ms X p99_ms X max_ms X
//	sent N per_s X
//	calls answered N up N
//
// and, on exit (SIGTERM or -for elapsed), "answered N up N failed N".
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/bench/internal/gaps"
	"github.com/acdserver/acd/media"
)

// frame is 20 ms of 8 kHz µ-law: the payload of every packet sent.
// A call's packets go out in one of slots phases of slot each.
const (
	frame    = 160
	interval = 20 * time.Millisecond
	rtpHdr   = 12
	slot     = time.Millisecond
	slots    = int(interval / slot)
)

type config struct {
	server, number, password string
	count                    int
	rate                     float64
	hold, lifetime           time.Duration
	tone                     []byte
	senders                  int
	read                     bool
}

func main() {
	var c config
	flag.StringVar(&c.server, "server", "127.0.0.1:5090", "the ACD's SIP address")
	flag.StringVar(&c.number, "number", "600", "the number dialled")
	flag.IntVar(&c.count, "count", 10, "calls to place")
	flag.Float64Var(&c.rate, "rate", 10, "calls placed a second")
	flag.DurationVar(&c.hold, "hold", time.Minute, "each call hangs up this long after it is answered")
	flag.DurationVar(&c.lifetime, "for", 2*time.Minute, "stop after this long")
	flag.StringVar(&c.password, "password", "", "digest password, if the server challenges the INVITE")
	tone := flag.String("tone", "", "raw µ-law file streamed in a loop on every call (agentsim -write-tone)")
	flag.IntVar(&c.senders, "senders", runtime.GOMAXPROCS(0), "goroutines writing the RTP")
	flag.BoolVar(&c.read, "read", true, "read the audio relayed back and count its gaps (SIPp's rtp_stream does not read it)")
	flag.Parse()
	var err error
	if c.tone, err = os.ReadFile(*tone); err != nil || len(c.tone) < frame {
		fmt.Fprintln(os.Stderr, "callersim: -tone: a µ-law file of at least 20 ms is needed:", err)
		os.Exit(2)
	}
	c.senders = max(c.senders, 1)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.lifetime)
	defer cancel()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "callersim:", err)
		os.Exit(1)
	}
}

// stream is one answered call's RTP: its socket, where the server wants
// the audio, and the sequence state, touched only by its shard's sender.
type stream struct {
	conn *net.UDPConn
	to   netip.AddrPort
	ssrc uint32
	seq  uint16
	ts   uint32
	off  int
}

// shard is the streams one sender goroutine writes.
type shard struct {
	tick chan struct{}
	mu   sync.Mutex // guards streams: added and removed by call goroutines, walked by the sender
	// streams by phase, then by socket, so that a call that ends removes
	// its own
	streams [slots]map[*net.UDPConn]*stream
}

type sim struct {
	cfg     config
	dialogs *sipgo.DialogUA
	shards  []*shard
	start   time.Time // phase 0 of the senders' slots
	gaps    gaps.Counts
	mu      sync.Mutex // guards byCallID: each call adds and removes its own
	// byCallID finds the dialog of a BYE from the server
	byCallID map[string]*sipgo.DialogClientSession
	// sent counts the RTP packets written; answered, up and failed the calls
	sent, answered, up, failed atomic.Int64
}

func run(ctx context.Context, cfg config) error {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return fmt.Errorf("opening the SIP socket: %w", err)
	}
	_ = conn.SetReadBuffer(8 << 20)
	quiet := slog.New(slog.DiscardHandler)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("callersim"), sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		return err
	}
	defer ua.Close()
	srv, _ := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	client, _ := sipgo.NewClient(ua, sipgo.WithClientLogger(quiet), sipgo.WithClientConnectionAddr(conn.LocalAddr().String()))
	port := conn.LocalAddr().(*net.UDPAddr).Port
	s := &sim{cfg: cfg, byCallID: map[string]*sipgo.DialogClientSession{}, dialogs: &sipgo.DialogUA{Client: client,
		ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "caller", Host: "127.0.0.1", Port: port}}}}
	// the server's BYEs (none in this scenario unless it ends a call)
	// are answered by the dialogs; anything else out of dialog gets 481
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		s.mu.Lock()
		d := s.byCallID[req.CallID().Value()]
		s.mu.Unlock()
		if d == nil || d.ReadBye(req, tx) != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No Dialog", nil))
		}
	})
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { _ = srv.ServeUDP(conn) })
	defer conn.Close()
	for {
		if c, err := ua.TransportLayer().GetConnection("udp", conn.LocalAddr().String()); err == nil && c != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}

	// the senders and their ticker stop with the scenario
	s.start = time.Now()
	sendCtx, stopSending := context.WithCancel(context.Background())
	defer stopSending()
	for range cfg.senders {
		sh := &shard{tick: make(chan struct{}, 1)}
		for i := range sh.streams {
			sh.streams[i] = map[*net.UDPConn]*stream{}
		}
		s.shards = append(s.shards, sh)
		wg.Go(func() { s.send(sendCtx, sh) })
	}
	wg.Go(func() { s.tick(sendCtx) })

	var calls sync.WaitGroup
	wg.Go(func() {
		defer calls.Wait()
		every := time.Duration(float64(time.Second) / max(cfg.rate, 0.001))
		t := time.NewTicker(every)
		defer t.Stop()
		for i := range cfg.count {
			calls.Go(func() { s.call(ctx, i) })
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})

	var sent0 int64
	var t0 time.Time
	s.gaps.Window(ctx, func() { sent0, t0 = s.sent.Load(), time.Now() }, func() {
		sent := s.sent.Load() - sent0
		fmt.Printf("sent %d per_s %.0f\n", sent, float64(sent)/time.Since(t0).Seconds())
		fmt.Printf("calls answered %d up %d\n", s.answered.Load(), s.up.Load())
	})
	stopSending()
	fmt.Println("answered", s.answered.Load(), "up", s.up.Load(), "failed", s.failed.Load())
	return nil
}

// tick wakes every sender each slot; a sender still writing misses the
// tick rather than queueing it, and catches up by the clock.
func (s *sim) tick(ctx context.Context) {
	t := time.NewTicker(slot)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, sh := range s.shards {
				select {
				case sh.tick <- struct{}{}:
				default:
				}
			}
		}
	}
}

// send writes, at each slot, one packet to each of its shard's streams
// of that phase. Slots the sender was too late for are written at once,
// up to one round: a stall longer than 20 ms loses packets rather than
// sending more than one a call at a time.
func (s *sim) send(ctx context.Context, sh *shard) {
	done := int64(-1)
	for {
		select {
		case <-ctx.Done():
			return
		case <-sh.tick:
		}
		now := int64(time.Since(s.start) / slot)
		done = max(done, now-int64(slots))
		var n int64
		sh.mu.Lock()
		for ; done < now; done++ {
			n += s.write(sh.streams[(done+1)%int64(slots)])
		}
		sh.mu.Unlock()
		s.sent.Add(n)
	}
}

// write sends each stream its next packet and counts those sent.
func (s *sim) write(streams map[*net.UDPConn]*stream) (n int64) {
	var pkt [rtpHdr + frame]byte
	tone := s.cfg.tone
	for _, st := range streams {
		pkt[0], pkt[1] = 0x80, byte(media.PCMU)
		binary.BigEndian.PutUint16(pkt[2:], st.seq)
		binary.BigEndian.PutUint32(pkt[4:], st.ts)
		binary.BigEndian.PutUint32(pkt[8:], st.ssrc)
		if st.off+frame > len(tone) {
			st.off = 0
		}
		copy(pkt[rtpHdr:], tone[st.off:st.off+frame])
		st.off += frame
		st.seq++
		st.ts += frame
		if _, err := st.conn.WriteToUDPAddrPort(pkt[:], st.to); err == nil {
			n++
		}
	}
	return n
}

// call places call i, streams audio on it once answered, and hangs up
// after the hold time or when the scenario ends.
func (s *sim) call(ctx context.Context, i int) {
	if err := s.place(ctx, i); err != nil && ctx.Err() == nil {
		s.failed.Add(1)
		slog.Debug("call failed", "call", i, "err", err)
	}
}

func (s *sim) place(ctx context.Context, i int) error {
	rtpConn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return fmt.Errorf("opening the RTP socket: %w", err)
	}
	defer rtpConn.Close()
	_ = rtpConn.SetReadBuffer(256 << 10)
	var uri sip.Uri
	if err := sip.ParseUri(fmt.Sprintf("sip:%s@%s", s.cfg.number, s.cfg.server), &uri); err != nil {
		return err
	}
	offer := media.Answer{Addr: rtpConn.LocalAddr().(*net.UDPAddr).AddrPort(), Codecs: []media.Codec{media.PCMU},
		DTMFType: 101, Direction: media.SendRecv, SessionID: uint64(i + 1), Version: 1}.Marshal()
	d, err := s.dialogs.Invite(ctx, uri, offer, sip.NewHeader("Content-Type", "application/sdp"),
		sip.NewHeader("From", fmt.Sprintf("<sip:+1415555%d@127.0.0.1>;tag=%s", i, sip.GenerateTagN(8))))
	if err != nil {
		return fmt.Errorf("inviting: %w", err)
	}
	defer d.Close()
	callID := d.InviteRequest.CallID().Value()
	s.mu.Lock()
	s.byCallID[callID] = d
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.byCallID, callID)
		s.mu.Unlock()
	}()
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: fmt.Sprintf("+1415555%d", i), Password: s.cfg.password}); err != nil {
		return fmt.Errorf("waiting for the answer: %w", err)
	}
	if err := d.Ack(ctx); err != nil {
		return fmt.Errorf("acknowledging: %w", err)
	}
	s.answered.Add(1)
	desc, err := media.ParseSDP(d.InviteResponse.Body())
	if err != nil {
		return fmt.Errorf("reading the answer's SDP: %w", err)
	}
	if err := gaps.StampArrivals(rtpConn); err != nil {
		return fmt.Errorf("asking for receive timestamps: %w", err)
	}
	s.up.Add(1)
	defer s.up.Add(-1)

	var reading sync.WaitGroup
	if s.cfg.read {
		reading.Go(func() { s.read(rtpConn) })
	}
	sh, phase := s.shards[(i/slots)%len(s.shards)], i%slots
	sh.mu.Lock()
	sh.streams[phase][rtpConn] = &stream{conn: rtpConn, to: desc.Addr, ssrc: uint32(i + 1), off: (i * frame) % len(s.cfg.tone)}
	sh.mu.Unlock()

	hold := time.NewTimer(s.cfg.hold)
	defer hold.Stop()
	select {
	case <-ctx.Done():
	case <-hold.C:
	case <-d.Context().Done(): // the server hung up
	}
	sh.mu.Lock()
	delete(sh.streams[phase], rtpConn)
	sh.mu.Unlock()
	// closing the socket ends the reader
	_ = rtpConn.Close()
	reading.Wait()
	if d.Context().Err() != nil {
		return nil
	}
	bye, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := d.Bye(bye); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("hanging up: %w", err)
	}
	return nil
}

// read counts the gaps between the packets relayed back to one call.
func (s *sim) read(c *net.UDPConn) {
	buf := make([]byte, 1500)
	var oob [128]byte
	var last time.Time
	for {
		_, oobn, _, _, err := c.ReadMsgUDPAddrPort(buf, oob[:])
		if err != nil {
			return
		}
		if at, ok := gaps.Arrival(oob[:oobn]); ok {
			if !last.IsZero() {
				s.gaps.Add(at.Sub(last))
			}
			last = at
		}
	}
}
