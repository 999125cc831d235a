// Command agentsim plays many agents' phones for the bridged-calls load
// scenario: it registers each agent with digest, logs it in with *50, and
// answers every call the server rings it with, echoing the RTP it receives
// back to the sender. SIPp cannot give each of many agents its own
// credentials, hence this small simulator.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/acdserver/acd/bench/internal/gaps"
	"github.com/acdserver/acd/media"
)

func main() {
	server := flag.String("server", "127.0.0.1:5090", "the ACD's SIP address")
	first := flag.Int("first", 3000, "first agent id")
	count := flag.Int("count", 10, "number of agents")
	password := flag.String("password", "bench", "every agent's password")
	lifetime := flag.Duration("for", time.Minute, "stop after this long")
	tone := flag.String("write-tone", "", "write 10 s of µ-law tone to this file for SIPp's rtp_stream, and exit")
	flag.Parse()
	if *tone != "" {
		if err := writeTone(*tone); err != nil {
			fmt.Fprintln(os.Stderr, "agentsim:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *lifetime)
	defer cancel()
	if err := run(ctx, *server, *first, *count, *password); err != nil {
		fmt.Fprintln(os.Stderr, "agentsim:", err)
		os.Exit(1)
	}
}

type sim struct {
	ua      *sipgo.UserAgent
	client  *sipgo.Client
	dialogs *sipgo.DialogUA
	mu      sync.Mutex
	inbound map[string]*sipgo.DialogServerSession
	logins  map[string]*sipgo.DialogClientSession
	// what the load scenario checks at the end: calls answered, and RTP
	// packets echoed back (none means nothing was relayed)
	answered, echoed atomic.Int64
	// gaps between the relayed packets an agent receives, from the
	// kernel's receive timestamps, while the scenario's window is open
	// (SIGUSR1 opens it, SIGUSR2 closes it and prints them)
	gaps gaps.Counts
}

func run(ctx context.Context, server string, first, count int, password string) error {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	_ = conn.SetReadBuffer(8 << 20)
	quiet := slog.New(slog.DiscardHandler)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("agentsim"), sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		return err
	}
	defer ua.Close()
	srv, _ := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	client, _ := sipgo.NewClient(ua, sipgo.WithClientLogger(quiet), sipgo.WithClientConnectionAddr(conn.LocalAddr().String()))
	port := conn.LocalAddr().(*net.UDPAddr).Port
	s := &sim{ua: ua, client: client, inbound: map[string]*sipgo.DialogServerSession{}, logins: map[string]*sipgo.DialogClientSession{},
		dialogs: &sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "agent", Host: "127.0.0.1", Port: port}}}}
	srv.OnInvite(s.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		if d := s.inboundDialog(req); d != nil {
			_ = d.ReadAck(req, tx)
		}
	})
	srv.OnBye(s.onBye)
	go func() { _ = srv.ServeUDP(conn) }()
	for {
		if c, err := ua.TransportLayer().GetConnection("udp", conn.LocalAddr().String()); err == nil && c != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	for id := first; id < first+count; id++ {
		if err := s.login(ctx, server, strconv.Itoa(id), password, port); err != nil {
			return fmt.Errorf("agent %d: %w", id, err)
		}
	}
	fmt.Println("ready", count)
	s.gaps.Window(ctx, nil, nil)
	fmt.Println("answered", s.answered.Load(), "echoed", s.echoed.Load())
	return nil
}

