// Command holdconns plays clients that hold connections and do nothing:
// it opens idle SIP TCP connections, and HTTP connections each left idle
// after one GET /healthz (a keep-alive), from as many loopback addresses
// as -per_source asks (127.0.1.2 and on; Linux answers every 127/8
// address), says "ready" on standard output, and holds them until killed.
// It measures what the descriptor budget and the connection caps keep for
// calls (docs/PERFORMANCE.md, "Idle connections and large bodies").
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	sipAddr := flag.String("sip", "127.0.0.1:5060", "SIP TCP address")
	httpAddr := flag.String("http", "127.0.0.1:8080", "HTTP address")
	sipN := flag.Int("sip_conns", 600, "idle SIP TCP connections to try")
	httpN := flag.Int("http_conns", 2000, "idle HTTP keep-alive connections to try")
	perSource := flag.Int("per_source", 60, "connections per source address")
	flag.Parse()

	var held []net.Conn // kept open until the process ends
	dial := func(i int, addr string) net.Conn {
		group := i / *perSource
		src := net.IPv4(127, 0, byte(1+group/250), byte(2+group%250))
		d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: src}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			return nil
		}
		held = append(held, c)
		return c
	}
	sipOK, httpOK := 0, 0
	for i := range *sipN {
		if dial(i, *sipAddr) != nil {
			sipOK++
		}
	}
	for i := range *httpN {
		c := dial(*sipN+*perSource+i, *httpAddr)
		if c == nil {
			continue
		}
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		if res, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
			res.Body.Close()
			httpOK++
		}
		_ = c.SetDeadline(time.Time{})
	}
	fmt.Fprintf(os.Stderr, "SIP connections made: %d of %d; HTTP requests answered: %d of %d\n", sipOK, *sipN, httpOK, *httpN)
	fmt.Println("ready")
	select {}
}
