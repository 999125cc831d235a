package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// A live view is the part of a page that changes with the call path.
// The page is drawn with its fragments in place and subscribes to
// /live?view=NAME&after=SEQ; whenever the event log moves on, the stream
// draws the fragments afresh and sends each as an SSE event of its name,
// which htmx's SSE extension swaps into the element listening for it.
// Times that tick (time in state, time waited) are counted by the page
// itself from the instant the fragment gives, so that nothing is sent
// while nothing happens.
type liveView struct {
	page  string // the page whose templates hold the fragments
	parts func(r *http.Request, s session) ([]part, error)
}

// part is one fragment: the template block of that name, with its data.
type part struct {
	Name string
	Data any
}

const (
	// keepAlive is how often a quiet stream sends a comment, so that a
	// dead connection is noticed and proxies do not close a live one.
	keepAlive = 20 * time.Second
	// settle lets a burst of events (a call answered is several) be
	// drawn once.
	settle = 50 * time.Millisecond
	// redrawGap is the least time between two redraws of one page: in a
	// busy centre the log moves all the time, and a queue page of
	// hundreds of callers and agents costs milliseconds to draw, so a
	// page is drawn at most four times a second (still well within the
	// second a change must show in) rather than twenty.
	redrawGap = 250 * time.Millisecond
	// recheck is how often a stream checks that its session still
	// stands: a signed-out or revoked session stops seeing at once after.
	recheck = time.Minute
)

// live streams a view's fragments. A dropped connection reconnects by
// itself (the browser's EventSource, told retry: 1000) and sends the id
// of the last event it had as Last-Event-ID: the stream resumes from that
// log position and sends fresh fragments if anything happened since.
func (p *Pages) live(w http.ResponseWriter, r *http.Request, s session) {
	v, ok := p.views[r.URL.Query().Get("view")]
	if !ok {
		http.Error(w, "no such live view", http.StatusNotFound)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	after, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64)
	if err != nil {
		after, _ = strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	}
	// Check the view is the user's to see before streaming anything.
	if _, err := v.parts(r, s); err != nil {
		status, msg := p.statusOf(r, err)
		http.Error(w, msg, status)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(p.streams, cancel)
	defer stop()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	fmt.Fprint(w, "retry: 1000\n\n")
	flusher.Flush()

	seq := after
	checked := time.Now()
	var drawn time.Time // the last redraw
	for {
		pos, err := p.svc.Position(ctx)
		if err != nil {
			return
		}
		if pos > seq {
			if err := p.sendParts(w, r, s, v, pos); err != nil {
				p.log.Debug("console live stream ended", "error", err, "user", s.actor.UserID)
				return
			}
			flusher.Flush()
			seq, drawn = pos, time.Now()
		} else {
			fmt.Fprint(w, ": keep-alive\n\n")
			flusher.Flush()
		}
		if time.Since(checked) > recheck {
			if _, ok := p.sessionOf(r.WithContext(ctx)); !ok {
				return
			}
			checked = time.Now()
		}
		p.svc.WaitForEvents(ctx, seq, keepAlive)
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(settle, redrawGap-time.Since(drawn))):
		}
	}
}

// sendParts draws every fragment of the view and writes each as one SSE
// event carrying the log position as its id.
func (p *Pages) sendParts(w http.ResponseWriter, r *http.Request, s session, v liveView, pos int64) error {
	parts, err := v.parts(r, s)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, pt := range parts {
		html, err := p.fragment(v.page, pt.Name, pt.Data)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "event: %s\nid: %d\n", pt.Name, pos)
		for _, line := range strings.Split(html, "\n") {
			b.WriteString("data: ")
			b.WriteString(strings.TrimRight(line, "\r"))
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	}
	_, err = w.Write([]byte(b.String()))
	return err
}
