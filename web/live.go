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
	// shared, when set, checks that the user may see the view and names
	// what it shows, which is then the same for everyone who may (a
	// queue's page: the queue); sharedParts gives its fragments, with
	// the mark it is given for the token, drawn once per redraw for all
	// (see together).
	shared      func(r *http.Request, s session) (string, error)
	sharedParts func(r *http.Request, s session, key, mark string) ([]part, error)
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
	// recheck is how often a stream checks that its session has not
	// expired; a sign-out or revocation wakes it to check at once.
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
	// A live page counts against its user's streams, as the API's do.
	release, err := p.svc.OpenStream(s.actor)
	if err != nil {
		status, msg := p.statusOf(r, err)
		w.Header().Set("Retry-After", "5")
		http.Error(w, msg, status)
		return
	}
	defer release()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(p.streams, cancel)
	defer stop()
	// The server's read timeout is for requests arriving; a stream lasts
	// as long as its page.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	revocations := p.svc.Revocations()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	fmt.Fprint(w, "retry: 1000\n\n")
	flusher.Flush()

	seq := after
	shown := map[string]string{} // what this stream sent of each fragment: see sendParts
	checked := time.Now()
	var drawn time.Time // the last redraw
	for {
		// A revocation wakes the stream: the session is checked again
		// then, before anything more is drawn, and now and then besides
		// for expiry.
		if n := p.svc.Revocations(); n != revocations || time.Since(checked) > recheck {
			if _, ok := p.sessionOf(r.WithContext(ctx)); !ok {
				return
			}
			revocations, checked = n, time.Now()
		}
		pos, err := p.svc.LivePosition(ctx)
		if err != nil {
			return
		}
		if pos > seq {
			id, err := p.sendParts(ctx, w, r, s, v, seq, pos, shown)
			if err != nil {
				p.log.Debug("console live stream ended", "error", err, "user", s.actor.UserID)
				return
			}
			flusher.Flush()
			seq, drawn = id, time.Now()
		} else {
			fmt.Fprint(w, ": keep-alive\n\n")
			flusher.Flush()
		}
		p.svc.WaitForEvents(ctx, seq, keepAlive)
		if p.svc.Revocations() != revocations {
			continue // checked at once, without the settle
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(settle, redrawGap-time.Since(drawn))):
		}
	}
}

// sendParts draws the view at log position pos, for a page that has
// shown after, and writes each fragment that differs from what the
// stream last sent of it (shown, which it updates) as one SSE event
// carrying the position it shows as its id: in a busy centre the log
// moves all the time and most fragments stay as they were. (The page
// morphs what it is sent into what it shows, so that the element under
// the user's pointer stays the same one: a click pressed before a redraw
// and released after it is not lost.) It returns that position (a shared
// drawing may be of an earlier one than pos, never of one before after).
func (p *Pages) sendParts(ctx context.Context, w http.ResponseWriter, r *http.Request, s session, v liveView, after, pos int64, shown map[string]string) (int64, error) {
	drawn, pos, err := p.draw(ctx, r, s, v, after, pos)
	if err != nil {
		return 0, err
	}
	token := s.csrf()
	var b strings.Builder
	for _, d := range drawn {
		if shown[d.name] == d.lines {
			continue
		}
		shown[d.name] = d.lines
		fmt.Fprintf(&b, "event: %s\nid: %d\n", d.name, pos)
		b.WriteString(strings.ReplaceAll(d.lines, p.together.mark, token))
		b.WriteByte('\n')
	}
	if b.Len() == 0 {
		// Nothing changed on the page; its position moves all the same,
		// so that a reconnection resumes from here (an event of an id
		// alone sets the browser's last event id and is not dispatched).
		fmt.Fprintf(&b, "id: %d\n\n", pos)
	}
	_, err = w.Write([]byte(b.String()))
	return pos, err
}

// draw draws every fragment of the view at log position pos, for a page
// that has shown after, and says which position the drawing shows.
func (p *Pages) draw(ctx context.Context, r *http.Request, s session, v liveView, after, pos int64) ([]drawnPart, int64, error) {
	if v.shared == nil {
		parts, err := v.parts(r, s)
		if err != nil {
			return nil, 0, err
		}
		drawn, err := p.drawParts(v.page, parts)
		return drawn, pos, err
	}
	key, err := v.shared(r, s)
	if err != nil {
		return nil, 0, err
	}
	return p.together.get(ctx, v.page+"\x00"+key, after, p.svc.LivePosition, func() ([]drawnPart, error) {
		parts, err := v.sharedParts(r, s, key, p.together.mark)
		if err != nil {
			return nil, err
		}
		return p.drawParts(v.page, parts)
	})
}

// drawParts draws a view's fragments as SSE data lines.
func (p *Pages) drawParts(page string, parts []part) ([]drawnPart, error) {
	out := make([]drawnPart, 0, len(parts))
	for _, pt := range parts {
		html, err := p.fragment(page, pt.Name, pt.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, drawnPart{name: pt.Name, lines: sseLines(html)})
	}
	return out, nil
}
