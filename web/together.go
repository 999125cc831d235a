package web

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"time"
)

// Many supervisors watch the same queue, and in a busy centre its page
// (hundreds of callers and agents) costs milliseconds to draw, for every
// open page at every redraw. What a queue's page shows is the same for
// everyone allowed to see the queue, so its fragments are drawn once per
// redraw for all of them: together keeps, per queue, the last drawing
// and the log position it was read at, and a page that finds one fresh
// enough sends it rather than drawing its own. The one part that is each
// user's own, the CSRF token of its forms, is drawn as a mark and put
// back per page.
type together struct {
	mark  string     // stands for the token; see newCSRFMark
	mu    sync.Mutex // guards views
	views map[string]*sharedDrawing
}

// sharedDrawing is one shared view's last drawing.
type sharedDrawing struct {
	mu    sync.Mutex // held while drawing: the pages woken meanwhile wait and share it
	pos   int64      // the log position read before its data
	at    time.Time  // when it was drawn
	parts []drawnPart
}

// drawnPart is one fragment as its SSE data lines, the mark for the token.
type drawnPart struct {
	name, lines string
}

// newCSRFMark makes what stands for a page's CSRF token in a shared
// drawing: random for each server, so that nothing a user types can be
// taken for it, and made of letters and digits, which the templates'
// escaping leaves as they are.
func newCSRFMark() string {
	return "csrf" + rand.Text()
}

// get is the drawing of key for a page that has shown position after: the
// last one when it is newer than that and younger than redrawGap, else a
// new one of the view at the log's position now.
func (t *together) get(ctx context.Context, key string, after int64, position func(context.Context) (int64, error), draw func() ([]drawnPart, error)) ([]drawnPart, int64, error) {
	t.mu.Lock()
	if t.views == nil {
		t.views = map[string]*sharedDrawing{}
	}
	d := t.views[key]
	if d == nil {
		d = &sharedDrawing{}
		t.views[key] = d
	}
	t.mu.Unlock()

	d.mu.Lock()
	defer d.mu.Unlock()
	if d.parts != nil && d.pos > after && time.Since(d.at) < redrawGap {
		return d.parts, d.pos, nil
	}
	pos, err := position(ctx)
	if err != nil {
		return nil, 0, err
	}
	parts, err := draw()
	if err != nil {
		return nil, 0, err
	}
	d.pos, d.at, d.parts = pos, time.Now(), parts
	return parts, pos, nil
}

// sseLines writes an HTML fragment as the data lines of one SSE event.
func sseLines(html string) string {
	var b strings.Builder
	b.Grow(len(html) + 64)
	for _, line := range strings.Split(html, "\n") {
		b.WriteString("data: ")
		b.WriteString(strings.TrimRight(line, "\r"))
		b.WriteByte('\n')
	}
	return b.String()
}