func (s *sim) login(ctx context.Context, server, id, password string, port int) error {
	var uri sip.Uri
	if err := sip.ParseUri("sip:"+server, &uri); err != nil {
		return err
	}
	req := sip.NewRequest(sip.REGISTER, uri)
	req.AppendHeader(sip.NewHeader("To", fmt.Sprintf("<sip:%s@%s>", id, server)))
	req.AppendHeader(sip.NewHeader("From", fmt.Sprintf("<sip:%s@%s>;tag=%s", id, server, sip.GenerateTagN(8))))
	req.AppendHeader(sip.NewHeader("Contact", fmt.Sprintf("<sip:%s@127.0.0.1:%d>", id, port)))
	req.AppendHeader(sip.NewHeader("Expires", "3600"))
	res, err := s.client.Do(ctx, req)
	if err == nil && res.StatusCode == 401 {
		res, err = s.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: id, Password: password})
	}
	if err != nil {
		return err
	}
	if res.StatusCode != 200 {
		return fmt.Errorf("REGISTER answered %d", res.StatusCode)
	}
	if err := sip.ParseUri(fmt.Sprintf("sip:*50@%s", server), &uri); err != nil {
		return err
	}
	// The login call's audio is never used: offer a discard port.
	offer := media.Answer{Addr: netip.MustParseAddrPort("127.0.0.1:9"), Codecs: []media.Codec{media.PCMU}, Direction: media.SendRecv, SessionID: 1, Version: 1}.Marshal()
	d, err := s.dialogs.Invite(ctx, uri, offer, sip.NewHeader("Content-Type", "application/sdp"),
		sip.NewHeader("From", fmt.Sprintf("<sip:%s@127.0.0.1>;tag=%s", id, sip.GenerateTagN(8))))
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.logins[d.InviteRequest.CallID().Value()] = d
	s.mu.Unlock()
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{Username: id, Password: password}); err != nil {
		return fmt.Errorf("*50: %w", err)
	}
	return d.Ack(ctx)
}

func (s *sim) inboundDialog(req *sip.Request) *sipgo.DialogServerSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inbound[req.CallID().Value()]
}

func (s *sim) onBye(req *sip.Request, tx sip.ServerTransaction) {
	id := req.CallID().Value()
	s.mu.Lock()
	in, login := s.inbound[id], s.logins[id]
	delete(s.inbound, id)
	delete(s.logins, id)
	s.mu.Unlock()
	switch {
	case in != nil:
		_ = in.ReadBye(req, tx)
	case login != nil:
		_ = login.ReadBye(req, tx)
	default:
		_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No Dialog", nil))
	}
}

// onInvite answers a call to an agent and echoes its RTP until it ends.
func (s *sim) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	d, err := s.dialogs.ReadInvite(req, tx)
	if err != nil {
		return
	}
	rtpConn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		_ = d.Respond(503, "Busy", nil)
		return
	}
	s.mu.Lock()
	s.inbound[req.CallID().Value()] = d
	s.mu.Unlock()
	answer := media.Answer{Addr: rtpConn.LocalAddr().(*net.UDPAddr).AddrPort(), Codecs: []media.Codec{media.PCMU},
		DTMFType: 101, Direction: media.SendRecv, SessionID: 1, Version: 1}.Marshal()
	stamped := gaps.StampArrivals(rtpConn) == nil
	go func() {
		buf := make([]byte, 1500)
		var oob [128]byte
		var last time.Time
		for {
			n, oobn, _, from, err := rtpConn.ReadMsgUDPAddrPort(buf, oob[:])
			if err != nil {
				return
			}
			if stamped {
				if at, ok := gaps.Arrival(oob[:oobn]); ok {
					if !last.IsZero() {
						s.gaps.Add(at.Sub(last))
					}
					last = at
				}
			}
			if _, err := rtpConn.WriteToUDPAddrPort(buf[:n], from); err == nil {
				s.echoed.Add(1)
			}
		}
	}()
	go func() {
		<-d.Context().Done()
		_ = rtpConn.Close()
	}()
	if err := d.RespondSDP(answer); err == nil {
		s.answered.Add(1)
	}
}

// writeTone writes a 440 Hz tone as raw µ-law.
func writeTone(path string) error {
	pcm := make([]byte, 2*8000*10)
	for i := range len(pcm) / 2 {
		v := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
		pcm[2*i], pcm[2*i+1] = byte(v), byte(uint16(v)>>8)
	}
	return os.WriteFile(path, media.NewSoundPCM(pcm).Payload(media.PCMU), 0o644)
}
