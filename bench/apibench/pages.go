package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// page is one open console page's live stream: what it was sent.
type page struct {
	redraws   int   // SSE ids: one per redraw of the page's fragments
	fragments int   // SSE events: fragments swapped in
	bytes     int64 // of the stream
	last      int64 // the log position of the last redraw
	err       error
}

var eventPrefix = []byte("event: ")

// livePages opens n console pages' live streams (the consoles'
// /live?VIEW, signed in by the session cookie) and reads them until
// redraws stop for quiet. Every page must end on the same log position:
// a page left behind would show a stale queue.
func livePages(ctx context.Context, c *client, n int, view string, limit, quiet time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	web := strings.TrimSuffix(c.base, "/api/v1")
	var connected sync.WaitGroup
	connected.Add(n)
	var lastRedraw atomic.Int64 // unix ns of the newest redraw at any page
	all := make([]*page, n)
	var done sync.WaitGroup
	for i := range all {
		p := &page{}
		all[i] = p
		done.Add(1)
		go func() {
			defer done.Done()
			p.err = p.follow(ctx, c, web+"/live?"+view+"&after=0", &connected, &lastRedraw)
		}()
	}
	firstErr := func() error {
		for _, p := range all {
			if p.err != nil {
				return p.err
			}
		}
		return nil
	}
	if err := untilQuiet(ctx, cancel, &connected, &done, &lastRedraw, quiet, firstErr, func(time.Time) {}); err != nil {
		return err
	}

	var redraws, fragments, failed int
	var bytes int64
	maxLast := int64(0)
	for _, p := range all {
		if p.err != nil && !errors.Is(p.err, context.Canceled) && !errors.Is(p.err, context.DeadlineExceeded) {
			failed++
			fmt.Fprintln(os.Stderr, "apibench: page:", p.err)
		}
		redraws += p.redraws
		fragments += p.fragments
		bytes += p.bytes
		maxLast = max(maxLast, p.last)
	}
	behind := 0
	for _, p := range all {
		if p.last != maxLast {
			behind++
		}
	}
	// pages redraws_per_page fragments_per_page kib_per_page last behind failed
	fmt.Printf("%d %.1f %.1f %.1f %d %d %d\n", n, float64(redraws)/float64(n), float64(fragments)/float64(n),
		float64(bytes)/float64(n)/1024, maxLast, behind, failed)
	if behind > 0 || failed > 0 {
		return fmt.Errorf("%d pages behind the newest position %d, %d failed", behind, maxLast, failed)
	}
	return nil
}

// follow reads one page's stream until ctx ends, counting what it is
// sent; it parses only the id and event lines.
func (p *page) follow(ctx context.Context, c *client, url string, connected *sync.WaitGroup, lastRedraw *atomic.Int64) error {
	once := sync.OnceFunc(connected.Done)
	defer once()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.AddCookie(&http.Cookie{Name: "acd_session", Value: c.token})
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, bytes.TrimSpace(b))
	}
	r := bufio.NewReaderSize(resp.Body, 64<<10)
	if _, err := r.ReadSlice('\n'); err != nil { // "retry:": the stream is open
		return err
	}
	once()
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			p.bytes += int64(len(line)) // a long fragment line: only counted
			continue
		}
		if err != nil {
			return err
		}
		p.bytes += int64(len(line))
		switch {
		case bytes.HasPrefix(line, idPrefix):
			seq, err := strconv.ParseInt(string(bytes.TrimSpace(line[len(idPrefix):])), 10, 64)
			if err != nil {
				return fmt.Errorf("bad id line %q", line)
			}
			if seq > p.last {
				p.redraws++
				p.last = seq
				lastRedraw.Store(time.Now().UnixNano())
			}
		case bytes.HasPrefix(line, eventPrefix):
			p.fragments++
		}
	}
}
